"""The numeric judge under declared models (issue 9): a family with a ``model`` is a random
linear-Gaussian network with that graph, so what the graph implies holds exactly and nothing
else; indexed families are expanded at several sizes; i.i.d. draws are independent copies."""

import pytest
from sympy import Product, Rational, Sum, log, symbols

from elbo_sym.algebra import KL, Density, Draws, Entropy, Expectation, Gaussian, SpaceIntegral
from elbo_sym.algebra.variables import IndexedVariable, VariableRange
from elbo_sym.checker.numeric_pass import cross_check
from elbo_sym.checker.step import REFUTED, UNKNOWN, VERIFIED, StepResult
from elbo_sym.derivation import ModelDeclaration
from elbo_sym.numeric import judge

from conftest import no_hang

x, y, z, t, T, k, K, a, s, c = symbols("x y z t T k K a s c")


def D(family, *variables, given=()):
    return Density(family, variables, given)


def p(*v, given=()):
    return D("p", *v, given=given)


def q(*v, given=()):
    return D("q", *v, given=given)


def X(i):
    return IndexedVariable("x", i)


z1, z2 = IndexedVariable("z", 1), IndexedVariable("z", 2)
x0, xt, xtm1, xT = X(0), X(t), X(t - 1), X(T)

HIERARCHY = (ModelDeclaration(p(x, z1, z2), (p(x, given=(z1,)), p(z1, given=(z2,)), p(z2))),)
PRIORS = (ModelDeclaration(p(x, y, z), (p(x, given=(y, z)), p(y), p(z))),)
CHAIN = ModelDeclaration(q(VariableRange("x", 1, T), given=(x0,)),
                         (Product(q(xt, given=(xtm1,)), (t, 1, T)),))
REVERSE = ModelDeclaration(p(VariableRange("x", 0, T)),
                           (p(xT), Product(p(xtm1, given=(xt,)), (t, 1, T))))
INSIDE = [(T, ">=", 2), (t, ">=", 2), (t, "<=", T)]


def values(outcome):
    return dict(outcome.counterexample)


# -- the graph's independences, and only those ------------------------------------------------

def test_a_factorization_the_graph_gives_holds_and_a_child_is_not_separated():
    factored = log(p(x, given=(z1,))) + log(p(z1, given=(z2,))) + log(p(z2))
    assert judge(log(p(x, z1, z2)), "=", factored, models=HIERARCHY).status == "holds"
    # conformance models/child-not-separated.deriv, step 2: x is a child of z_1
    wrong = log(p(x, given=(z1,))) + log(p(z1, given=(x, z2))) + log(p(z2))
    outcome = judge(factored, "=", wrong, models=HIERARCHY)
    assert outcome.status == "violated"
    assert [n for n, _ in outcome.counterexample][:3] == ["x", "z_1", "z_2"]
    # without the model nothing is independent: the factorization itself is false
    assert judge(log(p(x, z1, z2)), "=", factored).status == "violated"


def test_independent_priors_are_independent_and_dependent_given_their_child():
    assert judge(log(p(y, z)), "=", log(p(y)) + log(p(z)), models=PRIORS).status == "holds"
    assert judge(log(p(x, y, z)), "=", log(p(x, given=(y, z))) + log(p(y, given=(z,)))
                 + log(p(z, given=(y,))), models=PRIORS).status == "holds"
    explaining_away = judge(log(p(y, z, given=(x,))), "=",
                            log(p(y, given=(x,))) + log(p(z, given=(x,))), models=PRIORS)
    assert explaining_away.status == "violated"
    assert judge(log(p(y, z)), "=", log(p(y)) + log(p(z))).status == "violated"


def test_a_markov_chain_forgets_the_start_forwards_but_not_backwards():
    forward = judge(log(q(xt, given=(xtm1, x0))), "=", log(q(xt, given=(xtm1,))), INSIDE,
                    models=(CHAIN,))
    assert forward.status == "holds" and forward.instances == 8
    backward = judge(log(q(xtm1, given=(xt,))), "=", log(q(xtm1, given=(xt, x0))), INSIDE,
                     models=(CHAIN,))
    assert backward.status == "violated"
    shown = values(backward)
    assert 2 <= shown["t"] <= shown["T"] <= 5
    assert {"x_0", f"x_{int(shown['t']) - 1}", f"x_{int(shown['t'])}"} <= set(shown)


