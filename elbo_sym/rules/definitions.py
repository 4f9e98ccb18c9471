"""``let`` abbreviations unfold to their bodies under ``definition``."""
from typing import Optional

from sympy import Expr

from ..algebra import Defined
from .base import Normalizer, Rule


def unfold(node: Expr, engine: Normalizer) -> Optional[Expr]:
    return node.body


RULES = (Rule(("definition",), (Defined,), unfold),)
