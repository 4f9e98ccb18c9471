"""The derivations of Kingma & Welling (2014), "Auto-Encoding Variational Bayes", as sympy
expressions. They are built unevaluated so that they print in the order the paper writes them.
"""
from typing import Iterable

from sympy import Expr, Rational, Sum, log, pi, symbols
from sympy.core.parameters import evaluate

from ..algebra import KL, Defined, Density, Expectation, Gaussian, IndexedVariable, SpaceIntegral
from ..derivation import Assumption, Definition, Derivation, Step

SOURCE = "Kingma & Welling (2014), Auto-Encoding Variational Bayes"

# variables are real numbers, J a count and j an index: built as the checker reads them, so
# that it need not rebuild the expressions to learn it
x, z, mu, sigma = symbols("x z mu sigma", real=True)
j = symbols("j", integer=True)
J = symbols("J", integer=True, nonnegative=True)
half = Rational(1, 2)


def p(*variables: Expr, given: Iterable[Expr] = ()) -> Density:
    return Density("p", variables, given)


def q(*variables: Expr, given: Iterable[Expr] = ()) -> Density:
    return Density("q", variables, given)


q_zx = q(z, given=(x,))

with evaluate(False):
    elbo_body = Expectation(-log(q_zx) + log(p(x, z)), q_zx)
    L = Defined("L", (x,), elbo_body)

    ELBO = Derivation(
        name="elbo",
        title="The evidence lower bound",
        source=SOURCE + ", eqs. (1)-(3)",
        definitions=(Definition("L", (x,), elbo_body),),
        start=log(p(x)),
        steps=(
            Step("=", log(p(x, z)) - log(p(z, given=(x,))), ("product-rule",)),
            Step("=", Expectation(log(p(x, z)) - log(p(z, given=(x,))), q_zx),
                 ("product-rule", "expectation-of-constant")),
            Step("=", Expectation(log(q_zx) - log(p(z, given=(x,))), q_zx)
                 + Expectation(log(p(x, z)) - log(q_zx), q_zx), ("linearity",)),
            Step("=", KL(q_zx, p(z, given=(x,))) + L, ("kl-definition", "definition")),
            Step(">=", L, ("kl-nonneg",)),
            Step("=", Expectation(log(p(x, given=(z,))) + log(p(z)) - log(q_zx), q_zx),
                 ("definition", "product-rule")),
            Step("=", -KL(q_zx, p(z)) + Expectation(log(p(x, given=(z,))), q_zx),
                 ("kl-definition", "linearity")),
        ),
    )

    p_zx = p(z, given=(x,))
    KL_NONNEG = Derivation(
        name="kl-nonneg",
        title="Gibbs' inequality through Jensen's inequality",
        source="Gibbs' inequality; " + SOURCE + ", used for eq. (2)",
        start=-KL(q_zx, p_zx),
        steps=(
            Step("=", Expectation(log(p_zx / q_zx), q_zx), ("kl-definition", "linearity")),
            Step("<=", log(Expectation(p_zx / q_zx, q_zx)), ("jensen",)),
            Step("=", log(SpaceIntegral(p_zx, z)), ("importance-weighting",)),
            Step("=", log(1), ("marginalization",)),
            Step("=", 0, ("algebra",)),
        ),
    )

    N_q, N_0 = Gaussian(z, mu, sigma ** 2), Gaussian(z, 0, 1)
    muj, sigmaj, zj = (IndexedVariable(name, j) for name in ("mu", "sigma", "z"))
    GAUSSIAN_KL = Derivation(
        name="gaussian-kl",
        title="KL of a Gaussian posterior from a standard normal prior",
        source=SOURCE + ", appendix B",
        assumptions=(Assumption(sigma, ">", 0),),
        start=-KL(N_q, N_0),
        steps=(
            Step("=", -Expectation(log(N_q) - log(N_0), N_q), ("kl-definition",)),
            Step("=", -Expectation(-half * log(2 * pi * sigma ** 2) - (z - mu) ** 2 / (2 * sigma ** 2)
                                   + half * log(2 * pi) + z ** 2 / 2, N_q), ("gaussian",)),
            Step("=", half * log(sigma ** 2) + half - (mu ** 2 + sigma ** 2) / 2, ("gaussian", "linearity")),
            Step("=", half * (1 + log(sigma ** 2) - mu ** 2 - sigma ** 2), ("algebra",)),
        ),
    )

    GAUSSIAN_KL_DIAGONAL = Derivation(
        name="gaussian-kl-diagonal",
        title="The same KL for a J-dimensional diagonal Gaussian",
        source=SOURCE + ", appendix B",
        start=-Sum(KL(Gaussian(zj, muj, sigmaj ** 2), Gaussian(zj, 0, 1)), (j, 1, J)),
        steps=(
            Step("=", -Sum(Expectation(log(Gaussian(zj, muj, sigmaj ** 2)) - log(Gaussian(zj, 0, 1)),
                                       Gaussian(zj, muj, sigmaj ** 2)), (j, 1, J)), ("kl-definition",)),
            Step("=", half * Sum(1 + log(sigmaj ** 2) - muj ** 2 - sigmaj ** 2, (j, 1, J)),
                 ("gaussian", "linearity")),
        ),
    )

    JENSEN_ELBO = Derivation(
        name="jensen-elbo",
        title="The bound through Jensen's inequality",
        source="Jordan et al. (1999); " + SOURCE,
        start=log(p(x)),
        steps=(
            Step("=", log(SpaceIntegral(p(x, z), z)), ("marginalization",)),
            Step("=", log(SpaceIntegral(q_zx * p(x, z) / q_zx, z)), ("algebra",)),
            Step("=", log(Expectation(p(x, z) / q_zx, q_zx)), ("importance-weighting",)),
            Step(">=", Expectation(log(p(x, z) / q_zx), q_zx), ("jensen",)),
            Step("=", Expectation(log(p(x, z)) - log(q_zx), q_zx), ("algebra",)),
        ),
    )

DERIVATIONS = (ELBO, KL_NONNEG, GAUSSIAN_KL, GAUSSIAN_KL_DIAGONAL, JENSEN_ELBO)
