"""The second judge behind the symbolic verdict: random Gaussian instances (``elbo_sym.numeric``).

It can only take a step away from ``unknown`` towards ``refuted`` (with a counterexample), never
towards ``verified``. A step verified symbolically that fails numerically is an internal
inconsistency: a bug in one of the judges. (A symbolic counterexample that random draws miss is
no inconsistency: the numbers prove nothing.)
numpy is imported here only when the pass runs.
"""
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Dict, Iterable, Optional, Sequence, Tuple

from sympy import Expr, sympify

from ..relations import canonical
from .context import remember
from .step import REFUTED, UNKNOWN, VERIFIED, StepResult

if TYPE_CHECKING:
    from ..derivation import ModelDeclaration
    from ..numeric import Outcome

DRAWS = 8

# The judge's outcomes already found, by everything it reads: its draws are seeded, so the
# same step under the same assumptions, models and seed has the same outcome (a warm process
# checking a text again). An outcome is kept only once the judge has returned it: never one a
# time limit or an interrupt cut short.
_OUTCOMES: Dict[Tuple[Any, ...], "Outcome"] = {}
_OUTCOMES_KEPT = 4096


def _outcome_key(lhs: Expr, relation: str, rhs: Expr,
                 assumptions: Sequence[Tuple[Expr, str, Expr]], seed: int,
                 models: Sequence["ModelDeclaration"]) -> Optional[Tuple[Any, ...]]:
    """Everything the judge reads, as one hashable key; None when a part cannot be one."""
    try:
        facts = tuple((sympify(a, strict=True), canonical(r), sympify(b, strict=True))
                      for a, r, b in assumptions)
        key = (sympify(lhs, strict=True), canonical(relation), sympify(rhs, strict=True), facts,
               DRAWS, seed, tuple((m.joint, tuple(m.factors)) for m in models))
        hash(key)
    except Exception:       # not sympy, not hashable: the judge alone says what it makes of it
        return None
    return key


def judged(lhs: Expr, relation: str, rhs: Expr,
           assumptions: Iterable[Tuple[Expr, str, Expr]] = (), seed: int = 0,
           models: Sequence["ModelDeclaration"] = ()) -> "Outcome":
    """The numeric judge's outcome on ``lhs relation rhs`` (``DRAWS`` instances), remembered."""
    from ..numeric import judge

    assumptions, models = tuple(assumptions), tuple(models)
    key = _outcome_key(lhs, relation, rhs, assumptions, seed, models)
    found = _OUTCOMES.get(key) if key is not None else None
    if found is None:
        found = judge(lhs, relation, rhs, assumptions, draws=DRAWS, seed=seed, models=models)
        if key is not None:
            remember(_OUTCOMES, key, found, _OUTCOMES_KEPT)
    return found


def clear_outcomes() -> None:
    """Forget the outcomes found (for benchmarks that time from cold, and tests)."""
    _OUTCOMES.clear()


def cross_check(result: StepResult, lhs: Expr, relation: str, rhs: Expr,
                assumptions: Iterable[Tuple[Expr, str, Expr]] = (), seed: int = 0,
                models: Sequence["ModelDeclaration"] = ()) -> StepResult:
    """``result`` with the numeric outcome attached and its verdict adjusted. ``models``: the
    ``ModelDeclaration``s in force, whose graphs the random instances respect."""
    from ..numeric import VIOLATED

    outcome = judged(lhs, relation, rhs, assumptions, seed, models)
    result = replace(result, numeric=outcome)
    if outcome.status == VIOLATED and result.verdict == VERIFIED:
        return replace(result, verdict=UNKNOWN, inconsistent=True,
                       reason="internal inconsistency: verified symbolically but "
                              f"{outcome.message} (a bug in elbo-check; please report it)")
    if outcome.status == VIOLATED and result.verdict == UNKNOWN:
        return replace(result, verdict=REFUTED)
    return result
