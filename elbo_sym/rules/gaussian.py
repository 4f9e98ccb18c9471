"""Closed forms of the normal density: its log-density and its moments.

E_{N(z; m, v)}[sum_k a_k z^k] = sum_k a_k E[z^k] with the raw moments of N, for integrands
polynomial in z: exact, no integration. Integrands that are not polynomial in z stay whole.
"""
from typing import Dict, Optional

from sympy import Add, Expr, log

from ..algebra import Expectation, Gaussian, split_independent
from .base import Normalizer, Rule, TooComplex

MAX_DEGREE = 64


def log_density(node: Expr, engine: Normalizer) -> Optional[Expr]:
    if isinstance(node.args[0], Gaussian):
        return node.args[0].log_density()
    return None


def _powers(expr, z):
    """{k: coefficient of z^k} for an expanded polynomial in z, or None if it is none."""
    out: Dict[int, Expr] = {}
    for term in Add.make_args(expr):
        coeff, part = split_independent(term, (z,))
        if part == 1:
            k = 0
        elif part == z:
            k = 1
        elif part.is_Pow and part.base == z and part.exp.is_Integer and part.exp > 0:
            k = int(part.exp)
        else:
            return None
        if k > MAX_DEGREE:
            raise TooComplex(f"a polynomial of degree {k} under N")
        out[k] = out.get(k, 0) + coeff
    return out


def moments(node: Expr, engine: Normalizer) -> Optional[Expr]:
    d = node.density
    if not isinstance(d, Gaussian):
        return None
    powers = _powers(node.integrand, d.variable)
    if powers is None:
        return None
    return Add(*(c * d.moment(k) for k, c in powers.items()))


RULES = (
    Rule(("gaussian",), (log,), log_density),
    Rule(("gaussian",), (Expectation,), moments),
)
