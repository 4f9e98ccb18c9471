"""``assume`` facts, turned into what sympy's assumption system can use.

``assume s > 0`` replaces s by a positive symbol; ``assume beta >= 1`` replaces beta by
1 + b with b nonnegative, so that a coefficient (beta - 1) is known to be >= 0. The map back
(``restore``) is kept for messages.
"""
from dataclasses import dataclass
from typing import Dict, Tuple

from sympy import Expr, Symbol

_SIGN = {">": {"positive": True}, ">=": {"nonnegative": True},
         "<": {"positive": True}, "<=": {"nonnegative": True}}
_MIRROR = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "="}


@dataclass(frozen=True)
class Assumptions:
    substitution: Dict[Expr, Expr]
    restore: Dict[Expr, Expr]
    facts: Tuple[Tuple[Expr, str, Expr], ...]

    def apply(self, expr):
        return expr.xreplace(self.substitution)


def _bound(lhs, rel, rhs):
    """(symbol, relation, number) when the fact bounds a plain symbol by a number."""
    if isinstance(lhs, Symbol) and rhs.is_number and rhs.is_real:
        return lhs, rel, rhs
    if isinstance(rhs, Symbol) and lhs.is_number and lhs.is_real:
        return rhs, _MIRROR[rel], lhs
    return None


def build(assumptions, bound_variables=()):
    """From (lhs, relation, rhs) triples to an ``Assumptions``. A variable that an expectation,
    integral or sum binds is never given a sign: the fact cannot speak for every value it takes."""
    substitution, restore, facts = {}, {}, []
    for lhs, rel, rhs in assumptions:
        bound = _bound(lhs, rel, rhs)
        if bound and bound[0] in bound_variables:
            continue
        if bound and bound[0] not in substitution and bound[1] in _SIGN:
            s, r, c = bound
            if c == 0:
                fresh = Symbol(s.name, **_SIGN[r])
                substitution[s], restore[fresh] = fresh, s
            else:
                fresh = Symbol(f"{s.name}_shift", **_SIGN[r])
                substitution[s] = c + fresh if r in (">", ">=") else c - fresh
                restore[fresh] = s - c if r in (">", ">=") else c - s
        facts.append((lhs, rel, rhs))
    applied = tuple((l.xreplace(substitution), r, h.xreplace(substitution)) for l, r, h in facts)
    return Assumptions(substitution, restore, applied)