def test_an_index_past_the_graph_is_not_covered_by_the_model():
    # with t free, x_t may lie beyond x_T: the model says nothing there
    outcome = judge(log(q(xt, given=(xtm1, x0))), "=", log(q(xt, given=(xtm1,))), models=(CHAIN,))
    assert outcome.status == "violated"
    assert values(outcome)["t"] > values(outcome)["T"]


def test_the_telescoping_off_by_one_is_refuted_and_the_right_end_term_holds():
    # conformance models/telescope-off-by-one.deriv
    ratio = Sum(log(q(xtm1, given=(x0,)) / q(xt, given=(x0,))), (t, 2, T))
    facts = [(T, ">=", 3)]
    wrong = judge(ratio, "=", log(q(X(2), given=(x0,))) - log(q(xT, given=(x0,))), facts,
                  models=(CHAIN,))
    assert wrong.status == "violated"
    assert 3 <= values(wrong)["T"] <= 5
    right = judge(ratio, "=", log(q(X(1), given=(x0,))) - log(q(xT, given=(x0,))), facts,
                  models=(CHAIN,))
    assert right.status == "holds"


# -- other families' factors, Gaussian factors --------------------------------------------------

def test_a_factor_of_another_family_shares_its_conditional():
    model = (ModelDeclaration(D("p_theta", x, z), (D("p_theta", x, given=(z,)), D("p", z))),)
    assert judge(log(D("p_theta", z)), "=", log(D("p", z)), models=model).status == "holds"
    assert judge(log(D("p_theta", x)), "=", log(D("p", x)), models=model).status == "violated"
    reverse = (ModelDeclaration(p(VariableRange("x", 0, T)),
                                (p(xT), Product(D("p_theta", xtm1, given=(xt,)), (t, 1, T)))),)
    inside = [(t, ">=", 1), (t, "<=", T)]
    assert judge(log(p(xtm1, given=(xt,))), "=", log(D("p_theta", xtm1, given=(xt,))), inside,
                 models=reverse).status == "holds"
    assert judge(log(p(xT)), "=", log(D("p_theta", xT)), models=reverse).status == "violated"


def test_a_gaussian_factor_fixes_its_conditional():
    model = (ModelDeclaration(p(x, z), (Gaussian(x, a * z, s ** 2), Gaussian(z, 0, 1))),)
    holds = [
        (log(p(x, given=(z,))), log(Gaussian(x, a * z, s ** 2))),
        (log(p(z)), log(Gaussian(z, 0, 1))),
        (log(p(x)), log(Gaussian(x, 0, a ** 2 + s ** 2))),
        (log(p(z, given=(x,))), log(Gaussian(z, a * x / (a ** 2 + s ** 2), s ** 2 / (a ** 2 + s ** 2)))),
    ]
    for lhs, rhs in holds:
        assert judge(lhs, "=", rhs, models=model).status == "holds", (lhs, rhs)
    wrong = judge(log(p(x)), "=", log(Gaussian(x, 0, a ** 2 + 2 * s ** 2)), models=model)
    assert wrong.status == "violated"
    assert [n for n, _ in wrong.counterexample][:3] == ["x", "a", "s"]   # parameters are drawn
    nonlinear = (ModelDeclaration(p(x, z), (Gaussian(x, a * z ** 2, s ** 2), Gaussian(z, 0, 1))),)
    outcome = judge(log(p(x)), "=", log(p(x)), models=nonlinear)
    assert outcome.status == "not-applicable"
    assert outcome.message == ("not applicable: the mean of the factor N(x; a*z**2, s**2) is not "
                               "linear in its parents")


def test_assumptions_on_a_gaussian_factors_parameters_hold_at_the_counterexample():
    model = (ModelDeclaration(p(x, z), (Gaussian(x, a * z, s), Gaussian(z, 0, 1))),)
    outcome = judge(log(p(x)), "=", log(Gaussian(x, 0, a ** 2 + 2 * s)), [(s, ">", 0), (a, ">=", 1)],
                    models=model)
    assert outcome.status == "violated"
    assert values(outcome)["s"] > 0 and values(outcome)["a"] >= 1


# -- sizes, ranges and i.i.d. draws --------------------------------------------------------------

