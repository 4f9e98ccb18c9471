"""``assume`` facts, turned into what sympy's assumption system can use.

``assume s > 0`` replaces s by a positive symbol; ``assume beta >= 1`` replaces beta by
1 + b with b nonnegative, so that a coefficient (beta - 1) is known to be >= 0; ``assume s < c``
replaces s by c - b with b positive. The map back (``restore``) is kept for messages.
"""
from dataclasses import dataclass
from typing import Collection, Dict, Iterable, Optional, Sequence, Tuple

from sympy import Expr, Symbol

from ..relations import mirror

Fact = Tuple[Expr, str, Expr]

_SIGN = {">": {"positive": True}, ">=": {"nonnegative": True},  # of the fresh symbol b
         "<": {"positive": True}, "<=": {"nonnegative": True}}


@dataclass(frozen=True)
class Assumptions:
    substitution: Dict[Expr, Expr]
    restore: Dict[Expr, Expr]
    facts: Tuple[Fact, ...]

    def apply(self, expr: Expr) -> Expr:
        return expr.xreplace(self.substitution)


def bounded(lhs: Expr, rel: str, rhs: Expr) -> Optional[Tuple[Expr, str, Expr]]:
    """(symbol, relation, number) when the fact bounds a plain symbol by a number."""
    if isinstance(lhs, Symbol) and rhs.is_number and rhs.is_real:
        return lhs, rel, rhs
    if isinstance(rhs, Symbol) and lhs.is_number and lhs.is_real:
        return rhs, mirror(rel), lhs
    return None


def build(assumptions: Iterable[Fact], bound_variables: Collection[Expr] = (),
          names: Collection[Expr] = ()) -> Assumptions:
    """From (lhs, relation, rhs) triples to an ``Assumptions``.

    A variable that an expectation, integral or sum binds somewhere is never replaced: the
    fact speaks of its free occurrences only, so it is kept as a fact (for certificates and to
    filter counterexamples) but gives no sign. A density's variable (in ``names``) may become a
    positive symbol but is never shifted, as a density's variables stay names.
    """
    substitution: Dict[Expr, Expr] = {}
    restore: Dict[Expr, Expr] = {}
    facts = tuple(assumptions)
    for fact in facts:
        _admit(fact, substitution, restore, bound_variables, names)
    return Assumptions(substitution, restore, tuple(_apply(f, substitution) for f in facts))


def extend(base: Assumptions, written: Sequence[Fact], symbols: Sequence[Collection[Expr]],
           more: Iterable[Fact], bound_variables: Collection[Expr] = (),
           names: Collection[Expr] = ()) -> Assumptions:
    """``build(written + more, bound_variables, names)``, from ``base``, which is
    ``build(written, bound_variables, names)``, and ``symbols``, the symbols of each fact of
    ``written``: the facts of ``more`` come after, so they replace only symbols ``base`` left
    alone, and a fact of ``written`` applies differently only when it mentions one of those
    (the substitution replaces symbols alone)."""
    substitution, restore = dict(base.substitution), dict(base.restore)
    more = tuple(more)
    for fact in more:
        _admit(fact, substitution, restore, bound_variables, names)
    new = substitution.keys() - base.substitution.keys()
    applied = base.facts
    if new:
        applied = tuple(_apply(f, substitution) if not new.isdisjoint(mentions) else a
                        for f, a, mentions in zip(written, base.facts, symbols))
    return Assumptions(substitution, restore,
                       applied + tuple(_apply(f, substitution) for f in more))


def _admit(fact: Fact, substitution: Dict[Expr, Expr], restore: Dict[Expr, Expr],
           bound_variables: Collection[Expr], names: Collection[Expr]) -> None:
    """The replacement ``fact`` gives its symbol, if any, added to ``substitution`` and
    ``restore``."""
    bound = bounded(*fact)
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


def _apply(fact: Fact, substitution: Dict[Expr, Expr]) -> Fact:
    lhs, rel, rhs = fact
    return lhs.xreplace(substitution), rel, rhs.xreplace(substitution)
