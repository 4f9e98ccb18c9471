"""The numeric judge: try to break ``lhs REL rhs`` on random Gaussian instances.

It never proves anything; it either finds an instance where the step fails (a counterexample a
person can read) or reports how many instances it survived. Whatever it cannot evaluate makes it
'not-applicable' rather than raising, so it can run behind every step of the symbolic checker.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
from sympy import default_sort_key, sympify

from ..relations import EQ, GE, GT, LE, LT, canonical, holds
from .evaluate import Evaluator, Structure, expand_sums, size_symbols
from .instances import Skip, Unsupported, draw_instance, size_choices, symbol_bounds

HOLDS, VIOLATED, NOT_APPLICABLE = "holds", "violated", "not-applicable"
TOLERANCE = 1e-8


@dataclass(frozen=True)
class Outcome:
    status: str                     # 'holds' | 'violated' | 'not-applicable'
    instances: int = 0              # instances actually evaluated
    counterexample: Optional[Tuple[Tuple[str, float], ...]] = None
    message: str = ""


def _broken(left, right, relation):
    """Whether ``left REL right`` fails beyond the tolerance (strict relations conservatively)."""
    tol = TOLERANCE * (1 + abs(left))
    return not holds(left - right, relation if relation in (EQ, GE, LE) else
                     {GT: GE, LT: LE}[relation], tol)


def _fact_holds(left, right, relation):
    if relation == EQ:
        return holds(left - right, EQ, TOLERANCE * (1 + abs(left)))
    return holds(left - right, relation)


def _fmt(v, digits):
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.{digits}g}"


def _message(pairs, left, right):
    """"violated at x = 0.31, ...: left = ..., right = ...", with enough digits to differ."""
    for digits in range(4, 18):
        if _fmt(left, digits) != _fmt(right, digits):
            break
    where = ", ".join(f"{n} = {_fmt(v, 4)}" for n, v in pairs)
    sides = f"left = {_fmt(left, digits)}, right = {_fmt(right, digits)}"
    return f"violated at {where}: {sides}" if where else f"violated: {sides}"


class _Prepared:
    """The step and the facts for one choice of sizes: sums expanded, atoms and families found."""

    def __init__(self, lhs, rhs, facts, sizes):
        self.lhs, self.rhs = expand_sums(lhs, sizes), expand_sums(rhs, sizes)
        self.structure = Structure().scan(self.lhs).scan(self.rhs).finish()
        free = set(self.structure.free)
        self.facts = []
        for a, rel, b in facts:
            a, b = expand_sums(a, sizes), expand_sums(b, sizes)
            try:
                atoms = Structure().scan(a).scan(b).finish().free
            except Unsupported:
                continue
            if atoms and set(atoms) <= free:     # a fact about this step's values: check it
                self.facts.append((a, rel, b))


def judge(lhs, relation, rhs, assumptions=(), draws=8, seed=0):
    """Evaluate both sides on random instances; 'violated' at the first one that breaks the step."""
    relation = canonical(relation)
    try:
        return _judge(lhs, relation, rhs, assumptions, draws, seed)
    except KeyboardInterrupt:
        raise
    except Unsupported as exc:
        return Outcome(NOT_APPLICABLE, 0, None, f"not applicable: {exc}")
    except Exception as exc:     # never crash the checker: a failure here only means "no opinion"
        return Outcome(NOT_APPLICABLE, 0, None,
                       f"not applicable: evaluation failed ({type(exc).__name__}: {exc})")


def _judge(lhs, relation, rhs, assumptions, draws, seed):
    lhs, rhs = sympify(lhs, strict=True), sympify(rhs, strict=True)
    facts = [(sympify(a, strict=True), canonical(r), sympify(b, strict=True))
             for a, r, b in assumptions]
    bounds = symbol_bounds(facts)
    sizes = sorted(size_symbols(lhs) | size_symbols(rhs), key=default_sort_key)
    choices = {s: size_choices(s, bounds) for s in sizes}
    rng = np.random.default_rng(seed)
    prepared = {}
    evaluated, attempts, skipped = 0, 0, None
    while evaluated < draws and attempts < 4 * draws:
        attempts += 1
        drawn = {s: int(rng.choice(choices[s])) for s in sizes}
        key = tuple(drawn.values())
        if key not in prepared:
            prepared[key] = _Prepared(lhs, rhs, facts, drawn)
        prep = prepared[key]
        instance = draw_instance(rng, drawn, prep.structure, bounds, attempts - 1)
        evaluator = Evaluator(instance)
        try:
            if not all(_fact_holds(evaluator.value(a), evaluator.value(b), rel) for a, rel, b in prep.facts):
                skipped = "the draws did not satisfy the assumptions"
                continue
            left, right = evaluator.value(prep.lhs), evaluator.value(prep.rhs)
        except Skip as exc:
            skipped = str(exc)
            continue
        evaluated += 1
        if _broken(left, right, relation):
            pairs = instance.named_values(prep.structure.free)
            return Outcome(VIOLATED, evaluated, pairs + (("left", left), ("right", right)),
                           _message(pairs, left, right))
    if evaluated < 2:
        return Outcome(NOT_APPLICABLE, evaluated, None,
                       f"not applicable: only {evaluated} of {attempts} instances could be evaluated"
                       + (f" ({skipped})" if skipped else ""))
    return Outcome(HOLDS, evaluated, None, f"holds numerically on {evaluated} instances")
