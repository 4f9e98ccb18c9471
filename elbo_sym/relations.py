"""One vocabulary for relations and verdicts, used by every layer.

A relation is one of the canonical strings ``=``, ``<=``, ``>=``, ``<``, ``>``; ``canonical``
maps the other spellings people type (``≤``, ``≥``, ``==``) onto them. Everything else about a
relation (its mirror image, its reverse, how it prints, whether a difference satisfies it)
is asked here, never in a table of one's own.
"""
from typing import Iterable, Optional, Tuple, TypeVar

_T = TypeVar("_T")

EQ, LE, GE, LT, GT = "=", "<=", ">=", "<", ">"
NE = "!="          # only in facts (a denominator is nonzero), never in a chain
RELATIONS = (EQ, LE, GE, LT, GT)
FACT_RELATIONS = RELATIONS + (NE,)
LOWER = (GE, GT)   # a chain with these bounds its start from below: start >= end
UPPER = (LE, LT)
STRICT = (LT, GT)

VERIFIED, REFUTED, UNKNOWN = "verified", "refuted", "unknown"
VERDICTS = (VERIFIED, REFUTED, UNKNOWN)

_SPELLINGS = {"==": EQ, "≤": LE, "≥": GE, "=<": LE, "=>": GE, "≠": NE}
_MIRROR = {EQ: EQ, LE: GE, GE: LE, LT: GT, GT: LT, NE: NE}  # a REL b  is  b MIRROR a
_REVERSE = {EQ: None, LE: GE, GE: LE, LT: GT, GT: LT, NE: None}  # the claim turned around
_UNICODE = {EQ: "=", LE: "≤", GE: "≥", LT: "<", GT: ">", NE: "≠"}
_LATEX = {EQ: "=", LE: r"\le", GE: r"\ge", LT: "<", GT: ">", NE: r"\ne"}


def canonical(rel: str) -> str:
    """The canonical spelling of a relation; ValueError for anything that is none."""
    rel = _SPELLINGS.get(rel, rel)
    if rel not in FACT_RELATIONS:
        raise ValueError(f"unknown relation {rel!r}")
    return rel


def mirror(rel: str) -> str:
    """The relation with its sides exchanged: ``a <= b`` is ``b >= a``."""
    return _MIRROR[canonical(rel)]


def reverse(rel: str) -> Optional[str]:
    """The opposite claim (``<=`` for ``>=``); None for ``=``."""
    return _REVERSE[canonical(rel)]


def is_strict(rel: str) -> bool:
    return canonical(rel) in STRICT


def unicode_symbol(rel: str) -> str:
    return _UNICODE[canonical(rel)]


def ascii_symbol(rel: str) -> str:
    return canonical(rel)


def latex_symbol(rel: str) -> str:
    return _LATEX[canonical(rel)]


def orient(lhs: _T, rel: str, rhs: _T) -> Tuple[_T, _T]:
    """``(larger, smaller)`` for an inequality, so that the claim is larger - smaller >= 0
    (> 0 when strict); ``(lhs, rhs)`` for ``=``."""
    rel = canonical(rel)
    return (rhs, lhs) if rel in UPPER else (lhs, rhs)


def holds(difference: float, rel: str, tolerance: float = 0.0) -> bool:
    """Whether ``lhs REL rhs`` holds for ``difference = lhs - rhs``, within ``tolerance``:
    equal within it, an inequality violated by no more than it, a strict one by more."""
    rel = canonical(rel)
    if rel == EQ:
        return abs(difference) <= tolerance
    if rel == NE:
        return abs(difference) > tolerance
    if rel == GE:
        return difference >= -tolerance
    if rel == LE:
        return difference <= tolerance
    if rel == GT:
        return difference > tolerance
    return difference < -tolerance


def mixes_directions(relations: Iterable[str]) -> bool:
    """True when a chain holds both <-type and >-type relations."""
    rels = {canonical(r) for r in relations}
    return bool(rels & set(LOWER)) and bool(rels & set(UPPER))


def strongest(relations: Iterable[str]) -> str:
    """The relation a chain of these relations concludes: strict if any step is strict."""
    rels = {canonical(r) for r in relations}
    if rels & set(LOWER):
        return GT if GT in rels else GE
    if rels & set(UPPER):
        return LT if LT in rels else LE
    return EQ
