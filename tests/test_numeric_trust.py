"""Issue 8 ("Trust `verified`") in the numeric judge: every assumption respected, tolerance that
scales with the terms, kinked functions evaluated, domains kept, binders respected, huge numbers
refused with a reason. Each test fails on the judge as it was before the fix."""
import math

import pytest
from sympy import (Abs, I, Integer, Max, Pow, Rational, Sum, exp, log, pi, sign, sqrt,
                   symbols)

from elbo_sym.algebra import KL, Density, Expectation, Gaussian
from elbo_sym.algebra.variables import IndexedVariable
from elbo_sym.numeric import judge

from conftest import p, q

x, y, z, w, v, s, mu, j, J = symbols("x y z w v s mu j J")
N_0 = Gaussian(z, 0, 1)


def _values(outcome):
    return dict(outcome.counterexample)


# 1. every assumption, also through other variables, chains and equations -----------------

def test_a_fact_through_another_variable_is_respected():
    # x >= exp(y) > 0: the step x >= 0 is true; y does not occur in it
    outcome = judge(x, ">=", 0, [(x, ">=", exp(y))])
    assert (outcome.status, outcome.message) == ("holds", "holds numerically on 8 instances")


def test_a_counterexample_satisfies_a_fact_through_another_variable():
    outcome = judge(x, ">=", 3, [(x, ">=", exp(y))])
    assert outcome.status == "violated"
    values = _values(outcome)
    assert [n for n, _ in outcome.counterexample] == ["x", "y", "left", "right"]
    assert values["x"] >= math.exp(values["y"]) and values["x"] < 3


def test_chains_of_facts_are_respected():
    facts = [(x, ">=", y), (y, ">=", 2)]
    assert judge(x, ">=", 2, facts).status == "holds"
    outcome = judge(x, ">=", 3, facts)
    assert outcome.status == "violated"
    values = _values(outcome)
    assert values["x"] >= values["y"] >= 2 and values["x"] < 3


def test_an_equation_with_a_variable_side_computes_it():
    assert judge(log(x - 1), "=", y, [(x, "=", exp(y) + 1)]).status == "holds"
    outcome = judge(log(x - 1), "=", 2 * y, [(x, "=", exp(y) + 1)])
    assert outcome.status == "violated"
    values = _values(outcome)
    assert values["x"] == pytest.approx(math.exp(values["y"]) + 1, rel=1e-12)


def test_a_linear_equation_is_solved_for_one_variable():
    assert judge(x, "=", 1 - y, [(x + y, "=", 1)]).status == "holds"
    assert judge(2 * x, "=", 1 - y, [(2 * x + 2 * y, "=", 2)]).status == "violated"


def test_an_equation_no_draw_satisfies_is_not_applicable():
    outcome = judge(x, ">=", 2, [(x ** 2 + y ** 2, "=", 1)])
    assert outcome.status == "not-applicable"
    assert outcome.counterexample is None
    assert outcome.message == ("not applicable: only 0 of 48 instances could be evaluated "
                               "(the draws did not satisfy the assumption x^2 + y^2 = 1)")


def test_a_fact_about_an_element_of_a_family_holds_for_every_element():
    sigma_j = IndexedVariable("sigma", j)
    facts = [(sigma_j, ">", 1)]
    step = (Sum(log(sigma_j), (j, 1, J)), ">=", 0)
    assert judge(*step, facts).status == "holds"
    assert judge(*step).status == "violated"


# 2. tolerance relative to the size of the terms --------------------------------------------

@pytest.mark.parametrize("power", [9, 12])
def test_a_true_identity_times_a_large_number_holds(power):
    big = Pow(10, power)
    identity = log(p(x, z)) - log(p(z, given=(x,)))
    for seed in range(3):
        assert judge(big * identity - big * log(p(x)), "=", 0, seed=seed).status == "holds"
        assert judge(big * identity + 1, ">=", big * log(p(x)) + 1, seed=seed).status == "holds"


def test_a_slip_above_the_error_of_large_terms_is_still_caught():
    big = Pow(10, 9)
    identity = log(p(x, z)) - log(p(z, given=(x,)))
    assert judge(big * identity, "=", big * log(p(x)) + 1).status == "violated"


# 3. abs and other real functions under an expectation ----------------------------------

def test_abs_under_an_expectation_is_evaluated():
    assert judge(Expectation(Abs(z), N_0), "=", sqrt(2 / pi)).status == "holds"
    outcome = judge(Expectation(Abs(z), N_0), "=", Rational(4, 5))
    assert outcome.message == "violated: left = 0.7979, right = 0.8"


def test_a_kink_that_moves_with_a_free_variable_is_accurate():
    from sympy import erf
    closed = sqrt(2 / pi) * exp(-x ** 2 / 2) + x * erf(x / sqrt(2))      # E|z - x|, z ~ N(0, 1)
    assert judge(Expectation(Abs(z - x), N_0), "=", closed).status == "holds"
    assert judge(Expectation(Abs(z - x), N_0), "=", closed + Rational(1, 10 ** 6)).status == "violated"


