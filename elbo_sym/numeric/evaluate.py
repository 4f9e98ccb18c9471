"""Evaluating an expression of the probability algebra on one instance.

Sums are expanded for the drawn sizes first, so that ``z[j]`` becomes the plain coordinates
z[1], z[2], ...; a scan then finds the free values to draw and the variables of each family.
Evaluation is vectorised: each expectation or integral adds one trailing array axis holding its
quadrature nodes, so nested expectations cost one numpy pass per node set, not a Python loop.
"""
import operator
from functools import lru_cache, reduce

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from sympy import (Abs, Add, Basic, Indexed, IndexedBase, Integer, Max, Min, Mul, Number,
                   NumberSymbol, Pow, S, Sum, Symbol, acos, asin, atan, cos, cosh,
                   default_sort_key, exp, log, sign, sin, sinh, tan, tanh)

from ..algebra import (KL, Defined, Density, DensityBase, Entropy, Expectation, Gaussian,
                       SpaceIntegral)
from .instances import Skip, Unsupported

_FUNCTIONS = {exp: np.exp, Abs: np.abs, sin: np.sin, cos: np.cos, tan: np.tan, sinh: np.sinh,
              cosh: np.cosh, tanh: np.tanh, atan: np.arctan, asin: np.arcsin, acos: np.arccos,
              sign: np.sign}
_KINKED = (Abs, sign, Max, Min)    # not smooth: integrals of them are refused
_MAX_TERMS = 64                    # a sum expanded to more terms than this is refused
_MAX_NODES = 4_000_000             # array elements alive at once across nested quadratures
_HERMITE_NODES = {1: 64, 2: 48, 3: 24, 4: 12, 5: 8, 6: 6}   # per dimension, by dimension
_AGREE = 1e-11                     # the two Gauss-Hermite rules agree within this (relative)
_GRID = {1: (40.0, 0.02), 2: (25.0, 0.0625)}    # integrals: half-width and step, by dimension
_DECAY = 1e-12                     # an integrand must be this small at the grid's edge
_LOG_2PI = float(np.log(2 * np.pi))


# -- sums --------------------------------------------------------------------------------

def size_symbols(expr):
    """Symbols in the bounds of sums (J in sum_{j=1}^{J}), minus the sums' own indices."""
    sizes, indices = set(), set()
    for s in expr.atoms(Sum):
        for limit in s.limits:
            indices.add(limit[0])
            for bound in limit[1:]:
                sizes |= bound.free_symbols
    return sizes - indices


def _whole(bound):
    if not bound.is_Integer:
        raise Unsupported(f"the sum bound {bound} is not a whole number once sizes are drawn")
    return int(bound)


def expand_sums(expr, sizes):
    """``expr`` with sizes substituted and every Sum written out term by term."""
    sizes = {k: Integer(v) for k, v in sizes.items()}
    return _expand(expr.xreplace(sizes) if sizes else expr)


def _expand(e):
    if not isinstance(e, Basic) or not e.has(Sum):
        return e
    if isinstance(e, Sum):
        *inner, (index, lower, upper) = e.limits
        body = Sum(e.function, *inner) if inner else e.function
        a, b = _whole(lower), _whole(upper)
        if b < a - 1:
            raise Unsupported(f"the sum over {index} runs from {a} down to {b}")
        if b - a + 1 > _MAX_TERMS:
            raise Unsupported(f"the sum over {index} has {b - a + 1} terms")
        terms = [_expand(body.xreplace({index: Integer(k)})) for k in range(a, b + 1)]
        return Add(*terms) if terms else S.Zero
    return e.func(*[_expand(a) for a in e.args])


# -- scan --------------------------------------------------------------------------------

