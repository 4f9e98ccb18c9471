"""One-step mutants of a derivation, for measuring soundness: each is a plausible slip (a sign,
a swapped KL, a swapped conditional, a reversed inequality, a dropped term, a term pulled out of
an expectation, a changed constant, a bound variable renamed to a free one, an index shifted by
one, a sum's bound moved, a let's arguments exchanged). A sound checker verifies none of the
false ones; which mutants are false is decided by proof, never by the numbers (``equivalence``).
"""
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

from sympy import (Add, Expr, Indexed, Integer, Product, Rational, Sum, Symbol, default_sort_key,
                   preorder_traversal)

from .algebra import KL, Defined, Density, Expectation, VariableRange
from .derivation import Definition, Derivation, Step
from .errors import DomainError
from .relations import EQ, reverse
from .slips import (BOUND_RENAME, CONDITIONAL_SWAP, CONSTANT, CONSTANT_SLIP, DROP, INDEX_SHIFT,
                    KL_SWAP, LET_SWAP, PULL_OUT, REVERSE, SIGN, SUM_BOUND, SUM_BOUND_SLIPS,
                    let_swaps, moved_bounds, shifted, swapped_kl, turned_around)

if TYPE_CHECKING:
    from .checker.step import StepResult


@dataclass(frozen=True)
class Mutant:
    derivation: Derivation   # the original with one step replaced
    index: int               # 1-based index of the mutated step
    kind: str
    description: str
    original: Optional[Step] = None   # the step before the slip

    @property
    def step(self) -> Step:
        return self.derivation.steps[self.index - 1]

    @property
    def previous(self) -> Expr:
        """The expression the mutated step starts from."""
        i = self.index - 1
        return self.derivation.start if i == 0 else self.derivation.steps[i - 1].expr

    @property
    def facts(self) -> List[Tuple[Expr, str, Expr]]:
        return [(a.lhs, a.relation, a.rhs) for a in self.derivation.assumptions]

    @property
    def relation_only(self) -> bool:
        """Whether only the relation changed (a reversed inequality), not the expression."""
        return self.original is not None and self.original.expr == self.step.expr


def _subtrees(expr):
    seen = []
    for node in preorder_traversal(expr):
        if node not in seen:
            seen.append(node)
    return seen


def _sum_symbols(expr):
    """The indices of the sums in ``expr`` and the symbols that bound them: no variables."""
    return {s for node in preorder_traversal(expr) if isinstance(node, Sum)
            for j, lo, hi in node.limits for s in {j} | lo.free_symbols | hi.free_symbols}


def _variables(expr, within=None):
    """The variables free in ``expr`` (plain and indexed), in a fixed order. Inside ``within``
    (the whole step), a sum's index and bounds are no variables; an element z_j whose index is
    a sum's counts only when ``within`` is given (it is free inside that sum, not outside)."""
    sizes = _sum_symbols(within if within is not None else expr)
    found = {s for s in expr.free_symbols if isinstance(s, (Symbol, Indexed)) and s not in sizes
             and (within is not None or not (s.free_symbols - {s}) & sizes)}
    return sorted(found, key=default_sort_key)


