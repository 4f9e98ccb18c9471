"""The second judge behind the symbolic verdict: random Gaussian instances (``elbo_sym.numeric``).

It can only take a step away from ``unknown`` towards ``refuted`` (with a counterexample), never
towards ``verified``. A step verified symbolically that fails numerically is an internal
inconsistency: a bug in one of the judges. (A symbolic counterexample that random draws miss is
no inconsistency: the numbers prove nothing.)
numpy is imported here only when the pass runs.
"""
from dataclasses import replace
from typing import TYPE_CHECKING, Iterable, Sequence, Tuple

from sympy import Expr

from .step import REFUTED, UNKNOWN, VERIFIED, StepResult

if TYPE_CHECKING:
    from ..derivation import ModelDeclaration

DRAWS = 8


def cross_check(result: StepResult, lhs: Expr, relation: str, rhs: Expr,
                assumptions: Iterable[Tuple[Expr, str, Expr]] = (), seed: int = 0,
                models: Sequence["ModelDeclaration"] = ()) -> StepResult:
    """``result`` with the numeric outcome attached and its verdict adjusted. ``models``: the
    ``ModelDeclaration``s in force, whose graphs the random instances respect."""
    from ..numeric import VIOLATED, judge

    outcome = judge(lhs, relation, rhs, assumptions, draws=DRAWS, seed=seed, models=models)
    result = replace(result, numeric=outcome)
    if outcome.status == VIOLATED and result.verdict == VERIFIED:
        return replace(result, verdict=UNKNOWN, inconsistent=True,
                       reason="internal inconsistency: verified symbolically but "
                              f"{outcome.message} (a bug in elbo-check; please report it)")
    if outcome.status == VIOLATED and result.verdict == UNKNOWN:
        return replace(result, verdict=REFUTED)
    return result
