"""A whole derivation: every step against the expression before it."""
from dataclasses import dataclass
from typing import Tuple

from ..derivation import Derivation, mixes_directions
from .numeric_pass import cross_check
from .step import StepResult, check_step


@dataclass(frozen=True)
class DerivationResult:
    derivation: Derivation
    steps: Tuple[StepResult, ...]

    @property
    def inconsistent(self):
        return any(s.inconsistent for s in self.steps)

    def ok(self, strict=False):
        """Every step verified (under --strict, also with no rule missing from a citation)."""
        return all(s.verified and not (strict and s.missing) for s in self.steps)


def check_derivation(derivation, numeric=False, seed=0):
    """Every step against the one before; ``numeric`` runs the second judge behind each."""
    if mixes_directions(s.relation for s in derivation.steps):
        raise ValueError(f"the chain of {derivation.name} mixes <-type and >-type relations")
    facts = [(a.lhs, a.relation, a.rhs) for a in derivation.assumptions]
    results, previous = [], derivation.start
    for step in derivation.steps:
        result = check_step(previous, step.relation, step.expr, step.rules, facts)
        if numeric:
            result = cross_check(result, previous, step.relation, step.expr, facts, seed)
        results.append(result)
        previous = step.expr
    return DerivationResult(derivation, tuple(results))