def expression_mutants(expr: Expr, free: Sequence[Expr] = (),
                       definitions: Sequence[Definition] = ()) -> list:
    """(kind, description, mutated expression) for every slip the expression admits.
    ``free`` adds variables free elsewhere in the step (its left side), for renaming a bound
    variable; ``definitions`` are the derivation's lets, for exchanging their arguments."""
    out = []

    def add(kind, what, build):
        try:
            new = build()
        except DomainError:   # the slip makes no meaningful object (x on both sides of a bar)
            return
        if new != expr:
            out.append((kind, what, new))

    def at(node, new):
        return lambda: expr.xreplace({node: new() if callable(new) else new})

    free_vars = sorted(set(_variables(expr)) | set(free), key=default_sort_key)
    for node in _subtrees(expr):
        if isinstance(node, Add):
            for t in node.args:
                rest = [a for a in node.args if a != t]
                add(SIGN, f"sign of {t} flipped", at(node, lambda: Add(*rest, -t)))
                add(DROP, f"{t} dropped", at(node, lambda: Add(*rest)))
        if isinstance(node, KL):
            add(KL_SWAP, "KL arguments swapped", at(node, lambda: swapped_kl(node)))
        if isinstance(node, Density) and node.is_conditional:
            add(CONDITIONAL_SWAP, f"{node} turned around",
                at(node, lambda: turned_around(node)))
        if isinstance(node, Expectation):
            bound = node.bound_variables
            if isinstance(node.integrand, Add):
                for t in node.integrand.args:
                    if t.has(*bound):
                        rest = Add(*[a for a in node.integrand.args if a != t])
                        add(PULL_OUT, f"{t} moved out of the expectation",
                            at(node, lambda: Expectation(rest, node.density) + t))
            candidates = sorted(set(free_vars) | set(_variables(node, expr)), key=default_sort_key)
            for b in bound:
                if not node.integrand.has(b):
                    continue
                for v in candidates:
                    if v in bound or v == b:
                        continue
                    add(BOUND_RENAME, f"bound {b} renamed to the free {v} in the integrand",
                        at(node, lambda: Expectation(node.integrand.xreplace({b: v}), node.density)))
        if isinstance(node, Sum):
            indices = {j for j, _, _ in node.limits}
            for element in _subtrees(node.function):
                if isinstance(element, Indexed) and any(i.has(j) for i in element.indices for j in indices):
                    for j in indices:
                        if any(i.has(j) for i in element.indices):
                            moved = shifted(element, j)
                            add(INDEX_SHIFT, f"{element} shifted to {moved}",
                                at(node, lambda: Sum(node.function.xreplace({element: moved}),
                                                     *node.limits)))
            for what, build in _sum_bound_slips(node):
                add(SUM_BOUND, what, at(node, build))
        if isinstance(node, Defined) and len(node.arguments) >= 2:
            for a, b, swapped in let_swaps(node, definitions):
                add(LET_SWAP, f"arguments {a} and {b} of {node.name} exchanged", at(node, swapped))
    for node in _constants(expr):
        add(CONSTANT, f"{node} changed to {node + CONSTANT_SLIP}",
            lambda: _replace_constant(expr, node, node + CONSTANT_SLIP))
    return out


def _sum_bound_slips(node):
    """(description, build) for each bound of the sum ``node`` moved as SUM_BOUND_SLIPS say."""
    for which, j, was, now, build in moved_bounds(node, SUM_BOUND_SLIPS):
        yield f"{which} bound {was} of the sum over {j} changed to {now}", build


def _constants(e, found=None):
    """The numbers of ``e`` outside indices and sum bounds (those have their own operators:
    index-shift and sum-bound; changing the 1 of z_1 renames a variable, no slip)."""
    found = [] if found is None else found
    if isinstance(e, (Integer, Rational)):
        if e not in (0, -1) and e not in found:
            found.append(e)
    elif isinstance(e, (Sum, Product)):
        _constants(e.function, found)
    elif e.args and not isinstance(e, (Indexed, VariableRange)):
        for a in e.args:
            _constants(a, found)
    return found


def _replace_constant(e, old, new):
    if e == old:
        return new
    if isinstance(e, (Indexed, VariableRange)) or not e.args:
        return e
    if isinstance(e, (Sum, Product)):
        return e.func(_replace_constant(e.function, old, new), *e.limits)
    return e.func(*[_replace_constant(a, old, new) for a in e.args])


def _with_step(derivation, i, step):
    steps = list(derivation.steps)
    steps[i] = step
    return replace(derivation, steps=tuple(steps))


