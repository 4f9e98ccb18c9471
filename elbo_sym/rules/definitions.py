"""``let`` abbreviations unfold to their bodies under ``definition``."""
from ..algebra import Defined
from .base import Rule


def unfold(node, engine):
    return node.body


RULES = (Rule(("definition",), (Defined,), unfold),)
