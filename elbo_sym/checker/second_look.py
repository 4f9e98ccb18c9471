"""The numeric judge on the steps the symbolic checker did not verify, and only on them.

``derive`` and ``latex`` check built-ins symbolically (no numpy: the command stays fast), yet
a wrong step must read ✗ in the PDF as it does under ``check``. So after the symbolic pass,
each step that is not verified gets the same cross-check ``check`` runs behind every step;
numpy is imported only when such a step exists. A verified step is never re-judged here, so
this pass can move a step from ``unknown`` to ``refuted``, never towards ``verified``.
"""
from dataclasses import replace
from typing import Optional

from .chain import DerivationResult
from .limits import StepTimeout, time_limit
from .numeric_pass import cross_check


def judge_unverified(result: DerivationResult, seed: int = 0,
                     timeout: Optional[float] = 10.0) -> DerivationResult:
    """``result`` with the numeric judge's opinion on each step that is not verified (and not
    already judged numerically)."""
    d = result.derivation
    if all(s.verified or s.numeric is not None for s in result.steps):
        return result
    facts = [(a.lhs, a.relation, a.rhs) for a in d.assumptions]
    steps, previous = [], d.start
    for step, res in zip(d.steps, result.steps):
        if not res.verified and res.numeric is None:
            try:
                with time_limit(timeout):
                    res = cross_check(res, previous, step.relation, step.expr,
                                      facts + list(res.conditions), seed, d.models)
            except StepTimeout:
                pass  # the symbolic verdict stands without a numeric opinion
        steps.append(res)
        previous = step.expr
    return replace(result, steps=tuple(steps))