def mutants(derivation: Derivation) -> list:
    """Every one-step mutant of ``derivation``."""
    out = []
    for i, step in enumerate(derivation.steps):
        previous = derivation.start if i == 0 else derivation.steps[i - 1].expr
        reversed_relation = reverse(step.relation)
        if reversed_relation:
            out.append(Mutant(_with_step(derivation, i, replace(step, relation=reversed_relation)),
                              i + 1, REVERSE, f"{step.relation} reversed", step))
        for kind, what, new in expression_mutants(step.expr, _variables(previous),
                                                  derivation.definitions):
            out.append(Mutant(_with_step(derivation, i, replace(step, expr=new)), i + 1, kind, what,
                              step))
    return out


# Which mutants are false: decided by proof.

EQUIVALENT, COUNTED = "equivalent", "counted"


def equivalence(m: Mutant, timeout: Optional[float] = 10.0) -> "StepResult":
    """The checker's result on the claim that makes ``m`` no slip at all, with every rule:
    ``original = mutant`` for a changed expression; for a relation-only mutant (a reversed
    inequality), ``previous = expression``, the two sides of the step being equal. A mutant is
    excluded from the count only when this is verified."""
    from .checker import UNKNOWN, StepResult, check_step
    from .checker.limits import StepTimeout, check_time, time_limit

    if m.relation_only:
        lhs, rhs = m.previous, m.step.expr
    else:
        assert m.original is not None, "a mutant of an expression keeps the step it changed"
        lhs, rhs = m.original.expr, m.step.expr
    try:
        with time_limit(timeout):
            return check_step(lhs, EQ, rhs, (), m.facts)
    except (StepTimeout, DomainError) as exc:
        check_time()   # a caller's limit that ran out too is not this check's to absorb
        return StepResult(UNKNOWN, reason=str(exc))


@dataclass(frozen=True)
class Judged:
    """A mutant's fate in the suite: excluded as proven equivalent, or counted with a verdict."""

    mutant: Mutant
    status: str                       # EQUIVALENT or COUNTED
    verdict: Optional[str] = None     # the symbolic verdict (counted mutants)
    final: Optional[str] = None       # after the numeric judge: refuted / unknown / verified
    numeric: Optional[str] = None     # the numeric judge's status, when it ran
    message: str = ""


def judge_mutant(m: Mutant, draws: int = 64, timeout: Optional[float] = 10.0,
                 numeric: bool = True) -> Judged:
    """Exclude ``m`` if it is proven equivalent to the original step; otherwise its symbolic
    verdict and, behind an unknown or verified one, the numeric judge on ``draws`` instances
    (which may refute, never verify). An excluded mutant is still judged numerically: a
    violation there means the equivalence proof is wrong, a bug reported as ``numeric``."""
    from .checker import REFUTED, UNKNOWN, VERIFIED, StepResult, check_step
    from .checker.limits import StepTimeout, check_time, time_limit

    step = m.step

    def numbers():
        if not numeric:
            return None, ""
        from .numeric import judge

        outcome = judge(m.previous, step.relation, step.expr, m.facts, draws=draws)
        return outcome.status, outcome.message

    if equivalence(m, timeout).verdict == VERIFIED:
        status, message = numbers()
        return Judged(m, EQUIVALENT, numeric=status, message=message)
    try:
        with time_limit(timeout):
            result = check_step(m.previous, step.relation, step.expr, step.rules, m.facts)
    except (StepTimeout, DomainError) as exc:
        check_time()   # a caller's limit that ran out too is not this check's to absorb
        result = StepResult(UNKNOWN, reason=str(exc))
    if result.verdict == REFUTED:
        return Judged(m, COUNTED, REFUTED, REFUTED, message=result.reason or "")
    status, message = numbers()
    final = result.verdict
    if result.verdict == UNKNOWN and status == "violated":
        final = REFUTED
    return Judged(m, COUNTED, result.verdict, final, status, message or result.reason or "")
