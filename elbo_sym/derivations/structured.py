"""Bounds of models with structure, as their papers write them: a two-layer hierarchical VAE,
the diffusion bound (symbolic T), the importance-weighted bound (symbolic K), ELBO surgery and
the chain rule of KL. Each declares its model, so that the conditional independences the paper
assumes are the checker's to use, and cites exactly the rules each step needs."""
from typing import Iterable, Union

from sympy import Expr, Product, Rational, Sum, log, symbols
from sympy.core.parameters import evaluate

from ..algebra import KL, Defined, Density, Draws, Expectation, IndexedVariable, VariableRange
from ..derivation import Assumption, Definition, Derivation, ModelDeclaration, Step

# real variables, whole indices, counts: as the checker reads them (see vae.py)
x, z = symbols("x z", real=True)
k, t = symbols("k t", integer=True)
K, T = symbols("K T", integer=True, nonnegative=True)


def p(*variables: Expr, given: Iterable[Expr] = ()) -> Density:
    return Density("p", variables, given)


def q(*variables: Expr, given: Iterable[Expr] = ()) -> Density:
    return Density("q", variables, given)


def zs(i: Union[int, Expr]) -> IndexedVariable:
    return IndexedVariable("z", i)


def xs(i: Union[int, Expr]) -> IndexedVariable:
    return IndexedVariable("x", i)


def xr(lo: Union[int, Expr], hi: Union[int, Expr]) -> VariableRange:
    return VariableRange("x", lo, hi)


