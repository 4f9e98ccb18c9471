"""A derivation: a chain ``start REL e1 REL e2 ...`` whose steps cite rules.

Plain frozen dataclasses: the built-ins and the parser both produce them, the checker checks
them, the printers print them.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

from sympy import Expr, sympify

from .relations import EQ, GE, GT, LE, LOWER, LT, RELATIONS, UPPER, canonical, mixes_directions, strongest

__all__ = ["Step", "Assumption", "Definition", "ModelDeclaration", "Derivation", "mixes_directions",
           "EQ", "LE", "GE", "LT", "GT", "RELATIONS", "LOWER", "UPPER"]


@dataclass(frozen=True)
class Step:
    """``relation expr [by rules]``: the previous expression REL this one."""

    relation: str
    expr: Expr
    rules: Tuple[str, ...] = ()
    line: Optional[int] = None

    def __post_init__(self) -> None:
        if canonical(self.relation) not in RELATIONS:
            raise ValueError(f"{self.relation!r} cannot relate two steps of a chain")
        object.__setattr__(self, "relation", canonical(self.relation))
        object.__setattr__(self, "expr", sympify(self.expr, strict=True))


@dataclass(frozen=True)
class Assumption:
    """``assume lhs REL rhs``."""

    lhs: Expr
    relation: str
    rhs: Expr
    line: Optional[int] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "relation", canonical(self.relation))
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
class ModelDeclaration:
    """``model family(left | given) = factor factor ...``: the family's joint over ``left``
    (given ``given``) is the product of the factors, a directed acyclic graph. A factor is a
    density of one variable given its parents (possibly of another family, or a Gaussian), or
    a ``Product`` of such over an index range."""

    joint: Expr
    factors: Tuple[Expr, ...]
    line: Optional[int] = None

    @property
    def family(self) -> str:
        return self.joint.family


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
    models: Tuple[ModelDeclaration, ...] = ()
    syntax: str = "deriv"      # the language it was written in: "deriv", or "latex" (read from
                               # a .md/.tex document): suggestions are printed in it

    @property
    def conclusion_relation(self) -> str:
        """The strongest relation the chain gives: strict if any step is strict."""
        return strongest(s.relation for s in self.steps)

    @property
    def end(self) -> Expr:
        return self.steps[-1].expr if self.steps else self.start