class Structure:
    """What an (expanded) expression needs: free atoms, family variables, positive atoms."""

    def __init__(self):
        self._free = {}
        self.families = {}        # family name -> set of its variables, then sorted tuple
        self.positive = set()     # atoms standing alone as a variance or under log / sqrt
        self.variables = set()    # atoms that are some density's variable

    def scan(self, expr, bound=frozenset()):
        _walk(expr, frozenset(bound), self)
        return self

    def finish(self):
        """Freeze: families' variables sorted, free atoms density variables first."""
        self.families = {f: tuple(sorted(vs, key=default_sort_key)) for f, vs in self.families.items()}
        key = lambda a: (a not in self.variables, default_sort_key(a))
        self.free = tuple(sorted(self._free, key=key))
        return self


def _atom(e):
    return isinstance(e, (Symbol, Indexed))


def _walk_density(d, bound, acc):
    if isinstance(d, Gaussian):
        acc.variables.add(d.variable)
        if _atom(d.variance):
            acc.positive.add(d.variance)
        for part in d.args:
            _walk(part, bound, acc)
        return
    if not isinstance(d, Density):
        raise Unsupported(f"the density {d} is of no known kind")
    both = d.variables + d.given
    acc.families.setdefault(d.family, set()).update(both)
    acc.variables.update(both)
    for v in both:
        _walk(v, bound, acc)


def _walk(e, bound, acc):
    if isinstance(e, Expectation):
        inner = bound | set(e.density.variables)
        _walk_density(e.density, inner, acc)
        _walk(e.integrand, inner, acc)
    elif isinstance(e, KL):
        inner = bound | set(e.first.variables)
        _walk_density(e.first, inner, acc)
        _walk_density(e.second, inner, acc)
    elif isinstance(e, Entropy):
        _walk_density(e.density, bound | set(e.density.variables), acc)
    elif isinstance(e, SpaceIntegral):
        _walk(e.integrand, bound | set(e.variables), acc)
    elif isinstance(e, DensityBase):
        _walk_density(e, bound, acc)
    elif isinstance(e, Defined):
        _walk(e.body, bound, acc)
    elif isinstance(e, Indexed):
        if not all(i.is_Integer for i in e.indices):
            raise Unsupported(f"{e} stands outside a sum over its index")
        if e not in bound:
            acc._free[e] = None
    elif isinstance(e, Symbol):
        if e not in bound:
            acc._free[e] = None
    elif isinstance(e, (Number, NumberSymbol)):
        if not e.is_extended_real:
            raise Unsupported(f"{e} is not a real number")
    elif isinstance(e, log) or (isinstance(e, Pow) and not e.exp.is_integer):
        if _atom(e.args[0]):
            acc.positive.add(e.args[0])
        for a in e.args:
            _walk(a, bound, acc)
    elif isinstance(e, _KINKED) and bound and e.has(*bound):
        raise Unsupported(f"{e} is not smooth in the integrated variables: quadrature would be inexact")
    elif isinstance(e, (Add, Mul, Pow, Max, Min)) or type(e) in _FUNCTIONS:
        for a in e.args:
            _walk(a, bound, acc)
    elif isinstance(e, (Sum, IndexedBase)):
        raise Unsupported(f"{e} could not be expanded")
    else:
        raise Unsupported(f"cannot evaluate {type(e).__name__} ({e}) numerically")


# -- evaluation --------------------------------------------------------------------------

def _density_factor(f):
    return isinstance(f, DensityBase) or (isinstance(f, Pow) and isinstance(f.base, DensityBase))


@lru_cache(maxsize=4096)
def _density_product(e):
    """Whether ``e`` multiplies or divides densities: evaluated in log space, as p/q at far
    quadrature nodes would otherwise be 0/0."""
    return _density_factor(e) or (isinstance(e, Mul) and any(_density_factor(a) for a in e.args))


def _tensor(points, weights, dim):
    grids = np.meshgrid(*([points] * dim), indexing="ij")
    w = reduce(np.multiply, np.meshgrid(*([weights] * dim), indexing="ij"))
    return np.stack([g.ravel() for g in grids], axis=-1), w.ravel()


