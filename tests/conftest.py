"""Shared builders for tests: densities written the way the paper writes them."""
from sympy import symbols

from elbo_sym.algebra import Density

x, z, y = symbols("x z y")


def p(*variables, given=()):
    return Density("p", variables, given)


def q(*variables, given=()):
    return Density("q", variables, given)