def test_max_and_sign_under_an_expectation():
    from sympy import erf
    assert judge(Expectation(Max(z, 0), N_0), "=", 1 / sqrt(2 * pi)).status == "holds"
    assert judge(Expectation(sign(z - mu), Gaussian(z, x, 1)), "=", erf((x - mu) / sqrt(2))).status == "holds"


def test_a_false_step_cannot_hide_behind_an_abs_term():
    # conformance binders/indexed-label-capture.deriv, step 1 with J = 1: 1 + E|y| != E|y|
    outcome = judge(Expectation(Expectation(z, Gaussian(w, 0, 1)) * z, N_0) + Expectation(Abs(y), Gaussian(y, 0, 1)),
                    "=", Expectation(Abs(y), Gaussian(y, 0, 1)))
    assert outcome.status == "violated"


def test_abs_of_a_family_variable_under_its_expectation():
    e = Expectation(Abs(z), q(z))
    assert judge(e, ">=", Abs(Expectation(z, q(z)))).status == "holds"
    assert judge(e, "<=", Abs(Expectation(z, q(z)))).status == "violated"


# 4. domains ----------------------------------------------------------------------------

def test_a_variance_expression_is_drawn_positive():
    outcome = judge(Expectation(z ** 2, Gaussian(z, 0, v - 1)), "=", v - 1)
    assert (outcome.status, outcome.instances) == ("holds", 8)


def test_the_argument_of_log_is_drawn_positive():
    outcome = judge(log(x - 2) + log(2 - y), "=", log((x - 2) * (2 - y)))
    assert (outcome.status, outcome.instances) == ("holds", 8)


def test_a_denominator_that_is_zero_within_rounding_has_no_value():
    # conformance binders/undefined-term.deriv: 1 / 0 is not a huge number
    zero = log(p(x, given=(z,))) + log(p(z)) - log(p(x, z))
    outcome = judge(log(p(x)) + Abs(1 / zero), ">=", log(p(x)) + 10 ** 6)
    assert outcome.status == "not-applicable"
    assert outcome.message.startswith("not applicable: only 0 of 48 instances could be evaluated "
                                      "(division by zero: ")


def test_log_of_an_integrated_variable_has_no_value():
    outcome = judge(Expectation(log(z), Gaussian(z, mu, s ** 2)), "=", x, [(s, ">", 0)])
    assert outcome.message == ("not applicable: z must be positive, but is not for every value "
                               "of the integrated variables")


def test_complex_values_are_never_made_real():
    outcome = judge(Expectation(exp(sqrt(-1) * z), N_0), ">=", exp(Expectation(sqrt(-1) * z, N_0)))
    assert outcome.message == "not applicable: the step takes complex values (I is not real)"
    assert judge(I * x, "=", 0).message == "not applicable: the step takes complex values (I is not real)"


# 5. KL and H bind their variable ----------------------------------------------------------

def test_a_fact_about_a_variable_a_kl_binds_says_nothing_about_it():
    # conformance binders/kl-binds-its-variable.deriv: false, its gap is E_r[r(w)] E_q[z]
    r = Density("r", (w,), ())
    x_j = IndexedVariable("x", j)
    lhs = Expectation(KL(q(z), Gaussian(z, -r, 1)), r) + Sum(x_j, (j, 1, J))
    rhs = KL(q(z), N_0) + Rational(1, 2) * Expectation(r ** 2, r) + Sum(x_j, (j, 1, J))
    outcome = judge(lhs, ">=", rhs, [(z, ">", 0), (J, ">=", 5)])
    assert outcome.status == "violated"
    names = [n for n, _ in outcome.counterexample]
    assert "z" not in names and names[0] == "J" and _values(outcome)["J"] >= 5


def test_sizes_start_at_their_assumed_least_value():
    x_j = IndexedVariable("x", j)
    outcome = judge(Sum(x_j ** 2, (j, 1, J)), ">=", 0, [(J, ">=", 5)])
    assert (outcome.status, outcome.instances) == ("holds", 8)


def test_a_sum_with_its_upper_bound_below_its_lower_one_is_zero():
    assert judge(Sum(1, (j, 3, 1)), "=", 0).status == "holds"
    assert judge(Sum(1, (j, 3, 1)), "=", -1).message == "violated: left = 0, right = -1"


# 6. huge numbers -----------------------------------------------------------------------

def test_huge_numbers_are_refused_with_a_reason():
    huge = Pow(10, 2000, evaluate=False)
    outcome = judge(Expectation(z, Gaussian(z, huge, 1)), "=", huge)
    assert outcome.message == "not applicable: the number 10^2000 is too large or too small for floating point"
    outcome = judge(x, "=", Integer(10) ** 2000)
    assert outcome.message == "not applicable: a number is too large for floating point (2001 digits)"
    outcome = judge(Sum(x, (j, 1, J)), "=", J * x, [(J, ">=", 10 ** 12)])
    assert outcome.message == "not applicable: the assumptions on the size J make it too large to write out"
