"""Product rule and Bayes' rule, within one family, as one rewrite.

Every conditional becomes a ratio of joints, p(A | B) = p(A u B) / p(B); both rules then hold by
construction, and ``log`` splits a ratio into atoms ``log p(S)``. Families never mix.
"""
from ..algebra import Density
from .base import Rule


def conditional_to_joint(density, engine):
    if not isinstance(density, Density) or not density.is_conditional:
        return None
    given = density.given
    return density.joint(density.variables + given) / density.joint(given)


RULES = (Rule(("product-rule", "bayes-rule"), (Density,), conditional_to_joint),)
