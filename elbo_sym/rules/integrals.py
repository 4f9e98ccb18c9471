"""Integrals over a variable's whole space: marginalization and linearity."""
from typing import Optional

from sympy import Add, Expr, S

from ..algebra import Density, Gaussian, SpaceIntegral, split_independent
from .base import Normalizer, Rule


def _marginal(density, variables):
    """int p(A, V | B) dV = p(A | B) (or 1 when nothing is left)."""
    if isinstance(density, Gaussian):
        return S.One if set(density.variables) <= set(variables) else None
    if not isinstance(density, Density) or not set(variables) <= set(density.variables):
        return None
    left = [v for v in density.variables if v not in variables]
    return Density(density.args[0], left, density.given) if left else S.One


def marginalization(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """int c p(A, V | B) dV = c p(A | B), c free of V."""
    const, rest = split_independent(node.integrand, node.variables)
    if Add.make_args(node.integrand)[1:]:
        return None
    marginal = _marginal(rest, node.variables)
    return None if marginal is None else const * marginal


def integral_linearity(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """int (a f + b g) dz = a int f dz + b int g dz."""
    terms = Add.make_args(node.integrand)
    out, changed = [], len(terms) > 1
    for t in terms:
        const, rest = split_independent(t, node.variables)
        changed = changed or const != 1
        out.append(const * SpaceIntegral(rest, node.variables))
    return Add(*out) if changed else None


RULES = (
    Rule(("marginalization",), (SpaceIntegral,), marginalization),
    Rule(("linearity",), (SpaceIntegral,), integral_linearity),
)
