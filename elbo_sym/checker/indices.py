"""Whole-number reasoning about indices: which values the index symbols of a step may take.

Inside ``sum_{t=2}^{T}`` the index t runs over [2, T]; T is a count, a whole number >= 0, and
assumptions may bound it (``assume T >= 2`` has made it 2 + T_shift, T_shift >= 0). A question
about indices (is x_{t-1} inside x_{1:T}? is L <= H + 1 for two ranges?) is a statement in
differences of symbols and small offsets: if it fails anywhere, it fails at values below a
bound that grows with the number of symbols and the offsets (difference constraints have small
solutions). ``IndexSpace.instances`` enumerates the values up to that bound, so a statement true
on all of them is true everywhere; one that mentions a symbol that is not a whole number, or
needs too many instances, is not decided.
"""
from itertools import product
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from sympy import Expr, Integer, Symbol

from ..relations import holds

MAX_INSTANCES = 2048
MAX_BOUND = 10


def _offsets(exprs) -> int:
    largest = 0
    for e in exprs:
        for n in e.atoms(Integer):
            largest = max(largest, abs(int(n)))
    return largest


class IndexSpace:
    """The index ranges in scope (innermost last) and the integer facts of the step."""

    def __init__(self, ranges: Tuple[Tuple[Symbol, Expr, Expr], ...] = (),
                 facts: Iterable[Tuple[Expr, str, Expr]] = (),
                 cache: Optional[Dict[Any, Any]] = None) -> None:
        self.ranges = tuple(ranges)
        self.facts = tuple(facts)
        self._cache = {} if cache is None else cache     # shared by the spaces of one engine

    def within(self, index: Symbol, lo: Expr, hi: Expr) -> "IndexSpace":
        return IndexSpace(self.ranges + ((index, lo, hi),), self.facts, self._cache)

    @property
    def key(self) -> Tuple[Tuple[Symbol, Expr, Expr], ...]:
        return self.ranges

    def instances(self, exprs: Iterable[Expr]) -> Optional[List[Dict[Symbol, Integer]]]:
        """Every assignment of whole values to the symbols of ``exprs`` (and of the ranges and
        facts they lead to) that the ranges and facts allow, up to the bound; None when some
        symbol is not known to be whole or there are too many."""
        exprs = tuple(exprs)
        key = (self.ranges, exprs)
        if key in self._cache:
            return self._cache[key]
        self._cache[key] = found = self._instances(exprs)
        return found

    def _instances(self, exprs):
        wanted = set().union(*(e.free_symbols for e in exprs)) if exprs else set()
        ranged = {r[0]: r for r in self.ranges}
        # close over the symbols of the ranges' bounds and of facts that mention them
        changed = True
        while changed:
            changed = False
            for s in list(wanted):
                if s in ranged:
                    extra = ranged[s][1].free_symbols | ranged[s][2].free_symbols
                    if not extra <= wanted:
                        wanted |= extra
                        changed = True
        facts = [f for f in self.facts
                 if (f[0].free_symbols | f[2].free_symbols) and
                 (f[0].free_symbols | f[2].free_symbols) <= wanted and not _settled(f)]
        if any(not isinstance(s, Symbol) or not s.is_integer for s in wanted):
            return None
        free = sorted((s for s in wanted if s not in ranged), key=str)
        indices = [r for r in self.ranges if r[0] in wanted]
        everything = list(exprs) + [b for r in indices for b in r[1:]] + \
            [e for f in facts for e in (f[0], f[2])]
        offsets = _offsets(everything)
        bound = min(MAX_BOUND, len(wanted) * (offsets + 1) + offsets)
        choices = []
        for s in free:
            lo = 1 if s.is_positive else 0 if s.is_nonnegative else -bound
            hi = -1 if s.is_negative else 0 if s.is_nonpositive else bound
            choices.append([Integer(k) for k in range(lo, hi + 1)])
        out = []
        for values in product(*choices):
            base = dict(zip(free, values))
            for full in self._ranged(base, indices):
                if all(_fact(f, full) for f in facts):
                    out.append(full)
                    if len(out) > MAX_INSTANCES:
                        return None
        return out

    def _ranged(self, base, indices):
        if not indices:
            yield base
            return
        (index, lo, hi), rest = indices[0], indices[1:]
        a, b = lo.xreplace(base), hi.xreplace(base)
        if not (a.is_Integer and b.is_Integer):
            return
        for k in range(int(a), int(b) + 1):
            yield from self._ranged({**base, index: Integer(k)}, rest)

    def always(self, predicate: Callable[[Dict[Symbol, Integer]], bool],
               exprs: Iterable[Expr]) -> bool:
        """Whether ``predicate(values)`` holds at every instance of ``exprs``' symbols (and at
        least one instance exists)."""
        found = self.instances(exprs)
        if not found:
            return False
        return all(predicate(v) for v in found)

    def nonnegative(self, expr: Expr) -> bool:
        """Whether ``expr`` >= 0 wherever the indices may be."""
        if expr.is_nonnegative:
            return True
        if expr.free_symbols and all(isinstance(s, Symbol) for s in expr.free_symbols):
            return self.always(lambda v: bool(expr.xreplace(v) >= 0), [expr])
        return False


def _settled(fact) -> bool:
    """Whether the symbols' own signs already make ``fact`` hold (T_shift + 2 >= 2 for a
    T_shift >= 0, what ``assume T >= 2`` leaves): no instance needs to test it."""
    lhs, rel, rhs = fact
    d = lhs - rhs
    if rel in (">=", ">"):
        return bool(d.is_nonnegative if rel == ">=" else d.is_positive)
    if rel in ("<=", "<"):
        return bool(d.is_nonpositive if rel == "<=" else d.is_negative)
    return False


def _fact(fact, values) -> bool:
    lhs, rel, rhs = fact
    d = (lhs - rhs).xreplace(values)
    if not d.is_number:
        return True
    if not d.is_comparable:     # no real value there (1/K at K = 0): not an allowed instance
        return False
    return holds(float(d), rel)


__all__ = ["IndexSpace"]