@lru_cache(maxsize=16)
def _hermite(dim, checked=False):
    """Standard-normal Gauss-Hermite nodes, tensor product: (nodes (M, dim), weights (M,), 0, None).

    ``checked`` appends the nodes of the rule of half the order, with zero weight, and returns
    where they start and their weights: one pass of the integrand then serves both rules.
    """
    if dim not in _HERMITE_NODES:
        raise Unsupported(f"an expectation over {dim} variables at once is too costly")
    n = _HERMITE_NODES[dim]
    u, w = hermegauss(n)
    nodes, weights = _tensor(u, w / w.sum(), dim)
    if not checked:
        return nodes, weights, 0, None
    low_u, low_w = hermegauss(max(n // 2, 2))
    low, low_weights = _tensor(low_u, low_w / low_w.sum(), dim)
    return (np.concatenate([nodes, low]), np.concatenate([weights, np.zeros(len(low))]),
            len(nodes), low_weights)


@lru_cache(maxsize=256)
def _reference(integrand, variables, exclude=None):
    """(r, integrand / r) for a Gaussian r over ``variables`` taken from a density factor.

    int f dV = E_r[f / r]: with r the conditional, over V, of a density factor of f (or that
    factor itself when it is N(z; ...)), f / r is smooth and Gauss-Hermite is exact or nearly.
    """
    wanted = set(variables)
    factors = integrand.args if isinstance(integrand, Mul) else (integrand,)
    for factor in factors:
        if isinstance(factor, Gaussian) and wanted == {factor.variable}:
            reference = factor
        elif isinstance(factor, Density) and wanted <= set(factor.variables):
            rest = set(factor.variables + factor.given) - wanted
            reference = Density(factor.args[0], tuple(variables), tuple(rest))
        else:
            continue
        if reference != exclude:
            return reference, Mul(integrand, Pow(reference, -1))
    return None


@lru_cache(maxsize=256)
def _weighted(density, integrand):
    """density * integrand, the integrand of an expectation written as an integral."""
    return Mul(density, integrand)


@lru_cache(maxsize=4)
def _grid(dim):
    """Trapezoid grid over the whole space: (nodes (M, dim), weight, edge mask, coarse mask).

    The coarse mask picks every other node per axis: the same rule at twice the step, whose
    agreement certifies the fine one (the trapezoid rule converges spectrally on smooth,
    Gaussian-decaying integrands, so the step is fine enough once halving it changes nothing).
    """
    if dim not in _GRID:
        raise Unsupported(f"an integral over {dim} variables at once is too costly")
    half, step = _GRID[dim]
    count = 2 * round(half / step) + 1
    line = np.linspace(-half, half, count)
    grids = np.meshgrid(*([line] * dim), indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=-1)
    edge = np.any(np.abs(nodes) >= half - step / 2, axis=-1)
    even = np.meshgrid(*([np.arange(count) % 2 == 0] * dim), indexing="ij")
    coarse = reduce(np.logical_and, even).ravel()
    return nodes, step ** dim, edge, coarse


def _lift(value):
    """Give an environment value the new trailing quadrature axis."""
    return value[..., None] if isinstance(value, np.ndarray) else value


def _along(column, depth):
    """A vector of node coordinates, shaped to lie along axis ``depth``."""
    return column.reshape((1,) * depth + (-1,))


class Evaluator:
    """Evaluates expressions on one ``Instance``: floats out, ``Skip`` for no value."""

    def __init__(self, instance):
        self.instance = instance
        self._size = 1          # elements per array at the current quadrature depth

    def value(self, expr):
        with np.errstate(all="ignore"):
            v = np.asarray(self._v(expr, dict(self.instance.values), 0), dtype=float)
        if v.size != 1:
            raise Unsupported(f"{expr} did not evaluate to one number")
        v = float(v.reshape(()))
        if not np.isfinite(v):
            raise Skip(f"{expr} is not finite here")
        return v

    # values ------------------------------------------------------------------------------
    def _v(self, e, env, depth):
        if isinstance(e, (Symbol, Indexed)):
            try:
                return env[e]
            except KeyError:
                raise Unsupported(f"no value for {e}") from None
        if isinstance(e, (Number, NumberSymbol)):
            try:
                return np.float64(float(e))
            except TypeError:
                raise Unsupported(f"{e} is not a real number") from None
        if isinstance(e, Add):
            return reduce(operator.add, (self._v(a, env, depth) for a in e.args))
        if isinstance(e, (Mul, Pow)) and _density_product(e):
            s, l = self._slog(e, env, depth)
            return s * np.exp(l)
        if isinstance(e, Mul):
            return reduce(operator.mul, (self._v(a, env, depth) for a in e.args))
        if isinstance(e, Pow):
            return np.power(np.asarray(self._v(e.base, env, depth), dtype=float),
                            self._v(e.exp, env, depth))
        if isinstance(e, log):
            s, l = self._slog(e.args[0], env, depth)
            return np.where(s > 0, l, np.nan) if isinstance(s, np.ndarray) else (l if s > 0 else np.nan)
        if isinstance(e, DensityBase):
            return np.exp(self._logpdf(e, env, depth))
        if isinstance(e, Expectation):
            f = e.integrand
            return self._expect(lambda en, d: self._v(f, en, d), e.density, env, depth, f)
        if isinstance(e, KL):
            a, b = e.first, e.second
            return self._expect(lambda en, d: self._logpdf(a, en, d) - self._logpdf(b, en, d), a, env, depth)
        if isinstance(e, Entropy):
            a = e.density
            return -self._expect(lambda en, d: self._logpdf(a, en, d), a, env, depth)
        if isinstance(e, SpaceIntegral):
            found = _reference(e.integrand, e.variables)
            if found is None:
                return self._integrate(e.integrand, e.variables, env, depth)
            reference, ratio = found
            return self._expect(lambda en, d: self._v(ratio, en, d), reference, env, depth, ratio)
        if isinstance(e, Defined):
            return self._v(e.body, env, depth)
        if isinstance(e, (Max, Min)):
            ufunc = np.maximum if isinstance(e, Max) else np.minimum
            return reduce(ufunc, (self._v(a, env, depth) for a in e.args))
        f = _FUNCTIONS.get(type(e))
        if f is not None:
            return f(self._v(e.args[0], env, depth))
        raise Unsupported(f"cannot evaluate {type(e).__name__} ({e}) numerically")

    def _slog(self, e, env, depth):
        """(sign, log |e|): products of densities in log space, so tails never underflow."""
        if isinstance(e, DensityBase):
            return 1.0, self._logpdf(e, env, depth)
        if isinstance(e, Mul):
            parts = [self._slog(a, env, depth) for a in e.args]
            return (reduce(operator.mul, (s for s, _ in parts)),
                    reduce(operator.add, (l for _, l in parts)))
        if isinstance(e, Pow):
            s, l = self._slog(e.base, env, depth)
            if e.exp.is_Integer:
                n = int(e.exp)
                return (s ** abs(n) if n else 1.0), (n * l if n else 0.0)
            s = np.asarray(s)     # a real power of a negative number has no real value
            return np.where(s > 0, 1.0, np.where(s == 0, 0.0, np.nan)), self._v(e.exp, env, depth) * l
        if isinstance(e, exp):
            return 1.0, self._v(e.args[0], env, depth)
        v = self._v(e, env, depth)
        return np.sign(v), np.log(np.abs(v))

    def _logpdf(self, d, env, depth):
        if isinstance(d, Gaussian):
            m, var = self._v(d.mean, env, depth), self._v(d.variance, env, depth)
            if not np.all(np.asarray(var) > 0):
                raise Skip(f"the variance {d.variance} of N({d.variable}; ...) is not positive here")
            z = self._v(d.variable, env, depth)
            return -0.5 * (_LOG_2PI + np.log(var)) - (z - m) ** 2 / (2 * var)
        model = self.instance.families[d.family]
        both = d.variables + d.given
        joint = model.logpdf(both, [self._v(v, env, depth) for v in both])
        if not d.given:
            return joint
        return joint - model.logpdf(d.given, [self._v(v, env, depth) for v in d.given])

    # quadrature ------------------------------------------------------------------------------
    def _deeper(self, count):
        size = self._size * count
        if size > _MAX_NODES:
            raise Unsupported("nested expectations and integrals too costly to evaluate")
        return size

    def _expect(self, integrand, density, env, depth, expr=None, retry=True):
        """E_density[integrand] by Gauss-Hermite over the density's (conditional) Gaussian.

        With ``expr`` (the integrand as an expression) a rule of half the order checks the
        result; where they disagree (a ratio of densities that grows in the tails, say) the
        expectation is redone once under another density factor of density * integrand, and
        failing that as the integral of density * integrand on the wide grid.
        """
        if isinstance(density, Gaussian):
            m, var = self._v(density.mean, env, depth), self._v(density.variance, env, depth)
            if not np.all(np.asarray(var) > 0):
                raise Skip(f"the variance {density.variance} of N({density.variable}; ...) is not positive here")
            variables, centres, chol = (density.variable,), [m], np.sqrt(np.asarray(var))
            chol = [[chol]]
        else:
            model = self.instance.families[density.family]
            variables, given = density.variables, density.given
            mean_a, gain, mean_b, chol = model.conditional(variables, given)
            shifts = [self._v(v, env, depth) - mb for v, mb in zip(given, mean_b)]
            centres = [mean_a[i] + sum((gain[i, k] * shifts[k] for k in range(len(given))), 0.0)
                       for i in range(len(variables))]
        u, w, checked, w_low = _hermite(len(variables), expr is not None)
        placed = []
        for i, centre in enumerate(centres):
            spread = sum(_lift(np.asarray(chol[i][k])) * _along(u[:, k], depth) for k in range(i + 1))
            placed.append(_lift(np.asarray(centre)) + spread)
        total, values = self._quadrature(integrand, variables, placed, w, env, depth)
        if not checked or values.ndim == 0 or values.shape[-1] == 1:
            return total
        coarse = np.sum(values[..., checked:] * w_low, axis=-1)
        scale = np.sum(np.abs(values[..., :checked]) * w[:checked], axis=-1)
        if np.all(np.abs(total - coarse) <= _AGREE * scale):
            return total
        product = _weighted(density, expr)
        found = _reference(product, variables, density) if retry else None
        if found is not None:
            reference, ratio = found
            return self._expect(lambda en, d: self._v(ratio, en, d), reference, env, depth, ratio, False)
        return self._integrate(product, variables, env, depth)

    def _quadrature(self, integrand, variables, placed, weights, env, depth):
        """(sum of weights * integrand over a new trailing axis, the integrand's values)."""
        outer, self._size = self._size, self._deeper(len(weights))
        try:
            inner = {k: _lift(v) for k, v in env.items()}
            inner.update(zip(variables, placed))
            values = np.asarray(integrand(inner, depth + 1))
            return np.sum(values * _along(weights, depth), axis=-1), values
        finally:
            self._size = outer

    def _integrate(self, f, variables, env, depth):
        """int f d(variables) over the whole space: trapezoid rule on a wide grid, checked."""
        dim = len(variables)
        nodes, weight, edge, coarse = _grid(dim)
        placed = [_along(nodes[:, k], depth) for k in range(dim)]
        total, values = self._quadrature(lambda en, d: self._v(f, en, d), variables, placed,
                                         np.full(len(nodes), weight), env, depth)
        names = ", ".join(map(str, variables))
        if values.ndim == 0 or values.shape[-1] == 1:
            if np.all(values == 0):
                return total
            raise Skip(f"the integral over {names} does not converge")
        scale = np.sum(np.abs(values), axis=-1) * weight
        tail = np.max(np.abs(values[..., edge]), axis=-1) * (2 * _GRID[dim][0]) ** dim
        if not np.all(tail <= _DECAY * scale):
            raise Skip(f"the integral over {names} does not converge on the grid")
        rough = np.sum(values[..., coarse], axis=-1) * weight * 2 ** dim
        if not np.all(np.abs(total - rough) <= _AGREE * scale):
            raise Skip(f"the integrand over {names} is too narrow or not smooth enough for the grid")
        return total
