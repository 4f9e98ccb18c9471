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
from .evaluate import TOLERANCE, Evaluator, size_symbols
from .facts import Plan, _fact_str
from .instances import Instance, Skip, Unsupported, draw_families, size_choices, symbol_bounds

HOLDS, VIOLATED, NOT_APPLICABLE = "holds", "violated", "not-applicable"
_ATTEMPTS = 6          # per instance wanted: draws that break an assumption are rejected


@dataclass(frozen=True)
class Outcome:
    status: str                     # 'holds' | 'violated' | 'not-applicable'
    instances: int = 0              # instances actually evaluated
    counterexample: Optional[Tuple[Tuple[str, float], ...]] = None
    message: str = ""


def tolerance(left_scale, right_scale):
    """How far two sides may differ by rounding and quadrature error: relative to the size of
    the terms they were computed from (their scales), not to their values."""
    return TOLERANCE * (1 + left_scale + right_scale)


def _broken(left, right, relation, tol):
    """Whether ``left REL right`` fails beyond ``tol`` (strict relations conservatively)."""
    return not holds(left - right, relation if relation in (EQ, GE, LE) else
                     {GT: GE, LT: LE}[relation], tol)


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


def judge(lhs, relation, rhs, assumptions=(), draws=8, seed=0):
    """Evaluate both sides on random instances; 'violated' at the first one that breaks the step."""
    relation = canonical(relation)
    try:
        return _judge(lhs, relation, rhs, assumptions, draws, seed)
    except KeyboardInterrupt:
        raise
    except Unsupported as exc:
        return Outcome(NOT_APPLICABLE, 0, None, f"not applicable: {exc}")
    except RecursionError:
        return Outcome(NOT_APPLICABLE, 0, None, "not applicable: the expression is nested too deeply")
    except Exception as exc:     # never crash the checker: a failure here only means "no opinion"
        return Outcome(NOT_APPLICABLE, 0, None,
                       f"not applicable: evaluation failed ({type(exc).__name__}: {exc})")


def _judge(lhs, relation, rhs, assumptions, draws, seed):
    lhs, rhs = sympify(lhs, strict=True), sympify(rhs, strict=True)
    facts = [(sympify(a, strict=True), canonical(r), sympify(b, strict=True))
             for a, r, b in assumptions]
    sizes = sorted(size_symbols(lhs) | size_symbols(rhs), key=default_sort_key)
    bounds = symbol_bounds(facts)
    choices = {s: size_choices(s, bounds) for s in sizes}
    rng = np.random.default_rng(seed)
    plans = {}
    evaluated, attempts, skipped = 0, 0, None
    while evaluated < draws and attempts < _ATTEMPTS * draws:
        attempts += 1
        drawn = {s: int(rng.choice(choices[s])) for s in sizes}
        key = tuple(drawn.values())
        if key not in plans:
            plans[key] = Plan(lhs, rhs, facts, drawn)
        plan = plans[key]
        try:
            values = plan.draw_values(rng)
            instance = Instance(dict(drawn), values,
                                draw_families(rng, plan.structure, attempts - 1))
            evaluator = Evaluator(instance)
            broken = plan.broken_fact(evaluator)
            if broken is not None:
                skipped = f"the draws did not satisfy the assumption {_fact_str(broken)}"
                continue
            (left, ml), (right, mr) = evaluator.value(plan.lhs), evaluator.value(plan.rhs)
        except Skip as exc:
            skipped = str(exc)
            continue
        evaluated += 1
        if _broken(left, right, relation, tolerance(ml, mr)):
            pairs = instance.named_values(plan.shown)
            return Outcome(VIOLATED, evaluated, pairs + (("left", left), ("right", right)),
                           _message(pairs, left, right))
    if evaluated < 2:
        return Outcome(NOT_APPLICABLE, evaluated, None,
                       f"not applicable: only {evaluated} of {attempts} instances could be evaluated"
                       + (f" ({skipped})" if skipped else ""))
    return Outcome(HOLDS, evaluated, None, f"holds numerically on {evaluated} instances")