def _ddpm_chain():
    Q = q(VariableRange("x", 1, T), given=(x0,))

    def E(f):
        return Expectation(f, Q)
    x1 = X(1)
    return [
        log(p(x0)),
        (">=", E(log(p(VariableRange("x", 0, T)) / Q))),
        ("=", E(log(p(xT)) + Sum(log(p(xtm1, given=(xt,))), (t, 1, T))
                - Sum(log(q(xt, given=(xtm1,))), (t, 1, T)))),
        ("=", E(log(p(xT)) + log(p(x0, given=(x1,)) / q(x1, given=(x0,)))
                + Sum(log(p(xtm1, given=(xt,)) / q(xt, given=(xtm1, x0))), (t, 2, T)))),
        ("=", E(log(p(xT)) + log(p(x0, given=(x1,)) / q(x1, given=(x0,)))
                + Sum(log(p(xtm1, given=(xt,)) / q(xtm1, given=(xt, x0))), (t, 2, T))
                + Sum(log(q(xtm1, given=(x0,)) / q(xt, given=(x0,))), (t, 2, T)))),
        ("=", E(log(p(xT) / q(xT, given=(x0,))) + log(p(x0, given=(x1,)))
                + Sum(log(p(xtm1, given=(xt,)) / q(xtm1, given=(xt, x0))), (t, 2, T)))),
        ("=", Expectation(log(p(x0, given=(x1,))), q(x1, given=(x0,))) - KL(q(xT, given=(x0,)), p(xT))
         - Sum(Expectation(KL(q(xtm1, given=(xt, x0)), p(xtm1, given=(xt,))), q(xt, given=(x0,))),
               (t, 2, T))),
    ]


def test_every_step_of_the_diffusion_bound_holds():
    # conformance models/ddpm.deriv, sizes T in 2..5
    chain = _ddpm_chain()
    previous = chain[0]
    for relation, expr in chain[1:]:
        with no_hang():
            outcome = judge(previous, relation, expr, [(T, ">=", 2)], models=(REVERSE, CHAIN))
        assert outcome.status == "holds", (expr, outcome.message)
        assert outcome.instances > 0
        previous = expr


def test_the_diffusion_bound_without_the_model_or_with_a_dropped_condition_is_refuted():
    chain = _ddpm_chain()
    # Bayes' rule on q(x_t | x_{t-1}, x_0) needs x_0 kept on both sides
    dropped = chain[4][1].xreplace({q(xtm1, given=(xt, x0)): q(xtm1, given=(xt,))})
    assert dropped != chain[4][1]
    outcome = judge(chain[3][1], "=", dropped, [(T, ">=", 2)], models=(REVERSE, CHAIN))
    assert outcome.status == "violated"
    assert outcome.message.startswith(f"violated at T = {int(values(outcome)['T'])}, x_0 = ")
    # the factorization of step 2 is the model's: without it, it is false
    assert judge(chain[1][1], "=", chain[2][1], [(T, ">=", 2)]).status == "violated"
    assert judge(chain[0], "<=", chain[1][1], [(T, ">=", 2)],
                 models=(REVERSE, CHAIN)).status == "violated"


def test_a_range_is_its_elements_in_densities_and_integrals():
    Q = q(VariableRange("x", 1, T), given=(x0,))
    assert judge(SpaceIntegral(Q, VariableRange("x", 1, T)), "=", 1).status == "holds"
    marginal = judge(log(SpaceIntegral(q(VariableRange("x", 0, T)), VariableRange("x", 1, T))), "=",
                     log(q(x0)))
    assert marginal.status == "holds"
    split = judge(log(q(VariableRange("x", 1, T), given=(x0,))), "=",
                  Sum(log(q(xt, given=(VariableRange("x", 0, t - 1),))), (t, 1, T)))
    assert split.status == "holds"
    entropy = judge(Entropy(Q), "=", -Expectation(Sum(log(q(xt, given=(xtm1,))), (t, 1, T)), Q),
                    [(T, ">=", 2)], models=(CHAIN,))
    assert entropy.status == "holds"


def test_too_many_variables_at_once_is_not_applicable_with_the_reason():
    Q = q(VariableRange("x", 1, T), given=(x0,))
    outcome = judge(Expectation(log(Q), Q), "=", -Entropy(Q), [(T, ">=", 7)])
    assert outcome.status == "not-applicable"
    assert outcome.message.startswith("not applicable: only 0 of 48 instances could be evaluated")
    assert "over 7 variables at once is too costly" in outcome.message or \
        "over 8 variables at once is too costly" in outcome.message


def iwae(weight):
    zk = IndexedVariable("z", k)
    draws = Draws(q(z, given=(x,)), VariableRange("z", 1, K))
    return log(Expectation(weight * Sum(p(x, zk) / q(zk, given=(x,)), (k, 1, K)), draws)), draws, zk


