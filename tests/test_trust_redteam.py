"""Issue 16, wave 2: a red team of the judges. Contradictory assumptions make a step vacuous
(unknown, never refuted); a constant residual is judged by its exact sign (1/10^300 is not 0;
a residual that is exactly 0 where sympy cannot prove it is never refuted); a counterexample is
a point where the residual breaks the step exactly, not within rounding; chained assumed
equations are followed; a sum's count at which a domain condition has no value is no crash.
Each test fails on the code as it was before."""

from sympy import Rational, exp, log, pi, symbols

from elbo_sym.checker.counterexample import search, sign_of
from elbo_sym.checker.step import check_step

from conftest import check_deriv

x, y, a, b = symbols("x y a b")


# contradictory assumptions: the step says nothing --------------------------------------------

def test_contradictory_bounds_make_a_false_looking_step_unknown_not_refuted(tmp_path):
    code, steps = check_deriv(tmp_path, "derivation d\nassume x > 0\nassume x < 0\n  x\n  = x + 1\n")
    assert code == 1
    assert steps[0]["verdict"] == "unknown"
    assert "cannot all hold: x < 0 contradicts the others" in steps[0]["message"]
    assert steps[0]["counterexample"] == {}


def test_shifted_bounds_that_exclude_each_other_are_a_contradiction():
    r = check_step(x, "=", x + 1, assumptions=[(x, ">=", 2), (x, "<=", 1)])
    assert r.verdict == "unknown"
    assert "x <= 1 contradicts the others" in r.reason


def test_an_assumption_against_a_domain_condition_is_a_contradiction():
    r = check_step(log(x), "=", log(x) + 1, assumptions=[(x, "<", 0)])
    assert r.verdict == "unknown"
    assert "x > 0 contradicts the others" in r.reason


def test_an_equation_against_a_sign_is_a_contradiction():
    r = check_step(x, "=", 2, assumptions=[(x, ">", 0), (x, "=", -1)])
    assert r.verdict == "unknown"
    assert "x = −1 contradicts the others" in r.reason


def test_consistent_assumptions_still_refute():
    r = check_step(x, "=", x + 1, assumptions=[(x, ">", 0), (x, "<", 5)])
    assert r.verdict == "refuted"


# exact signs of constant residuals ----------------------------------------------------------

def test_sign_of_exact_numbers():
    assert sign_of(Rational(-1, 10**300)) == -1
    assert sign_of(log(2) + log(3) - log(6) - exp(-100)) == -1
    assert sign_of(log(2) + log(3) - log(6)) is None      # 0, which sympy cannot prove
    assert sign_of(pi - Rational(355, 113)) == -1


def test_a_tiny_constant_residual_refutes_an_equality(tmp_path):
    code, steps = check_deriv(tmp_path, "derivation d\n  exp(x)\n  = exp(x) + 10^(-300)\n")
    assert code == 1
    assert steps[0]["verdict"] == "refuted"


def test_a_residual_of_exp_minus_100_refutes_an_equality():
    r = check_step(log(2) + log(3), "=", log(6) + exp(-100))
    assert r.verdict == "refuted"
    assert "it is the constant" in r.reason


def test_an_exact_zero_sympy_cannot_prove_is_never_refuted():
    r = check_step(log(2) + log(3), "=", log(6))
    assert r.verdict == "unknown"   # verified would be right: sympy cannot prove it is 0


# counterexamples are exact -------------------------------------------------------------------

def test_a_strict_step_breaks_only_where_the_residual_is_zero(tmp_path):
    # x > x - y^2 / 10^30 fails only at y = 0; at y = 2/5 the residual is 1.6e-31 > 0
    code, steps = check_deriv(tmp_path, "derivation d\n  x\n  > x - y^2/10^30\n")
    assert steps[0]["verdict"] == "refuted"
    assert steps[0]["counterexample"] == {"y": "0"}


def test_search_claims_no_point_within_rounding_only():
    assert search(y**2 / 10**30 + Rational(1, 10**40), ">", ()) == ()


def test_an_assumed_equation_holds_exactly_at_a_counterexample():
    # a = b + 10^-12 is not a = b: a point where they agree only within rounding is no
    # counterexample (no drawn point satisfies the fact exactly, so none is claimed)
    assert search(a - b - 1, "=", [(a, "=", b + Rational(1, 10**12))]) == ()


# chained assumed equations --------------------------------------------------------------------

def test_chained_equations_are_followed():
    r = check_step(a**2, "=", 4, assumptions=[(a, "=", b), (b, "=", 2)])
    assert r.verdict == "verified"
    r = check_step(a + b, "=", 5, assumptions=[(a, "=", b), (b, "=", 2)])
    # refuted would be right (a + b = 4 wherever the facts hold): unknown is a known limit
    assert r.verdict == "unknown"


def test_cyclic_equations_end():
    r = check_step(a, "=", b + 1, assumptions=[(a, "=", b), (b, "=", a)])
    assert r.verdict == "refuted"


# counts where a condition has no value ---------------------------------------------------------

def test_iwae_like_sum_with_log_of_one_over_k_is_no_internal_error(tmp_path):
    text = ("derivation d\n  E_{z_{1:K} ~ q(z | x)}[ log (1/K) sum_{k=1}^{K} p(x, z_k)/q(z_k|x) ]\n"
            "  <= log p(x)\n")
    code, steps = check_deriv(tmp_path, text)
    assert code == 1
    # read as log(1/K) times the sum, -K p(x) log K: above log p(x) where p(x) is small
    assert steps[0]["verdict"] == "refuted"
