"""A derivation: a chain ``start REL e1 REL e2 ...`` whose steps cite rules.

Plain frozen dataclasses: the built-ins and the parser both produce them, the checker checks
them, the printers print them.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

from sympy import Expr, sympify

EQ, LE, GE, LT, GT = "=", "<=", ">=", "<", ">"
RELATIONS = (EQ, LE, GE, LT, GT)
LOWER = (GE, GT)   # the chain bounds its start from below: start >= end
UPPER = (LE, LT)


@dataclass(frozen=True)
class Step:
    """``relation expr [by rules]``: the previous expression REL this one."""

    relation: str
    expr: Expr
    rules: Tuple[str, ...] = ()
    line: Optional[int] = None

    def __post_init__(self):
        if self.relation not in RELATIONS:
            raise ValueError(f"unknown relation {self.relation!r}")
        object.__setattr__(self, "expr", sympify(self.expr, strict=True))


@dataclass(frozen=True)
class Assumption:
    """``assume lhs REL rhs``."""

    lhs: Expr
    relation: str
    rhs: Expr
    line: Optional[int] = None

    def __post_init__(self):
        object.__setattr__(self, "lhs", sympify(self.lhs, strict=True))
        object.__setattr__(self, "rhs", sympify(self.rhs, strict=True))


@dataclass(frozen=True)
class Definition:
    """``let name(params) = body``; uses of it are ``Defined`` objects in the expressions."""

    name: str
    params: Tuple[Expr, ...]
    body: Expr
    line: Optional[int] = None


@dataclass(frozen=True)
class Derivation:
    name: str
    title: str
    start: Expr
    steps: Tuple[Step, ...]
    assumptions: Tuple[Assumption, ...] = ()
    definitions: Tuple[Definition, ...] = ()
    source: str = ""
    start_line: Optional[int] = None

    @property
    def conclusion_relation(self):
        """The strongest relation the chain gives: strict if any step is strict."""
        rels = {s.relation for s in self.steps}
        if rels & set(LOWER):
            return GT if GT in rels else GE
        if rels & set(UPPER):
            return LT if LT in rels else LE
        return EQ

    @property
    def end(self):
        return self.steps[-1].expr if self.steps else self.start


def mixes_directions(relations):
    """True when a chain holds both <-type and >-type relations."""
    rels = set(relations)
    return bool(rels & set(LOWER)) and bool(rels & set(UPPER))