with evaluate(False):
    # -- a two-layer hierarchical VAE ---------------------------------------------------------
    z1, z2 = zs(1), zs(2)
    q12 = q(z1, z2, given=(x,))
    q1 = q(z1, given=(x,))
    HVAE = Derivation(
        name="hvae",
        title="Two-layer hierarchical VAE bound",
        source="Sonderby et al. (2016), Ladder VAE; Vahdat & Kautz (2020), NVAE eq. (2)",
        models=(ModelDeclaration(p(x, z1, z2), (p(x, given=(z1,)), p(z1, given=(z2,)), p(z2))),
                ModelDeclaration(q12, (q1, q(z2, given=(z1,))))),
        start=log(p(x)),
        steps=(
            Step(">=", Expectation(log(p(x, z1, z2)) - log(q12), q12),
                 ("kl-nonneg", "kl-definition", "product-rule", "linearity", "expectation-of-constant")),
            Step("=", Expectation(log(p(x, given=(z1,))) + log(p(z1, given=(z2,))) + log(p(z2))
                                  - log(q1) - log(q(z2, given=(z1,))), q12), ("model",)),
            Step("=", Expectation(log(p(x, given=(z1,))), q1)
                 - Expectation(KL(q(z2, given=(z1,)), p(z2)), q1)
                 - Expectation(Expectation(log(q1) - log(p(z1, given=(z2,))), q(z2, given=(z1,))), q1),
                 ("model", "tower", "linearity", "kl-definition")),
        ),
    )

    # -- the diffusion bound, Ho, Jain & Abbeel (2020) eqs. (3)-(5) and appendix A -----------
    q_fwd = q(xr(1, T), given=(xs(0),))
    ddpm_bound = Expectation(log(p(xr(0, T)) / q_fwd), q_fwd)
    DDPM = Derivation(
        name="ddpm",
        title="The diffusion bound: L_T + sum_t L_{t-1} + L_0",
        source="Ho, Jain & Abbeel (2020), Denoising Diffusion Probabilistic Models, eqs. (3)-(5), "
               "appendix A",
        models=(ModelDeclaration(p(xr(0, T)), (p(xs(T)), Product(p(xs(t - 1), given=(xs(t),)), (t, 1, T)))),
                ModelDeclaration(q_fwd, (Product(q(xs(t), given=(xs(t - 1),)), (t, 1, T)),))),
        assumptions=(Assumption(T, ">=", 2),),
        start=log(p(xs(0))),
        steps=(
            Step(">=", ddpm_bound,
                 ("kl-nonneg", "kl-definition", "product-rule", "linearity", "expectation-of-constant")),
            Step("=", Expectation(log(p(xs(T))) + Sum(log(p(xs(t - 1), given=(xs(t),))), (t, 1, T))
                                  - Sum(log(q(xs(t), given=(xs(t - 1),))), (t, 1, T)), q_fwd),
                 ("model", "linearity")),
            Step("=", Expectation(log(p(xs(T))) + log(p(xs(0), given=(xs(1),)) / q(xs(1), given=(xs(0),)))
                                  + Sum(log(p(xs(t - 1), given=(xs(t),))
                                            / q(xs(t), given=(xs(t - 1), xs(0)))), (t, 2, T)), q_fwd),
                 ("model", "linearity")),
            Step("=", Expectation(log(p(xs(T))) + log(p(xs(0), given=(xs(1),)) / q(xs(1), given=(xs(0),)))
                                  + Sum(log(p(xs(t - 1), given=(xs(t),))
                                            / q(xs(t - 1), given=(xs(t), xs(0)))), (t, 2, T))
                                  + Sum(log(q(xs(t - 1), given=(xs(0),)) / q(xs(t), given=(xs(0),))),
                                        (t, 2, T)), q_fwd),
                 ("bayes-rule",)),
            Step("=", Expectation(log(p(xs(T)) / q(xs(T), given=(xs(0),))) + log(p(xs(0), given=(xs(1),)))
                                  + Sum(log(p(xs(t - 1), given=(xs(t),))
                                            / q(xs(t - 1), given=(xs(t), xs(0)))), (t, 2, T)), q_fwd),
                 ("algebra",)),
            Step("=", Expectation(log(p(xs(0), given=(xs(1),))), q(xs(1), given=(xs(0),)))
                 - KL(q(xs(T), given=(xs(0),)), p(xs(T)))
                 - Sum(Expectation(KL(q(xs(t - 1), given=(xs(t), xs(0))), p(xs(t - 1), given=(xs(t),))),
                                   q(xs(t), given=(xs(0),))), (t, 2, T)),
                 ("tower", "linearity", "kl-definition")),
        ),
    )

    # -- the importance-weighted bound, Burda, Grosse & Salakhutdinov (2016) ------------------
    draws = Draws(q(z, given=(x,)), VariableRange("z", 1, K))
    weight = p(x, zs(k)) / q(zs(k), given=(x,))
    average = Rational(1, 1) / K * Sum(weight, (k, 1, K))
    L_K = Expectation(log(average), draws)
    IWAE = Derivation(
        name="iwae",
        title="The importance-weighted bound: log p(x) >= L_K >= ELBO",
        source="Burda, Grosse & Salakhutdinov (2016), Importance Weighted Autoencoders, eq. (8), "
               "theorem 1",
        assumptions=(Assumption(K, ">=", 1),),
        definitions=(Definition("L_K", (), L_K),),
        start=log(p(x)),
        steps=(
            Step("=", log(Expectation(average, draws)),
                 ("marginalization", "importance-weighting", "tower", "linearity")),
            Step(">=", Defined("L_K", (), L_K), ("jensen", "definition")),
            Step(">=", Expectation(1 / K * Sum(log(weight), (k, 1, K)), draws),
                 ("jensen", "definition", "linearity")),
            Step("=", Expectation(log(p(x, z) / q(z, given=(x,))), q(z, given=(x,))),
                 ("tower", "linearity")),
        ),
    )

    # -- ELBO surgery, Hoffman & Johnson (2016) -----------------------------------------------
    qxz = q(x, z)
    mutual = Expectation(log(qxz) - log(q(x)) - log(q(z)), qxz)
    SURGERY = Derivation(
        name="elbo-surgery",
        title="The average KL to the prior is I(x; z) + KL(q(z) || p(z))",
        source="Hoffman & Johnson (2016), ELBO surgery, eq. (3)",
        definitions=(Definition("I", (), mutual),),
        start=Expectation(KL(q(z, given=(x,)), p(z)), q(x)),
        steps=(
            Step("=", Expectation(Expectation(log(q(z, given=(x,))) - log(p(z)), q(z, given=(x,))), q(x)),
                 ("kl-definition",)),
            Step("=", Expectation(log(q(z, given=(x,))) - log(p(z)), qxz), ("tower",)),
            Step("=", Expectation(log(qxz) - log(q(x)) - log(q(z)), qxz)
                 + Expectation(log(q(z)) - log(p(z)), qxz), ("product-rule", "linearity")),
            Step("=", Defined("I", (), mutual) + Expectation(log(q(z)) - log(p(z)), q(z)),
                 ("definition", "tower")),
            Step("=", Defined("I", (), mutual) + KL(q(z), p(z)), ("kl-definition",)),
        ),
    )

    # -- the chain rule of KL -----------------------------------------------------------------
    KL_CHAIN = Derivation(
        name="kl-chain-rule",
        title="The chain rule of the KL divergence",
        source="Cover & Thomas (2006), Elements of Information Theory, theorem 2.5.3",
        start=KL(qxz, p(x, z)),
        steps=(
            Step("=", Expectation(log(qxz) - log(p(x, z)), qxz), ("kl-definition",)),
            Step("=", Expectation(log(q(x)) - log(p(x)) + log(q(z, given=(x,))) - log(p(z, given=(x,))), qxz),
                 ("product-rule",)),
            Step("=", Expectation(log(q(x)) - log(p(x)), q(x))
                 + Expectation(Expectation(log(q(z, given=(x,))) - log(p(z, given=(x,))), q(z, given=(x,))), q(x)),
                 ("linearity", "tower")),
            Step("=", KL(q(x), p(x)) + Expectation(KL(q(z, given=(x,)), p(z, given=(x,))), q(x)),
                 ("kl-definition",)),
        ),
    )

DERIVATIONS = (HVAE, DDPM, IWAE, SURGERY, KL_CHAIN)
