"""A numeric judge: random Gaussian instances that try to break a step (see ``judge``).

It needs numpy; the rest of elbo_sym imports this package lazily, only when the numeric pass
runs, so the symbolic checker stays numpy-free.
"""
from .judge import HOLDS, NOT_APPLICABLE, VIOLATED, Outcome, judge

__all__ = ["HOLDS", "NOT_APPLICABLE", "VIOLATED", "Outcome", "judge"]
