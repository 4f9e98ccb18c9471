"""KL(q || p) = E_q[log q - log p] and H(q) = -E_q[log q]: the definitions, as rewrites."""
from ..algebra import KL, Entropy, Expectation
from .base import Rule


def kl_definition(node, engine):
    return node.rewrite(Expectation)


def entropy_definition(node, engine):
    return node.rewrite(Expectation)


RULES = (
    Rule(("kl-definition",), (KL,), kl_definition),
    Rule(("entropy-definition",), (Entropy,), entropy_definition),
)
