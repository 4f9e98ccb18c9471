"""KL(q || p) = E_q[log q - log p] and H(q) = -E_q[log q]: the definitions, as rewrites."""
from typing import Optional

from sympy import Expr

from ..algebra import KL, Entropy, Expectation
from .base import Normalizer, Rule


def kl_definition(node: Expr, engine: Normalizer) -> Optional[Expr]:
    return node.rewrite(Expectation)


def entropy_definition(node: Expr, engine: Normalizer) -> Optional[Expr]:
    return node.rewrite(Expectation)


RULES = (
    Rule(("kl-definition",), (KL,), kl_definition),
    Rule(("entropy-definition",), (Entropy,), entropy_definition),
)
