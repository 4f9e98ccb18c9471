"""Closed forms of the normal density: its log-density and its moments.

E_{N(z; m, v)}[sum_k a_k z^k] = sum_k a_k E[z^k] with the raw moments of N, for integrands
polynomial in z: exact, no integration. Integrands that are not polynomial in z stay whole.
"""
from sympy import Poly, PolynomialError, log

from ..algebra import Expectation, Gaussian
from .base import Rule, TooComplex

MAX_DEGREE = 64


def log_density(node, engine):
    if isinstance(node.args[0], Gaussian):
        return node.args[0].log_density()
    return None


def moments(node, engine):
    d = node.density
    if not isinstance(d, Gaussian):
        return None
    z = d.variable
    try:
        poly = Poly(node.integrand, z)
    except PolynomialError:
        return None
    if any(c.has(z) for c in poly.coeffs()):
        return None
    if poly.degree() > MAX_DEGREE:
        raise TooComplex(f"a polynomial of degree {poly.degree()} under N")
    return sum((c * d.moment(k) for (k,), c in poly.terms()), start=0 * z)


RULES = (
    Rule(("gaussian",), (log,), log_density),
    Rule(("gaussian",), (Expectation,), moments),
)
