"""``assume`` facts, turned into what sympy's assumption system can use.

``assume s > 0`` replaces s by a positive symbol; ``assume beta >= 1`` replaces beta by
1 + b with b nonnegative, so that a coefficient (beta - 1) is known to be >= 0; ``assume s < c``
replaces s by c - b with b positive. The map back (``restore``) is kept for messages.
"""
from dataclasses import dataclass
from typing import Dict, Iterable, Tuple

from sympy import Expr, Symbol

from ..relations import mirror

_SIGN = {">": {"positive": True}, ">=": {"nonnegative": True},  # of the fresh symbol b
         "<": {"positive": True}, "<=": {"nonnegative": True}}


@dataclass(frozen=True)
class Assumptions:
    substitution: Dict[Expr, Expr]
    restore: Dict[Expr, Expr]
    facts: Tuple[Tuple[Expr, str, Expr], ...]

    def apply(self, expr: Expr) -> Expr:
        return expr.xreplace(self.substitution)


def _bound(lhs, rel, rhs):
    """(symbol, relation, number) when the fact bounds a plain symbol by a number."""
    if isinstance(lhs, Symbol) and rhs.is_number and rhs.is_real:
        return lhs, rel, rhs
    if isinstance(rhs, Symbol) and lhs.is_number and lhs.is_real:
        return rhs, mirror(rel), lhs
    return None


def build(assumptions: Iterable[Tuple[Expr, str, Expr]], bound_variables: Iterable[Expr] = (),
          names: Iterable[Expr] = ()) -> Assumptions:
    """From (lhs, relation, rhs) triples to an ``Assumptions``.

    A variable that an expectation, integral or sum binds somewhere is never replaced: the
    fact speaks of its free occurrences only, so it is kept as a fact (for certificates and to
    filter counterexamples) but gives no sign. A density's variable (in ``names``) may become a
    positive symbol but is never shifted, as a density's variables stay names.
    """
    substitution, restore, facts = {}, {}, []
    for lhs, rel, rhs in assumptions:
        bound = _bound(lhs, rel, rhs)
        if bound and bound[0] not in substitution and bound[0] not in bound_variables \
                and bound[1] in _SIGN:
            s, r, c = bound
            up = r in (">", ">=")
            # a count stays a whole number: J >= 4 is J = 4 + J_shift, J_shift >= 0 whole
            whole = {"integer": True} if s.is_integer and c.is_integer else {}
            if c == 0 and up:
                fresh = Symbol(s.name, **_SIGN[r], **whole)
                substitution[s], restore[fresh] = fresh, s
            elif s not in names:
                fresh = Symbol(f"{s.name}_shift", **_SIGN[r], **whole)
                substitution[s] = c + fresh if up else c - fresh
                restore[fresh] = s - c if up else c - s
        facts.append((lhs, rel, rhs))
    applied = tuple((l.xreplace(substitution), r, h.xreplace(substitution)) for l, r, h in facts)
    return Assumptions(substitution, restore, applied)
