"""Counterexamples from a residual: values of the free variables at which a step breaks.

Only a residual free of the algebra's opaque objects (densities, expectations, sums...) is
evaluated; the numeric judge handles the rest. Every reported counterexample satisfies every
fact the step is checked under: the assumptions, including those that reach the step through
another variable (``x >= exp(y)`` draws y too), and the domain conditions. A fact that cannot be
evaluated on plain numbers while it speaks of a drawn variable means no counterexample is
claimed at all.

A counterexample is also a point where every term of the step as checked (its two sides, the
residual, the facts) is real and defined: every power that is not a whole nonnegative one, every
function (log, sqrt, asin, an unknown function) has a finite real value there. ``sqrt(a b) -
sqrt(a) sqrt(b)`` is 0 at a = b = -1 once the imaginary parts cancel, but sqrt(-1) is no term
of a real step; an unknown function (ReLU(x)) or a row that was not read has no known value
anywhere. A term that cannot be evaluated on numbers (one over an expectation's variable, or
of an expectation) must be real by sympy's own signs (log of a density is), or no point is
claimed.
"""
import random
from typing import Any, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from sympy import Expr, Function, Idx, Indexed, IndexedBase, Integer, Pow, Rational, Symbol
from sympy.core.function import AppliedUndef

from ..algebra import bound_symbols
from ..relations import EQ, STRICT, holds
from .normal_form import OPAQUE

TOLERANCE = 1e-9
_KNOWN_LEAVES = (Symbol, Indexed, IndexedBase, Idx)
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
    breaks the step: nonzero for '=', negative (or zero for a strict relation) otherwise.
    Rounded values: a tiny residual breaks nothing (see ``sign_breaks`` for exact ones)."""
    if relation == EQ:
        return abs(value) > TOLERANCE
    return value < -TOLERANCE or (relation in STRICT and abs(value) <= TOLERANCE)


SIGN_DIGITS = 30
SIGN_MAX_BITS = 600     # how far evalf may raise its precision to tell a number from 0


def sign_of(number: Expr) -> Optional[int]:
    """The sign of a real number written exactly (1/10^300, log(6) - log(2) - log(3) -
    exp(-100)): -1, 0 or 1 when sympy can show it, from the number's own assumptions or from an
    evaluation whose precision is certified; None when it cannot (a zero sympy cannot prove
    zero, a complex number, no value)."""
    try:
        if number.is_zero:
            return 0
        if number.is_extended_positive:
            return 1
        if number.is_extended_negative:
            return -1
        if number.is_extended_real is False or not number.is_number:
            return None
        value = number.evalf(SIGN_DIGITS, maxn=SIGN_MAX_BITS)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, RecursionError):
        return None
    # a cancellation to 0 that evalf cannot resolve comes back with no significant bit
    if not value.is_Float or value == 0 or value._prec <= 1:
        return None
    return 1 if value > 0 else -1


def sign_breaks(sign: Optional[int], relation: str) -> bool:
    """Whether a residual of exact ``sign`` breaks the step (None: not known to)."""
    if sign is None:
        return False
    if relation == EQ:
        return sign != 0
    return sign < 0 or (relation in STRICT and sign == 0)


def _sign_holds(sign: Optional[int], relation: str) -> bool:
    """Whether ``d REL 0`` holds for a ``d`` of exact ``sign`` (None: not known to)."""
    if sign is None:
        return False
    return holds(float(sign), relation)


def _sign_at(expr: Expr, values) -> Optional[int]:
    try:
        return sign_of(expr.xreplace(values))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, RecursionError):
        return None


def _has_domain(node) -> bool:
    """Whether ``node`` has a value only somewhere: a function, or a power that is not a
    whole nonnegative one (x^(1/2), x^t, 1/x)."""
    if isinstance(node, Pow):
        return not (node.exp.is_Integer and node.exp >= 0)
    return isinstance(node, Function)


def _unknown(node) -> bool:
    """Whether ``node``'s value is unknown at every point: an unknown function (ReLU(x)), or an
    object of no known kind (a row that was not read)."""
    if isinstance(node, AppliedUndef):
        return True
    leaf = not any(isinstance(a, Expr) for a in node.args)
    return leaf and not node.is_number and not isinstance(node, _KNOWN_LEAVES + OPAQUE)


def domain_terms(exprs: Iterable[Expr]) -> Optional[Tuple[Expr, ...]]:
    """The terms of ``exprs`` whose value must be checked at a point (see ``_has_domain``),
    free of bound variables and of the algebra's opaque objects; None when a term has no
    known value (``_unknown``), or has a domain but cannot be evaluated on numbers and is not
    known to be real everywhere."""
    out: List[Expr] = []
    stack: List[Tuple[Any, FrozenSet[Any]]] = [(e, frozenset()) for e in exprs]
    while stack:
        node, bound = stack.pop()
        if not isinstance(node, Expr):
            continue
        if _unknown(node):
            return None
        if _has_domain(node):
            if node.has(*OPAQUE, Indexed) or node.free_symbols & bound:
                if node.is_extended_real is not True:
                    return None
            elif node not in out:
                out.append(node)
        inner = bound | set(bound_symbols(node))
        stack.extend((a, inner) for a in node.args)
    return tuple(out)


def _defined(terms, values) -> bool:
    """Whether every term has a finite real value at ``values``."""
    return all(_real(t, values) is not None for t in terms)


def search(residual: Expr, relation: str, facts: Sequence = (), seed: int = 0,
           terms: Sequence[Expr] = ()) -> Tuple[Tuple[Expr, Expr], ...]:
    """(symbol, value) pairs at which ``residual`` breaks the step, every fact holds and
    every term of ``terms`` (the step's two sides), the residual and the facts is real and
    defined."""
    if residual.has(*OPAQUE, Indexed) or not residual.free_symbols:
        return ()
    checked = domain_terms(tuple(terms) + (residual,))
    if checked is None:
        return ()
    start = residual.free_symbols.union(*(t.free_symbols for t in checked))
    symbols, linked = _connected(start, facts)
    if any(a.has(*OPAQUE, Indexed) or b.has(*OPAQUE, Indexed) for a, _, b in linked):
        return ()
    fact_terms = domain_terms([e for a, _, b in linked for e in (a, b)])
    if fact_terms is None:   # a linked fact has no known value: no point is shown to satisfy it
        return ()
    checked += fact_terms
    symbols = sorted(symbols, key=str)
    rng = random.Random(seed)
    for _ in range(ATTEMPTS):
        values = {s: _draw(rng, s) for s in symbols}
        if not all(_fact_holds(f, values) for f in linked):
            continue
        value = _real(residual, values)
        if value is not None and sign_breaks(_sign_at(residual, values), relation) \
                and _defined(checked, values):
            return tuple((s, values[s]) for s in symbols)
    return ()


def _fact_holds(fact, values):
    """Whether the fact holds at ``values`` exactly (an equation within no rounding)."""
    lhs, rel, rhs = fact
    d = lhs - rhs
    return _real(d, values) is not None and _sign_holds(_sign_at(d, values), rel)


__all__ = ["breaks", "search", "sign_breaks", "sign_of"]
