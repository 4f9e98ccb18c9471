"""The rewrite rules of the catalogue, in the order the normalizer tries them on a node."""
from . import definitions, densities, divergences, expectations, gaussian, integrals
from .base import Rule, TooComplex
from .catalogue import RULE_NAMES, nearest_rules

REWRITES = (definitions.RULES + divergences.RULES + densities.RULES + gaussian.RULES
            + expectations.RULES + integrals.RULES)

__all__ = ["Rule", "TooComplex", "RULE_NAMES", "nearest_rules", "REWRITES"]
