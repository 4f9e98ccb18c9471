"""Counterexamples from a residual: values of the free variables at which a step breaks.

Only a residual free of the algebra's opaque objects (densities, expectations, sums...) is
evaluated; the numeric judge handles the rest. Every reported counterexample satisfies every
fact the step is checked under: the assumptions, including those that reach the step through
another variable (``x >= exp(y)`` draws y too), and the domain conditions. A fact that cannot be
evaluated on plain numbers while it speaks of a drawn variable means no counterexample is
claimed at all.
"""
import random
from typing import Sequence, Tuple

from sympy import Expr, Indexed, Integer, Rational

from ..relations import EQ, STRICT, holds
from .normal_form import OPAQUE

TOLERANCE = 1e-9
ATTEMPTS = 64


def _connected(symbols, facts):
    """The symbols of ``symbols`` and of every fact linked to them through shared symbols,
    and those facts."""
    symbols = set(symbols)
    chosen, changed = [], True
    while changed:
        changed = False
        for fact in facts:
            if fact in chosen:
                continue
            names = fact[0].free_symbols | fact[2].free_symbols
            if names & symbols:
                chosen.append(fact)
                symbols |= names
                changed = True
    return symbols, chosen


def _draw(rng, s):
    if s.is_integer:
        lo = 1 if s.is_positive else 0 if s.is_nonnegative else -5
        hi = -1 if s.is_negative else 0 if s.is_nonpositive else 5
        return Integer(rng.randint(lo, hi))
    if s.is_positive:
        return Rational(rng.randint(1, 30), 10)
    if s.is_nonnegative:
        return Rational(rng.randint(0, 30), 10)
    if s.is_negative:
        return Rational(-rng.randint(1, 30), 10)
    return Rational(rng.randint(-20, 20), 10)


def _value(expr, values):
    """``expr`` at ``values`` as a Python complex, or None where it has no finite value."""
    try:
        v = complex(expr.xreplace(values).evalf(30))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if v != v or abs(v) == float("inf"):
        return None
    return v


def _real(expr, values):
    v = _value(expr, values)
    if v is None or abs(v.imag) > TOLERANCE * (1 + abs(v.real)):
        return None
    return v.real


def breaks(value: float, relation: str) -> bool:
    """Whether a residual (larger side minus smaller, or left minus right for '=') of ``value``
    breaks the step: nonzero for '=', negative (or zero for a strict relation) otherwise."""
    if relation == EQ:
        return abs(value) > TOLERANCE
    return value < -TOLERANCE or (relation in STRICT and abs(value) <= TOLERANCE)


def search(residual: Expr, relation: str, facts: Sequence = (), seed: int = 0
           ) -> Tuple[Tuple[Expr, Expr], ...]:
    """(symbol, value) pairs at which ``residual`` breaks the step and every fact holds."""
    if residual.has(*OPAQUE, Indexed) or not residual.free_symbols:
        return ()
    symbols, linked = _connected(residual.free_symbols, facts)
    if any(a.has(*OPAQUE, Indexed) or b.has(*OPAQUE, Indexed) for a, _, b in linked):
        return ()
    symbols = sorted(symbols, key=str)
    rng = random.Random(seed)
    for _ in range(ATTEMPTS):
        values = {s: _draw(rng, s) for s in symbols}
        if not all(_fact_holds(f, values) for f in linked):
            continue
        value = _real(residual, values)
        if value is not None and breaks(value, relation):
            return tuple((s, values[s]) for s in symbols)
    return ()


def _fact_holds(fact, values):
    lhs, rel, rhs = fact
    d = _real(lhs - rhs, values)
    return d is not None and holds(d, rel, 0.0 if rel != EQ else TOLERANCE)


__all__ = ["search", "breaks"]
