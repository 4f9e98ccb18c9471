"""Integrals over a variable's whole space: marginalization, linearity, and the expectation an
integral of a density times a function is."""
from typing import Iterator, List, Optional, Sequence, Tuple

from sympy import Add, Expr, S, default_sort_key

from ..algebra import (Density, Expectation, Gaussian, IndexedVariable, SpaceIntegral,
                       VariableRange, depends_on, split_independent)
from .base import Normalizer, Rule
from .expectations import divides_by_measure


def _span(v: Expr) -> Optional[Tuple[Expr, Expr]]:
    """(first, last) index of an indexed variable or a range: x_k is x_{k:k}."""
    if isinstance(v, VariableRange):
        return v.lo, v.hi
    if isinstance(v, IndexedVariable) and len(v.indices) == 1:
        return v.index, v.index
    return None


def _piece(name: str, lo: Expr, hi: Expr, engine: Normalizer) -> Optional[List[Expr]]:
    """The variables x_{lo:hi}: none when the range is empty, x_lo when it has one element, the
    range when it is provably nonempty; None when whether it is empty depends on the indices."""
    size = hi - lo
    if size.is_Integer:
        if size < 0:
            return []
        return [IndexedVariable(name, lo)] if size == 0 else [VariableRange(name, lo, hi)]
    return [VariableRange(name, lo, hi)] if engine.space.nonnegative(size) else None


def _without(variables: Sequence[Expr], v: Expr, engine: Normalizer) -> Optional[List[Expr]]:
    """The variables left once ``v`` is integrated out: ``v`` itself, or a run x_{a:b} (or
    x_k) inside a range x_{lo:hi} of ``variables`` (lo <= a <= b + 1 <= hi + 1 wherever the
    indices may be), which leaves x_{lo:a-1} and x_{b+1:hi}. None when ``v`` is not provably
    among them."""
    if v in variables:
        return [u for u in variables if u != v]
    inner = _span(v)
    if inner is None:
        return None
    a, b = inner
    for i, r in enumerate(variables):
        if not isinstance(r, VariableRange) or r.name != v.name:
            continue
        if not all(engine.space.nonnegative(e) for e in (a - r.lo, r.hi - b, b + 1 - a)):
            continue
        before, after = _piece(r.name, r.lo, a - 1, engine), _piece(r.name, b + 1, r.hi, engine)
        if before is None or after is None:
            return None
        return list(variables[:i]) + before + after + list(variables[i + 1:])
    return None


def _marginal(density: Expr, variables: Sequence[Expr], engine: Normalizer) -> Optional[Expr]:
    """int p(A, V | B) dV = p(A | B) (or 1 when nothing is left)."""
    if isinstance(density, Gaussian):
        return S.One if set(density.variables) <= set(variables) else None
    if not isinstance(density, Density):
        return None
    left: List[Expr] = list(density.variables)
    for v in variables:
        rest = _without(left, v, engine)
        if rest is None:
            return None
        left = rest
    return Density(density.args[0], left, density.given) if left else S.One


def marginalization(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """int c p(A, V | B) dV = c p(A | B), c free of V; V may be a run of a range of A
    (int p(x_{0:T}) dx_{1:T} = p(x_0))."""
    const, rest = split_independent(node.integrand, node.variables)
    if Add.make_args(node.integrand)[1:]:
        return None
    marginal = _marginal(rest, node.variables, engine)
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


def _densities_of(integrand: Expr, variables: Tuple[Expr, ...],
                  engine: Normalizer) -> Iterator[Expr]:
    """The densities OF exactly ``variables`` (normalised over them) that a factor of the
    integrand provides: F(V | A, B) for a factor F(V, A | B), N(z; m, v) for dz; the other
    variables must differ from V wherever the indices may be."""
    wanted = set(variables)
    for factor, power in integrand.as_powers_dict().items():
        if not power.is_positive:
            continue
        if isinstance(factor, Gaussian):
            if set(factor.variables) == wanted:
                yield factor
            continue
        if not isinstance(factor, Density) or not wanted <= set(factor.variables):
            continue
        rest = [u for u in factor.variables if u not in wanted] + list(factor.given)
        if all(engine.distinct(u, v) for u in rest for v in variables):
            yield Density(factor.args[0], variables, rest)


def expectation_form(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """int d g dV = E_d[g] for a density d of V (normalised over V's whole space) that is a
    factor of the integrand (importance weighting with f = d g). The first such density in a
    canonical order is chosen; one whose expectation would divide by it again (and so turn
    back into this integral) is not."""
    if Add.make_args(node.integrand)[1:] or not depends_on(node.integrand, node.variables):
        return None
    variables = tuple(node.variables)
    for d in sorted(set(_densities_of(node.integrand, variables, engine)), key=default_sort_key):
        measure = engine.normalize(d)
        g = node.integrand / measure
        if not divides_by_measure(g, measure, variables):
            return Expectation(g, d)
    return None


RULES = (
    Rule(("marginalization",), (SpaceIntegral,), marginalization),
    Rule(("linearity",), (SpaceIntegral,), integral_linearity),
    Rule(("importance-weighting",), (SpaceIntegral,), expectation_form),
)
