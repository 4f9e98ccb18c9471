"""Rules as named pure functions.

A rewrite rule looks at one node whose children are already in normal form and returns an
equal expression, or ``None`` when it does not apply. The normalizer (``elbo_sym.checker``)
decides which rules are enabled and records which ones fired; the rules know nothing of that.
"""
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

from sympy import Expr

if TYPE_CHECKING:
    from ..checker.indices import IndexSpace
    from .models import Model


class TooComplex(Exception):
    """An expression whose normal form would be too large to build (huge powers, deep nests)."""


@dataclass(frozen=True)
class Rule:
    """A rewrite licensed by any one of ``names`` (the first one enabled gets the credit)."""

    names: Tuple[str, ...]
    applies_to: Tuple[type, ...]
    rewrite: Callable[[Expr, "Normalizer"], Optional[Expr]]


class Normalizer:
    """What a rule may ask of the engine: the normal form of a subexpression, which rules are
    on, the declared models (``models``: family -> Model), the index ranges in scope
    (``space``) and a memo for results that depend only on a node and the space.
    Implemented by ``elbo_sym.checker.normal_form.NormalForm``."""

    models: Dict[str, "Model"] = {}
    memo: Dict[Any, Any] = {}
    space: "IndexSpace"

    def normalize(self, expr: Expr) -> Expr:  # pragma: no cover - interface
        raise NotImplementedError

    def enabled(self, name: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def distinct(self, u: Expr, v: Expr) -> bool:  # pragma: no cover - interface
        """Whether two variables differ wherever the indices may be."""
        raise NotImplementedError
