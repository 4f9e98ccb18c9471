"""A whole derivation: every step against the expression before it."""
from dataclasses import dataclass, replace
from typing import Tuple

from sympy import Expr

from ..derivation import Derivation, mixes_directions
from ..errors import DomainError
from .numeric_pass import cross_check
from .limits import StepTimeout, time_limit
from .step import UNKNOWN, StepResult, check_step


@dataclass(frozen=True)
class DerivationResult:
    derivation: Derivation
    steps: Tuple[StepResult, ...]
    # where the chain's terms are defined (a variance positive, what log takes positive, a
    # denominator nonzero): the (lhs, relation, rhs) conditions its steps were checked under,
    # beside the derivation's own assumptions; each step uses those of its own terms
    conditions: Tuple[Tuple[Expr, str, Expr], ...] = ()

    @property
    def inconsistent(self):
        return any(s.inconsistent for s in self.steps)

    def ok(self, strict=False):
        """Every step verified (under --strict, also with no rule missing from a citation)."""
        return all(s.verified and not (strict and s.missing) for s in self.steps)


DEFAULT_TIMEOUT = 10.0
# numeric= for the second judge only behind the steps the symbolic checker did not verify:
# `derive` and `latex` stay numpy-free when every step is verified, yet a wrong step reads ✗
UNVERIFIED = "unverified"


def check_derivation(derivation, numeric=False, seed=0, timeout=DEFAULT_TIMEOUT, explain=True,
                     explain_budget=1.0):
    """Every step against the one before; ``numeric`` runs the second judge behind each (True),
    behind each step not verified (``UNVERIFIED``), or never (False); it can move a step
    from unknown to refuted, never towards verified. Each judge gets ``timeout`` seconds per
    step (None: no limit). ``explain``: a step that ends not verified gets the nearby steps
    that hold (``explain.suggestions``), searched for ``explain_budget`` seconds at most; a
    verified step costs nothing."""
    if mixes_directions(s.relation for s in derivation.steps):
        raise ValueError(f"the chain of {derivation.name} mixes <-type and >-type relations")
    facts = [(a.lhs, a.relation, a.rhs) for a in derivation.assumptions]
    results, previous = [], derivation.start
    for step in derivation.steps:
        try:
            with time_limit(timeout):
                result = check_step(previous, step.relation, step.expr, step.rules, facts,
                                    derivation.models)
        except (StepTimeout, DomainError) as exc:
            result = StepResult(UNKNOWN, tuple(step.rules), reason=str(exc))
        if numeric is True or (numeric == UNVERIFIED and not result.verified):
            try:
                with time_limit(timeout):
                    result = cross_check(result, previous, step.relation, step.expr,
                                         facts + list(result.conditions), seed, derivation.models)
            except StepTimeout:
                pass  # the symbolic verdict stands without a numeric opinion
        if explain and not result.verified and not result.inconsistent:
            from .explain import suggestions

            result = replace(result, suggestions=suggestions(
                previous, step.relation, step.expr, result, step.rules, facts, derivation.models,
                explain_budget, derivation.definitions))
        results.append(result)
        previous = step.expr
    conditions = []
    for result in results:
        conditions += [c for c in result.conditions if c not in conditions]
    return DerivationResult(derivation, tuple(results), tuple(conditions))