def test_importance_weighted_bound_holds_with_the_average_and_fails_without():
    averaged, _, _ = iwae(1 / K)
    outcome = judge(log(p(x)), "=", averaged, [(K, ">=", 1)])
    assert outcome.status == "holds" and outcome.instances == 8
    summed, _, _ = iwae(1)
    # conformance models/iwae-without-average.deriv: log K too much
    wrong = judge(log(p(x)), "=", summed, [(K, ">=", 2)])
    assert wrong.status == "violated"
    shown = values(wrong)
    assert [n for n, _ in wrong.counterexample] == ["K", "x", "left", "right"]   # draws are bound
    assert 2 <= shown["K"] <= 5
    assert shown["right"] - shown["left"] == pytest.approx(float(log(shown["K"])), abs=1e-8)
    # one draw: the sum is the average
    assert judge(log(p(x)), "=", summed, [(K, "=", 1)]).status == "holds"


def test_the_importance_weighted_bound_lies_between_the_evidence_and_the_elbo():
    _, draws, zk = iwae(1)
    weights = Sum(p(x, zk) / q(zk, given=(x,)), (k, 1, K))
    bound = Expectation(log(weights / K), draws)
    averaged_logs = Expectation(Sum(log(p(x, zk) / q(zk, given=(x,))), (k, 1, K)) / K, draws)
    elbo = Expectation(log(p(x, z) / q(z, given=(x,))), q(z, given=(x,)))
    facts = [(K, ">=", 1)]
    assert judge(log(p(x)), ">=", bound, facts).status == "holds"
    assert judge(bound, ">=", averaged_logs, facts).status == "holds"
    assert judge(averaged_logs, "=", elbo, facts).status == "holds"
    assert judge(averaged_logs, "=", 2 * elbo, facts).status == "violated"
    assert judge(bound, "<=", averaged_logs, [(K, ">=", 2)]).status == "violated"


def test_the_draws_are_independent_copies_of_the_base_density():
    _, draws, zk = iwae(1)
    z_1, z_2 = IndexedVariable("z", 1), IndexedVariable("z", 2)
    # E over two draws of f(z_1) g(z_2) is E[f] E[g]
    two = Draws(q(z, given=(x,)), VariableRange("z", 1, 2))
    lhs = Expectation(log(q(z_1, given=(x,))) * log(p(x, z_2)), two)
    rhs = Expectation(log(q(z, given=(x,))), q(z, given=(x,))) * \
        Expectation(log(p(x, z)), q(z, given=(x,)))
    assert judge(lhs, "=", rhs).status == "holds"
    same = Expectation(log(q(z_1, given=(x,))) * log(q(z_1, given=(x,))), two)
    assert judge(same, "=", rhs.xreplace({p(x, z): q(z, given=(x,))})).status == "violated"


# -- the second judge behind the checker ---------------------------------------------------------

def test_cross_check_refutes_an_unknown_step_only_against_the_model():
    factored = log(p(x, given=(z1,))) + log(p(z1, given=(z2,))) + log(p(z2))
    wrong = log(p(x, given=(z1,))) + log(p(z1, given=(x, z2))) + log(p(z2))
    unknown = StepResult(UNKNOWN, ())
    assert cross_check(unknown, factored, "=", wrong, models=HIERARCHY).verdict == REFUTED
    verified = StepResult(VERIFIED, ())
    kept = cross_check(verified, log(p(x, z1, z2)), "=", factored, models=HIERARCHY)
    assert kept.verdict == VERIFIED and not kept.inconsistent
    assert kept.numeric.status == "holds"


def test_a_cavi_style_equation_is_never_broken_at_a_counterexample():
    mean_field = (ModelDeclaration(q(z1, z2), (q(z1), q(z2))),)
    fact = [(log(q(z1)), "=", Expectation(log(p(x, z1, z2)), q(z2)) + c)]
    lhs = Expectation(log(q(z1)), q(z1))
    rhs = Expectation(Expectation(log(p(x, z1, z2)), q(z2)), q(z1)) + c
    # the equation holds for every z_1 with one constant c: random families never satisfy it,
    # and solving for c at one z_1 would refute the true step; so no instance is reported
    outcome = judge(lhs, "=", rhs, fact, models=mean_field)
    assert outcome.status == "not-applicable"
    assert "did not satisfy the assumption" in outcome.message
