"""Bugs mypy found in the checker (issue 17): each test fails on the code before the fix."""
from sympy import Function, Symbol

from conftest import check_deriv
from elbo_sym.checker.step import check_step
from elbo_sym.relations import UNKNOWN

UNKNOWN_FUNCTION_FACT = """derivation unknown-fact "an unknown function in a linked assumption"
function f
assume f(x) >= 0
  x
  = 2 x
"""


def test_linked_fact_with_unknown_function_leaves_step_unknown(tmp_path):
    """A false step whose variable is linked to an assumption that cannot be evaluated (an
    unknown function) has no certified counterexample: unknown, not an internal error."""
    code, steps = check_deriv(tmp_path, UNKNOWN_FUNCTION_FACT)
    assert code == 1
    assert [s["verdict"] for s in steps] == ["unknown"]


def test_check_step_linked_fact_with_unknown_function():
    x = Symbol("x", real=True)
    result = check_step(x, "=", 2 * x, assumptions=[(Function("f")(x), ">=", 0)])
    assert result.verdict == UNKNOWN
    assert result.counterexample == ()
