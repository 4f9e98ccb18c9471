"""A whole derivation: every step against the expression before it."""
from dataclasses import dataclass, replace
from typing import Optional, Tuple

from sympy import Expr

from ..derivation import Derivation, mixes_directions
from ..errors import DomainError
from ..policy import DEFAULT_EXPLAIN_BUDGET, DEFAULT_TIMEOUT, CheckPolicy, Numeric, NumericLike
from .numeric_pass import cross_check
from .limits import StepTimeout, check_time, time_limit
from .context import chain_context
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
    def inconsistent(self) -> bool:
        return any(s.inconsistent for s in self.steps)

    def ok(self, strict: bool = False) -> bool:
        """Every step verified (under --strict, also with no rule missing from a citation)."""
        return all(s.verified and not (strict and s.missing) for s in self.steps)


# numeric= for the second judge only behind the steps the symbolic checker did not verify:
# `derive` and `latex` stay numpy-free when every step is verified, yet a wrong step reads ✗
UNVERIFIED = Numeric.UNVERIFIED


def check_derivation(derivation: Derivation, numeric: NumericLike = False, seed: int = 0,
                     timeout: Optional[float] = DEFAULT_TIMEOUT, explain: bool = True,
                     explain_budget: Optional[float] = DEFAULT_EXPLAIN_BUDGET, *,
                     policy: Optional[CheckPolicy] = None) -> DerivationResult:
    """Every step against the one before, as ``policy`` says (without one, the policy of the
    keyword arguments: ``numeric`` True, False, None or ``UNVERIFIED``, see ``Numeric.of``).
    The numeric judge runs behind every step, behind each step not verified, or never; it can
    move a step from unknown to refuted, never towards verified. Each judge gets ``timeout``
    seconds per step (None: no limit). ``explain``: a step that ends not verified gets the
    nearby steps that hold (``explain.suggestions``), searched for ``explain_budget`` seconds
    at most; a verified step costs nothing."""
    if policy is None:
        policy = CheckPolicy(Numeric.of(numeric), seed, timeout, explain, explain_budget)
    seed, timeout = policy.seed, policy.timeout
    explain, explain_budget = policy.explain, policy.explain_budget
    if mixes_directions(s.relation for s in derivation.steps):
        raise ValueError(f"the chain of {derivation.name} mixes <-type and >-type relations")
    facts = [(a.lhs, a.relation, a.rhs) for a in derivation.assumptions]
    context = chain_context(facts, derivation.models)    # prepared once, for every step
    results, previous = [], derivation.start
    for step in derivation.steps:
        check_time()   # a caller's limit around the whole chain that ran out ends it here
        try:
            with time_limit(timeout):
                result = check_step(previous, step.relation, step.expr, step.rules,
                                    context=context)
        except (StepTimeout, DomainError) as exc:
            check_time()   # a caller's limit that ran out too is not this step's to absorb
            result = StepResult(UNKNOWN, tuple(step.rules), reason=str(exc))
        if policy.judges(result.verified):
            try:
                with time_limit(timeout):
                    result = cross_check(result, previous, step.relation, step.expr,
                                         facts + list(result.conditions), seed, derivation.models)
            except StepTimeout:
                check_time()   # a caller's limit that ran out too ends the chain
                # this one's: the symbolic verdict stands without a numeric opinion
        if explain and not result.verified and not result.inconsistent:
            from .explain import suggestions

            result = replace(result, suggestions=suggestions(
                previous, step.relation, step.expr, result, step.rules, facts, derivation.models,
                explain_budget, derivation.definitions,
                chain=tuple(s.relation for s in derivation.steps if s is not step)))
        results.append(result)
        previous = step.expr
    conditions = []
    for result in results:
        conditions += [c for c in result.conditions if c not in conditions]
    return DerivationResult(derivation, tuple(results), tuple(conditions))
