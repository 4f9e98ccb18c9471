"""Evaluating an expression of the probability algebra on one instance, with an error scale.

Sums and products are expanded for the drawn sizes first, so that ``z[j]`` becomes the plain
coordinates z_1, z_2, ...; a scan then finds the free values to draw, the variables of each
family, and where the terms are defined (a variance positive, what log takes positive).
Evaluation is vectorised: each expectation or integral adds one trailing array axis holding its
quadrature nodes, so nested expectations cost one numpy pass per node set, not a Python loop.

Every value comes with a *scale* ``m >= |value|``: a bound on the size of the terms it was
computed from, propagated to first order (the sum of the addends' scales; |a| m_b + m_a |b| for
a product; |f'(a)| m_a + |f(a)| for a function), with each quadrature's error estimate added
as ``error / TOLERANCE``. The rounding and quadrature error of the value is then below
``TOLERANCE * m``: 10^12 (log p(x, z) - log p(z | x)) - 10^12 log p(x) is 0 within it, although
its value is 10^-3; and a value within it of 0 counts as 0 where 0 has no meaning (a
denominator, the argument of log).
"""
import math
import operator
from functools import lru_cache, reduce
from typing import (TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Iterable, List, Mapping,
                    Optional, Set, Tuple as TypingTuple)

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.polynomial.legendre import leggauss
from sympy import (Abs, Add, Basic, Indexed, IndexedBase, Integer, Max, Min, Mul, Number,
                   NumberSymbol, Pow, Product, Rational, S, Sum, Symbol, acos, asin, atan,
                   ceiling, cos, cosh, default_sort_key, erf, erfc, exp, floor, log, sign, sin,
                   sinh, tan, tanh)
from sympy import Expr, Tuple
from sympy.core.function import AppliedUndef
from sympy.functions.special.delta_functions import Heaviside

from ..algebra import (KL, Defined, Density, DensityBase, Draws, Entropy, Expectation, Gaussian,
                       SpaceIntegral, bound_symbols)
from ..algebra.variables import IndexedVariable, VariableRange
from ..errors import DomainError
from .instances import Skip, TooCostly, Unsupported

if TYPE_CHECKING:
    from .instances import Instance

TOLERANCE = 1e-11                  # relative to a value's scale: its rounding error is below this
_MAX_TERMS = 64                    # a sum expanded to more terms than this is refused
_MAX_NODES = 4_000_000             # array elements alive at once across nested quadratures
_HERMITE_NODES = {1: 64, 2: 48, 3: 24, 4: 12, 5: 8, 6: 6}   # per dimension, by dimension
_AGREE = 1e-11                     # the two Gauss-Hermite rules agree within this (relative)
_GRID = {1: (40.0, 0.02), 2: (25.0, 0.0625)}    # integrals: half-width and step, by dimension
_DECAY = 1e-12                     # an integrand must be this small at the grid's edge
_CHUNK = 1 << 16                   # array elements per chunk of an integral's grid
_SAFETY = 10.0                     # a quadrature's error estimate counts this many times
# integrands with kinks or jumps: Gauss-Legendre panels on [-L, L] standard deviations, split
# at every kink, P panels checked against P / 2; kinks found on a grid of G points, refined by
# B bisections; at most R kinks per kinked term
_KINK_HALF, _KINK_ORDER, _KINK_PANELS, _KINK_GRID, _KINK_BISECT, _KINK_ROOTS = 12.0, 8, 48, 241, 48, 4
_KINK_AGREE = 1e-9                 # the two rules agree within this (relative): pieces are smooth
_LOG_2PI = float(np.log(2 * np.pi))
_LONG_BITS = 200                   # a number longer than this prints in scientific notation


def _compact(e):
    """``e`` with every number longer than about 60 digits written in scientific notation
    (1.000e+2000): Python refuses to print whole numbers of more than 4300 digits."""
    if not isinstance(e, Basic):
        return e
    long = {n: Symbol(scientific(n)) for n in e.atoms(Rational)
            if max(abs(n.p).bit_length(), n.q.bit_length()) > _LONG_BITS}
    return e.xreplace(long) if long else e


def scientific(n: Rational) -> str:
    """A rational number in scientific notation with 4 digits, however long (1.0e+5000)."""
    import mpmath

    return mpmath.nstr(mpmath.mpf(int(n.p)) / mpmath.mpf(int(n.q)), 4)


def _short(e, width=60):
    from ..printing.text import text as _text

    text = _text(_compact(e))
    return text if len(text) <= width else text[:width - 3] + "..."


def digits(n: int) -> int:
    """How many decimal digits the whole number ``n`` has, without printing it."""
    n = abs(int(n))
    count = int((max(n.bit_length(), 1) - 1) * math.log10(2)) + 1
    while n >= 10 ** count:
        count += 1
    return count


# -- sums and products -------------------------------------------------------------------

def size_symbols(expr: Expr) -> Set[Symbol]:
    """The whole numbers a step's shape depends on: symbols in the bounds of sums, products and
    ranges (J in sum_{j=1}^{J}, T in x_{1:T}, K in z_{1:K}) and in the indices of indexed
    variables (T in x_T, t in a free x_t), minus the indices of sums and products."""
    sizes, indices = set(), set()
    for s in expr.atoms(Sum, Product):
        for limit in s.limits:
            indices.add(limit[0])
            for bound in limit[1:]:
                sizes |= bound.free_symbols
    for r in expr.atoms(VariableRange):
        sizes |= r.lo.free_symbols | r.hi.free_symbols
    for v in expr.atoms(Indexed):
        for i in v.indices:
            sizes |= i.free_symbols
    return {s for s in sizes - indices if isinstance(s, Symbol)}


def _whole(bound):
    if not bound.is_Integer:
        raise Unsupported(f"the bound {_short(bound)} is not a whole number once sizes are drawn")
    if abs(int(bound)) > 10 ** 9:
        raise Unsupported("a sum or product bound is too large to write the terms out")
    return int(bound)


_MEMO = 4096                       # expressions (at given sizes) whose expansion and scan are kept


def expand_sums(expr: Expr, sizes: Mapping[Symbol, int]) -> Expr:
    """``expr`` with sizes substituted, every Sum and Product written out term by term (one
    whose upper bound is below its lower bound is empty: 0 and 1), every range of variables
    written as its elements (x_{1:3} is x_1, x_2, x_3), densities at i.i.d. draws marked
    (``AtDraw``), and every element of a family of variables written as ``IndexedVariable``
    (z[1] inside a sum is z_1 outside). A density with a variable on both sides of its bar at
    these sizes raises ``Skip``: the step says nothing there.

    Memoized per (expression, sizes): a chain's next step starts from this step's right side,
    and the judge draws the same sizes again (a failure is not kept, only raised again)."""
    return _expand_at(expr, frozenset(sizes.items()))


@lru_cache(maxsize=_MEMO)
def _expand_at(expr: Expr, sizes: FrozenSet[TypingTuple[Symbol, int]]) -> Expr:
    whole = {k: Integer(v) for k, v in sizes}
    out = _expand(expr.xreplace(whole) if whole else expr)
    if isinstance(out, Basic) and out.has(Indexed):
        mapping = {a: IndexedVariable(a.base.label.name if hasattr(a.base.label, "name")
                                      else str(a.base.label), *a.indices)
                   for a in out.atoms(Indexed) if not isinstance(a, IndexedVariable)}
        if mapping:
            out = out.xreplace(mapping)
    return out


def _elements(variables):
    """The variables with every range written as its elements."""
    out: List[Any] = []
    for v in variables:
        if isinstance(v, VariableRange):
            lo, hi = _whole(v.lo), _whole(v.hi)
            if hi - lo + 1 > _MAX_TERMS:
                raise TooCostly(f"the range {v} has {hi - lo + 1} variables")
            out.extend(IndexedVariable(v.name, k) for k in range(lo, hi + 1))
        else:
            if isinstance(v, Indexed) and not all(i.is_Integer for i in v.indices):
                raise Unsupported(f"{v} stands outside a sum over its index")
            out.append(v)
    return out


def _draw_elements(draws):
    """z_1, ..., z_K of ``z_{1:K} ~ q(z | x)`` (sizes substituted)."""
    return _elements((draws.draws,))


def _at_draws(expr, variable, draws):
    """Densities in ``expr`` at a draw: p(x, z_2) becomes p(x, z) at z = z_2."""
    mapping = {}
    for d in expr.atoms(Density):
        hit = [v for v in d.variables + d.given if v in draws]
        if not hit:
            continue
        if len(hit) > 1:
            raise Unsupported(f"{_short(d)} stands at two draws at once")
        if variable in d.variables + d.given:
            raise Unsupported(f"{_short(d)} names both the draw {hit[0]} and {variable}")
        mapping[d] = AtDraw(d.xreplace({hit[0]: variable}), variable, hit[0])
    return expr.xreplace(mapping) if mapping else expr


def _expand(e):
    if not isinstance(e, Basic) or not e.has(Sum, Product, VariableRange):
        return e
    if isinstance(e, Expectation) and isinstance(e.density, Draws):
        d = e.density
        base = _expand(d.base)
        draws = _draw_elements(d)
        integrand = _at_draws(_expand(e.integrand), d.variable, set(draws))
        return Expectation(integrand, Draws(base, VariableRange(d.draws.name, *_bounds(draws, d))))
    if isinstance(e, Density):
        try:
            return Density(e.args[0], _elements(e.variables), _elements(e.given))
        except DomainError as exc:
            raise Skip(str(exc)) from None
    if isinstance(e, SpaceIntegral):
        return SpaceIntegral(_expand(e.integrand), tuple(_elements(e.variables)))
    if isinstance(e, VariableRange):
        raise Unsupported(f"the range {e} stands outside a density or an integral")
    if isinstance(e, (Sum, Product)):
        *inner, (index, lower, upper) = e.limits
        body = type(e)(e.function, *inner) if inner else e.function
        a, b = _whole(lower), _whole(upper)
        if b - a + 1 > _MAX_TERMS:
            raise TooCostly(f"the {'sum' if isinstance(e, Sum) else 'product'} over {index} "
                              f"has {b - a + 1} terms")
        terms = [_expand(body.xreplace({index: Integer(k)})) for k in range(a, b + 1)]
        if isinstance(e, Sum):
            return Add(*terms) if terms else S.Zero
        return Mul(*terms) if terms else S.One
    return e.func(*[_expand(a) for a in e.args])


def _bounds(draws, d):
    """(lo, hi) of the expanded draws (an empty range keeps its written bounds)."""
    if draws:
        return draws[0].index, draws[-1].index
    return d.draws.lo, d.draws.hi


class AtDraw(DensityBase):
    """A density at an i.i.d. draw: ``inner`` (a density of the family, over its variables)
    with ``variable`` standing at ``draw``: p(x, z_2) inside E_{z_{1:K} ~ q(z | x)} is p(x, z)
    at z = z_2, the family's joint over x and z evaluated at the second draw."""

    def __new__(cls, inner: Expr, variable: Expr, draw: Expr) -> "AtDraw":
        return Expr.__new__(cls, inner, variable, draw)

    @property
    def inner(self) -> Expr:
        return self.args[0]

    @property
    def variable(self) -> Expr:
        return self.args[1]

    @property
    def draw(self) -> Expr:
        return self.args[2]

    @property
    def family(self) -> str:
        return self.args[0].family

    def _swap(self, variables):
        return tuple(self.args[2] if v == self.args[1] else v for v in variables)

    @property
    def variables(self) -> TypingTuple[Expr, ...]:
        return self._swap(self.args[0].variables)

    @property
    def given(self) -> TypingTuple[Expr, ...]:
        return self._swap(self.args[0].given)

    @property
    def free_symbols(self) -> Set[Basic]:
        return (self.args[0].free_symbols - {self.args[1]}) | self.args[2].free_symbols


def parts(d: DensityBase) -> TypingTuple[str, TypingTuple[Expr, ...], TypingTuple[Expr, ...],
                                       TypingTuple[Expr, ...], TypingTuple[Expr, ...]]:
    """(family, its variables left and right of the bar, the variables standing there)."""
    if isinstance(d, AtDraw):
        inner = d.inner
        return inner.family, inner.variables, inner.given, d.variables, d.given
    return d.family, d.variables, d.given, d.variables, d.given


# -- scan --------------------------------------------------------------------------------

class Structure:
    """What an (expanded) expression needs: free atoms, family variables, domain conditions."""

    def __init__(self) -> None:
        self._free: Dict[Expr, None] = {}
        self.families: Dict[str, Any] = {}   # family -> set of its variables, then sorted tuple
        self.positive: Set[Expr] = set()     # atoms alone as a variance or under log / sqrt
        self.variables: Set[Expr] = set()    # atoms that are some density's variable
        # (expr, relation) -> None: where the free terms are defined
        self.conditions: Dict[TypingTuple[Expr, str], None] = {}

    def scan(self, expr: Expr, bound: Iterable[Expr] = frozenset()) -> "Structure":
        """Add what ``expr`` needs (``bound``: variables integrated outside it); an
        expression's own scan is memoized, and merged here in the order a walk would add it."""
        self._merge(_scanned(expr, frozenset(bound)))
        return self

    def _merge(self, other: "Structure") -> None:
        self._free.update(other._free)
        for family, variables in other.families.items():
            self.families.setdefault(family, set()).update(variables)
        self.positive |= other.positive
        self.variables |= other.variables
        self.conditions.update(other.conditions)

    def finish(self) -> "Structure":
        """Freeze: families' variables sorted, free atoms density variables first."""
        self.families = {f: tuple(sorted(vs, key=default_sort_key)) for f, vs in self.families.items()}
        key = lambda a: (a not in self.variables, default_sort_key(a))
        self.free = tuple(sorted(self._free, key=key))
        return self

    def _condition(self, expr, relation, bound):
        """``expr REL 0`` must hold where the term is defined; kept when free of bound
        variables (a condition on the draws). One in integrated variables must hold for all
        of their values, as the judge's densities are Gaussian over the whole line: log z
        under E_{N(z; ...)} has no value, whichever nodes a quadrature would use."""
        if bound and expr.has(*bound):
            if not expr.has(*_OPAQUE) and not _everywhere(expr, relation):
                what = {">": "positive", ">=": "nonnegative"}.get(relation, "nonzero")
                raise Unsupported(f"{_short(expr)} must be {what}, but is not for every value of "
                                  "the integrated variables")
        elif _atom(expr):
            if relation != "!=":
                self.positive.add(expr)
        elif not expr.is_number:
            self.conditions[(expr, relation)] = None


_OPAQUE = (DensityBase, Expectation, KL, Entropy, SpaceIntegral, Defined)


@lru_cache(maxsize=_MEMO)
def _scanned(expr: Expr, bound: FrozenSet[Expr]) -> Structure:
    """The scan of ``expr`` alone (never modified: ``Structure.scan`` merges copies of it)."""
    acc = Structure()
    _walk(expr, bound, acc)
    return acc


def _everywhere(expr, relation):
    """Whether ``expr REL 0`` holds for all real values of its variables (sympy's signs)."""
    from sympy import Dummy

    atoms = {a for a in expr.free_symbols if isinstance(a, Symbol)} | expr.atoms(Indexed)
    real = {a: Dummy(real=True, positive=a.is_positive, nonnegative=a.is_nonnegative)
            if isinstance(a, Symbol) else Dummy(real=True) for a in atoms}
    e = expr.xreplace(real)
    if relation == ">":
        return bool(e.is_positive)
    if relation == ">=":
        return bool(e.is_nonnegative)
    return bool(e.is_positive or e.is_negative)


def _atom(e):
    return isinstance(e, (Symbol, Indexed))


def _walk_density(d, bound, acc):
    if isinstance(d, AtDraw):
        family, left, given, at_left, at_given = parts(d)
        acc.families.setdefault(family, set()).update(left + given)
        acc.variables.update(at_left + at_given)
        for v in at_left + at_given:
            _walk(v, bound, acc)
        return
    if isinstance(d, Gaussian):
        acc.variables.add(d.variable)
        acc._condition(d.variance, ">", bound)
        for part in d.args:
            _walk(part, bound, acc)
        return
    if not isinstance(d, Density):
        raise Unsupported(f"the density {_short(d)} is of no known kind")
    both = d.variables + d.given
    acc.families.setdefault(d.family, set()).update(both)
    acc.variables.update(both)
    for v in both:
        _walk(v, bound, acc)


def _check_number(e):
    """A constant must be a finite real number that floating point can hold."""
    if e.is_extended_real is False:
        raise Unsupported(f"the step takes complex values ({_short(e)} is not real)")
    if e.is_finite is False or e in (S.NaN, S.ComplexInfinity):
        raise Unsupported(f"{_short(e)} is not a finite number")
    if isinstance(e, Number):
        _float(e)
    elif isinstance(e, Pow) and isinstance(e.base, Number) and isinstance(e.exp, Number):
        base, power = abs(_float(e.base)), _float(e.exp)
        if base > 0 and abs(power * math.log10(base)) > 300:
            raise Unsupported(f"the number {_short(e)} is too large or too small for floating point")


def _float(e):
    try:
        value = float(e)
    except OverflowError:
        value = math.inf
    except TypeError:
        raise Unsupported(f"the step takes complex values ({_short(e)} is not real)") from None
    if not math.isfinite(value):
        raise Unsupported("a number is too large for floating point"
                          + (f" ({digits(e)} digits)" if e.is_Integer else f" ({_short(e)})"))
    return np.float64(value)


def _walk(e, bound, acc):
    if isinstance(e, Expectation) and isinstance(e.density, Draws):
        d = e.density
        inner = bound | set(_draw_elements(d))
        _walk_density(d.base, inner | {d.variable}, acc)
        _walk(e.integrand, inner, acc)
    elif isinstance(e, (KL, Entropy)) and any(isinstance(a, Draws) for a in e.args):
        raise Unsupported(f"{_short(e)} of i.i.d. draws")
    elif isinstance(e, (Expectation, KL, Entropy, SpaceIntegral)):
        # the binder protocol says what each binds; its densities and integrand are walked
        # with those variables bound
        inner = bound | set(bound_symbols(e))
        for part in e.args:
            if isinstance(part, DensityBase):
                _walk_density(part, inner, acc)
            elif not isinstance(part, Tuple):
                _walk(part, inner, acc)
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
    elif isinstance(e, (Number, NumberSymbol)) or (e.is_Atom and e.is_number):
        _check_number(e)
    elif isinstance(e, log):
        if not isinstance(e.args[0], DensityBase):
            acc._condition(e.args[0], ">", bound)
        _walk(e.args[0], bound, acc)
    elif isinstance(e, Pow):
        if e.is_number:
            _check_number(e)
        if not e.exp.is_integer:
            acc._condition(e.base, ">" if e.exp.is_negative else ">=", bound)
        elif e.exp.is_negative and not _density_factor(e.base):
            acc._condition(e.base, "!=", bound)
        _walk(e.base, bound, acc)
        _walk(e.exp, bound, acc)
    elif isinstance(e, (Add, Mul, Max, Min)) or type(e) in _FUNCTIONS:
        if isinstance(e, (Add, Mul)) and e.is_number:
            _check_number(e)
        for a in e.args:
            _walk(a, bound, acc)
    elif isinstance(e, (Sum, Product, IndexedBase)):
        raise Unsupported(f"{_short(e)} could not be expanded")
    elif isinstance(e, AppliedUndef):
        raise Unsupported(f"{_short(e)} is an unknown function: no instance stands for every one")
    else:
        raise Unsupported(f"cannot evaluate {type(e).__name__} ({_short(e)}) numerically")


# -- real functions: value and a bound on the derivative ----------------------------------

def _vectorised(f):
    g = np.vectorize(lambda t: f(t) if math.isfinite(t) else math.nan, otypes=[float])
    return lambda a: g(np.asarray(a, dtype=float))


def _erf_slope(a):
    return 2 / math.sqrt(math.pi) * np.exp(-np.square(a))


_Slope = Optional[Callable[[Any], Any]]
_FUNCTIONS: Dict[type, TypingTuple[Callable[[Any], Any], _Slope]] = {
    exp: (np.exp, np.exp),
    sin: (np.sin, lambda a: 1.0), cos: (np.cos, lambda a: 1.0),
    tan: (np.tan, lambda a: 1 + np.square(np.tan(a))),
    sinh: (np.sinh, np.cosh), cosh: (np.cosh, np.cosh), tanh: (np.tanh, lambda a: 1.0),
    atan: (np.arctan, lambda a: 1.0),
    asin: (np.arcsin, lambda a: 1 / np.sqrt(1 - np.square(a))),
    acos: (np.arccos, lambda a: 1 / np.sqrt(1 - np.square(a))),
    erf: (_vectorised(math.erf), _erf_slope), erfc: (_vectorised(math.erfc), _erf_slope),
    Abs: (np.abs, lambda a: 1.0),
}
_STEPS = {sign: np.sign, floor: np.floor, ceiling: np.ceil,
          Heaviside: lambda a: np.where(a > 0, 1.0, np.where(a < 0, 0.0, 0.5))}
_FUNCTIONS.update({k: (f, None) for k, f in _STEPS.items()})
_KINKED = (Abs, sign, Max, Min, floor, ceiling, Heaviside)   # not smooth: quadrature splits


@lru_cache(maxsize=1024)
def _kinked(expr, variables):
    """Whether ``expr`` has a kink or a jump in ``variables`` (|z|, max(z, 0), sign(z))."""
    return any(k.has(*variables) for k in expr.atoms(*_KINKED))


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


def _checked(high, low, dim):
    """Two rules in one node set: (nodes, weights of ``high`` padded with zeros, where the
    nodes of ``low`` start, their weights)."""
    (points, point_weights), (low_points, low_point_weights) = high, low
    nodes, weights = _tensor(points, point_weights, dim)
    low_nodes, low_weights = _tensor(low_points, low_point_weights, dim)
    return (np.concatenate([nodes, low_nodes]), np.concatenate([weights, np.zeros(len(low_nodes))]),
            len(nodes), low_weights)


@lru_cache(maxsize=16)
def _hermite(dim, checked=False):
    """Standard-normal Gauss-Hermite nodes, tensor product: (nodes (M, dim), weights (M,), 0, None).

    ``checked`` appends the nodes of the rule of half the order, with zero weight, and returns
    where they start and their weights: one pass of the integrand then serves both rules.
    """
    if dim not in _HERMITE_NODES:
        raise TooCostly(f"an expectation over {dim} variables at once is too costly")
    n = _HERMITE_NODES[dim]
    u, w = hermegauss(n)
    if not checked:
        nodes, weights = _tensor(u, w / w.sum(), dim)
        return nodes, weights, 0, None
    low_u, low_w = hermegauss(max(n // 2, 2))
    return _checked((u, w / w.sum()), (low_u, low_w / low_w.sum()), dim)


@lru_cache(maxsize=4)
def _legendre():
    return leggauss(_KINK_ORDER)


def _kink_arguments(expr, variables):
    """The expressions whose zeros are the kinks and jumps of ``expr`` in ``variables``."""
    out: List[Expr] = []
    for k in expr.atoms(*_KINKED):
        if not k.has(*variables):
            continue
        if isinstance(k, (floor, ceiling)):
            raise Unsupported(f"{_short(k)} jumps at every whole number of the integrated variables")
        if isinstance(k, (Max, Min)):
            args = k.args
            out.extend(args[i] - args[j] for i in range(len(args)) for j in range(i))
        else:
            out.append(k.args[0])
    return tuple(out)


def _panels(edges):
    """Gauss-Legendre nodes and standard-normal weights on the panels between ``edges``
    (sorted along the last axis; equal neighbours make empty panels of weight 0)."""
    t, w = _legendre()
    a, b = edges[..., :-1, None], edges[..., 1:, None]
    mid, half = (a + b) / 2, (b - a) / 2
    nodes = mid + half * t
    weights = half * w * np.exp(-nodes ** 2 / 2) / math.sqrt(2 * math.pi)
    shape = nodes.shape[:-2] + (-1,)
    return nodes.reshape(shape), weights.reshape(shape)


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
        elif isinstance(factor, AtDraw) and wanted <= set(factor.variables):
            inner, z, draw = factor.inner, factor.variable, factor.draw
            left = [z if v == draw else v for v in variables]
            rest = set(inner.variables + inner.given) - set(left)
            reference = AtDraw(Density(inner.args[0], tuple(left), tuple(rest)), z, draw)
        else:
            continue
        if reference != exclude:
            return reference, Mul(integrand, Pow(reference, -1))
    return None


@lru_cache(maxsize=1024)
def _blocks(density):
    """The independent Gaussian blocks of a measure: the density itself, or one density per
    draw of ``z_{1:K} ~ q(z | x)`` (q at z_k: each draw has the base density's law)."""
    if isinstance(density, Draws):
        z, base = density.variable, density.base
        return tuple(base.xreplace({z: zk}) if isinstance(base, Gaussian) else AtDraw(base, z, zk)
                     for zk in _draw_elements(density))
    if isinstance(density, (Gaussian, Density, AtDraw)):
        return (density,)
    raise Unsupported(f"the density {_short(density)} is of no known kind")


def _marginal(blocks, subset):
    """The blocks' joint law over ``subset`` of their variables: a family's conditional over
    fewer variables is its marginal (exact for the Gaussian families)."""
    wanted, out = set(subset), []
    for b in blocks:
        left = [v for v in b.variables if v in wanted]
        if len(left) == len(b.variables):
            out.append(b)
        elif left:
            out.append(Density(b.args[0], left, b.given))
    return tuple(out)


def _log_parts(argument):
    """log of a product of densities (and positive numbers) as the sum of their logs; None
    for anything else."""
    out = []
    for f in Mul.make_args(argument):
        if isinstance(f, DensityBase):
            out.append(log(f))
        elif isinstance(f, Pow) and isinstance(f.base, DensityBase) and f.exp.is_Integer:
            out.append(f.exp * log(f.base))
        elif f.is_number and f.is_positive:
            out.append(log(f))
        else:
            return None
    return out


def _terms(e, variables):
    """The addends of ``e`` (distributing factors constant in ``variables``, and splitting the
    log of a product of densities)."""
    if isinstance(e, Add):
        return [t for a in e.args for t in _terms(a, variables)]
    if isinstance(e, Mul):
        rest = [a for a in e.args if a.free_symbols & variables]
        if len(rest) == 1 and len(rest) < len(e.args):
            inner = _terms(rest[0], variables)
            if len(inner) > 1:
                const = [a for a in e.args if a is not rest[0]]
                return [Mul(*const, t) for t in inner]
        return [e]
    if isinstance(e, log):
        split = _log_parts(e.args[0])
        if split is not None and len(split) > 1:
            return [t for part in split for t in _terms(part, variables)]
    return [e]


@lru_cache(maxsize=1024)
def _groups(integrand, variables):
    """((variables a group depends on, the sum of its terms), ...) in order of appearance."""
    wanted = frozenset(variables)
    groups: Dict[FrozenSet[Any], List[Expr]] = {}
    for term in _terms(integrand, wanted):
        groups.setdefault(frozenset(term.free_symbols & wanted), []).append(term)
    return tuple((tuple(v for v in variables if v in key), Add(*terms))
                 for key, terms in groups.items())


@lru_cache(maxsize=256)
def _weighted(density, integrand):
    """density * integrand, the integrand of an expectation written as an integral."""
    return Mul(density, integrand)


def _grid(dim):
    """Trapezoid grid over the whole space: (line, weight); its nodes are the tensor product
    of the line, numbered in C order, and made chunk by chunk (``_grid_chunk``).

    The coarse mask picks every other node per axis: the same rule at twice the step, whose
    agreement certifies the fine one (the trapezoid rule converges spectrally on smooth,
    Gaussian-decaying integrands, so the step is fine enough once halving it changes nothing).
    """
    if dim not in _GRID:
        raise TooCostly(f"an integral over {dim} variables at once is too costly")
    half, step = _GRID[dim]
    count = 2 * round(half / step) + 1
    return np.linspace(-half, half, count), step ** dim


def _grid_chunk(line, dim, lo, hi):
    """Nodes lo .. hi - 1 of the grid over ``line``: (nodes (n, dim), edge mask, coarse mask)."""
    index = np.unravel_index(np.arange(lo, hi), (len(line),) * dim)
    nodes = np.stack([line[i] for i in index], axis=-1)
    half, step = line[-1], line[1] - line[0]
    edge = np.any(np.abs(nodes) >= half - step / 2, axis=-1)
    coarse = reduce(np.logical_and, [i % 2 == 0 for i in index])
    return nodes, edge, coarse


def _lift(value):
    """Give an environment value the new trailing quadrature axis."""
    return value[..., None] if isinstance(value, np.ndarray) else value


def _along(column, depth):
    """A vector of node coordinates, shaped to lie along axis ``depth``."""
    return column.reshape((1,) * depth + (-1,))


def _zero(value, scale):
    """Whether ``value`` is 0 within its error (anywhere, for arrays)."""
    return bool(np.any(np.abs(value) <= TOLERANCE * scale))


def _mul(a, b):
    (va, ma), (vb, mb) = a, b
    return va * vb, ma * np.abs(vb) + np.abs(va) * mb


class Evaluator:
    """Evaluates expressions on one ``Instance``: floats out, ``Skip`` for no value.

    ``env`` maps atoms to their values; ``value`` gives (value, scale), see the module's doc.
    """

    def __init__(self, instance: "Instance") -> None:
        self.instance = instance
        self._size = 1          # elements per array at the current quadrature depth

    def value(self, expr: Expr, env: Optional[Dict[Any, Any]] = None) -> TypingTuple[float, float]:
        """(value, scale) of ``expr``: ``Skip`` where it has no finite real value."""
        env = dict(self.instance.values) if env is None else env
        with np.errstate(all="ignore"):
            v, m = self._v(expr, env, 0)
            v, m = np.asarray(v, dtype=float), np.asarray(m, dtype=float)
        if v.size != 1:
            raise Unsupported(f"{_short(expr)} did not evaluate to one number")
        v, m = float(v.reshape(())), float(m.reshape(()))
        if not np.isfinite(v):
            raise Skip(f"{_short(expr)} has no finite value here")
        if not np.isfinite(m):
            raise Skip(f"{_short(expr)} is too large or too sensitive to rounding here")
        return v, m

    # values ------------------------------------------------------------------------------
    def _v(self, e, env, depth):
        if isinstance(e, (Symbol, Indexed)):
            try:
                v = env[e]
            except KeyError:
                raise Unsupported(f"no value for {e}") from None
            return v, np.abs(v)
        if isinstance(e, (Number, NumberSymbol)) or (e.is_Atom and e.is_number):
            c = _float(e)
            return c, abs(c)
        if isinstance(e, Add):
            parts = [self._v(a, env, depth) for a in e.args]
            return (reduce(operator.add, (v for v, _ in parts)),
                    reduce(operator.add, (m for _, m in parts)))
        if isinstance(e, (Mul, Pow)) and _density_product(e):
            s, l, ml = self._slog(e, env, depth)
            v = s * np.exp(l)
            return v, np.abs(v) * (1 + ml)
        if isinstance(e, Mul):
            return reduce(_mul, (self._v(a, env, depth) for a in e.args))
        if isinstance(e, Pow):
            return self._pow(e, env, depth)
        if isinstance(e, log):
            s, l, ml = self._slog(e.args[0], env, depth)
            if not np.all(np.asarray(s) > 0):
                raise Skip(f"log takes a nonpositive argument {_short(e.args[0])} here")
            return l, np.abs(l) + ml
        if isinstance(e, DensityBase):
            l, ml = self._logpdf(e, env, depth)
            v = np.exp(l)
            return v, v * (1 + ml)
        if isinstance(e, Expectation):
            return self._expectation(e, env, depth)
        if isinstance(e, KL):
            a, b = e.first, e.second

            def gap(en, d):
                (la, ma), (lb, mb) = self._logpdf(a, en, d), self._logpdf(b, en, d)
                return la - lb, ma + mb
            return self._expect(gap, _blocks(a), env, depth)
        if isinstance(e, Entropy):
            a = e.density
            v, m = self._expect(lambda en, d: self._logpdf(a, en, d), _blocks(a), env, depth)
            return -v, m
        if isinstance(e, SpaceIntegral):
            found = _reference(e.integrand, e.variables)
            if found is None:
                return self._integrate(e.integrand, e.variables, env, depth)
            reference, ratio = found
            return self._expect(lambda en, d: self._v(ratio, en, d), _blocks(reference), env,
                                depth, ratio)
        if isinstance(e, Defined):
            return self._v(e.body, env, depth)
        if isinstance(e, (Max, Min)):
            ufunc = np.maximum if isinstance(e, Max) else np.minimum
            parts = [self._v(a, env, depth) for a in e.args]
            return (reduce(ufunc, (v for v, _ in parts)),
                    reduce(np.maximum, (m for _, m in parts)))
        entry = _FUNCTIONS.get(type(e))
        if entry is not None:
            f, slope = entry
            a, ma = self._v(e.args[0], env, depth)
            v = f(a)
            if np.any(np.isnan(a)) or np.any(np.isnan(v)):     # asin(2): no real value, which
                raise Skip(f"{_short(e)} is not real here")    # a step function must not hide
            if slope is None:       # a step function: exact, unless its argument is 0 within error
                if type(e) is not floor and type(e) is not ceiling and _zero(a, ma):
                    raise Skip(f"{_short(e)} is at its jump within rounding here")
                return v, np.abs(v)
            return v, np.abs(v) + np.abs(slope(a)) * ma
        raise Unsupported(f"cannot evaluate {type(e).__name__} ({_short(e)}) numerically")

    def _pow(self, e, env, depth):
        a, ma = self._v(e.base, env, depth)
        a = np.asarray(a, dtype=float)
        if e.exp.is_Integer:
            n = int(e.exp)
            if n < 0 and _zero(a, ma):
                raise Skip(f"division by zero: {_short(e.base)} is 0 here")
            v = np.power(a, float(n))
            if e.is_number and not np.all(np.isfinite(v)):
                raise Unsupported(f"the number {_short(e)} is too large for floating point")
            if n == 0:
                return v, np.abs(v)
            return v, np.abs(v) + abs(n) * np.abs(np.power(a, float(n - 1))) * ma
        r, mr = self._v(e.exp, env, depth)
        if e.is_number and not np.all(np.isfinite(np.power(a, r))):
            raise Unsupported(f"the number {_short(e)} is too large for floating point")
        if e.exp.is_number:
            if np.any(a < 0):
                raise Skip(f"{_short(e)} is not real here")
            if r < 0 and _zero(a, ma):
                raise Skip(f"division by zero: {_short(e.base)} is 0 here")
            v = np.power(a, r)
            return v, np.abs(v) + np.abs(r) * np.abs(np.power(a, r - 1)) * ma
        if np.any((a < 0) & (np.asarray(r) != np.round(r))):
            raise Skip(f"{_short(e)} is not real here")
        v = np.power(a, r)
        return v, np.abs(v) * (1 + np.abs(r) * ma / np.abs(a) + np.abs(np.log(np.abs(a))) * mr)

    def _slog(self, e, env, depth):
        """(sign, log |e|, scale of log |e|): products of densities in log space, so tails
        never underflow."""
        if isinstance(e, DensityBase):
            l, ml = self._logpdf(e, env, depth)
            return 1.0, l, ml
        if isinstance(e, Mul):
            parts = [self._slog(a, env, depth) for a in e.args]
            return (reduce(operator.mul, (s for s, _, _ in parts)),
                    reduce(operator.add, (l for _, l, _ in parts)),
                    reduce(operator.add, (m for _, _, m in parts)))
        if isinstance(e, Pow):
            s, l, ml = self._slog(e.base, env, depth)
            if e.exp.is_Integer:
                n = int(e.exp)
                return (s ** abs(n) if n else 1.0), (n * l if n else 0.0), abs(n) * ml
            s = np.asarray(s)     # a real power of a negative number has no real value
            if np.any(s < 0):
                raise Skip(f"{_short(e)} is not real here")
            r, mr = self._v(e.exp, env, depth)
            return np.where(s > 0, 1.0, 0.0), r * l, np.abs(r) * ml + np.abs(l) * mr
        if isinstance(e, exp):
            l, ml = self._v(e.args[0], env, depth)
            return 1.0, l, ml
        v, m = self._v(e, env, depth)
        if _zero(v, m):
            raise Skip(f"{_short(e)} is 0 here (within rounding)")
        a = np.abs(v)
        return np.sign(v), np.log(a), m / a

    def _logpdf(self, d, env, depth):
        """(log density, its scale)."""
        if isinstance(d, Gaussian):
            (m, mm), (var, mv) = self._v(d.mean, env, depth), self._v(d.variance, env, depth)
            if not np.all(np.asarray(var) > TOLERANCE * np.asarray(mv)):
                raise Skip(f"the variance {_short(d.variance)} of N({d.variable}; ...) is not positive here")
            z, mz = self._v(d.variable, env, depth)
            diff = z - m
            sq = diff * diff / (2 * var)
            log_var = np.log(var)
            value = -0.5 * (_LOG_2PI + log_var) - sq
            scale = (0.5 * (_LOG_2PI + np.abs(log_var) + mv / var) + sq
                     + np.abs(diff) * (mz + mm) / var + sq * mv / var)
            return value, scale
        family, left, right, at_left, at_right = parts(d)
        model = self.instance.families[family]
        joint = model.logpdf(left + right, [self._v(v, env, depth) for v in at_left + at_right])
        if not right:
            return joint
        given = model.logpdf(right, [self._v(v, env, depth) for v in at_right])
        return joint[0] - given[0], joint[1] + given[1]

    # quadrature ------------------------------------------------------------------------------
    def _deeper(self, count):
        size = self._size * count
        if size > _MAX_NODES:
            raise TooCostly("nested expectations and integrals too costly to evaluate")
        return size

    def _expectation(self, e, env, depth):
        """E_d[f], term by term: the integrand's terms are grouped by the integrated variables
        they depend on, and each group is integrated over the marginal of d over its own
        variables (exact for Gaussian families), so E_{q(x_{1:T} | x_0)}[sum_t f(x_{t-1}, x_t)]
        costs T two-dimensional quadratures, not one T-dimensional one, and a term constant
        in them is itself."""
        blocks = _blocks(e.density)
        self._measure_defined(blocks, env, depth)
        variables = tuple(v for b in blocks for v in b.variables)
        total = None
        for subset, group in _groups(e.integrand, variables):
            if subset:
                part = self._expect(lambda en, d, g=group: self._v(g, en, d),
                                    _marginal(blocks, subset), env, depth, group)
            else:
                part = self._v(group, env, depth)
            total = part if total is None else (total[0] + part[0], total[1] + part[1])
        return total if total is not None else (0.0, 0.0)

    def _measure_defined(self, blocks, env, depth):
        """A Gaussian measure whose variance is not positive has no expectation at all."""
        for b in blocks:
            if isinstance(b, Gaussian):
                var, mv = self._v(b.variance, env, depth)
                if not np.all(np.asarray(var) > TOLERANCE * np.asarray(mv)):
                    raise Skip(f"the variance {_short(b.variance)} of N({b.variable}; ...) "
                               "is not positive here")

    def _expect(self, integrand, blocks, env, depth, expr=None, retry=True):
        """E[integrand] by Gauss-Hermite over independent blocks, each a (conditional)
        Gaussian: N(z; m, v), a family's conditional, a family's density at a draw.

        With ``expr`` (the integrand as an expression) a rule of half the order checks the
        result; where they disagree (a ratio of densities that grows in the tails, say) the
        expectation is redone once under another density factor of density * integrand, and
        failing that as the integral of density * integrand on the wide grid. An integrand
        with kinks or jumps in the integrated variables (|z|, max(z, 0)) takes composite
        Gauss-Legendre rules instead, whose difference is its error estimate.
        """
        integrated: List[Any] = []
        centres: List[Any] = []
        spreads: List[TypingTuple[int, int, Any]] = []   # (row, column, factor)
        for b in blocks:
            start = len(integrated)
            if isinstance(b, Gaussian):
                (m, _), (var, mv) = self._v(b.mean, env, depth), self._v(b.variance, env, depth)
                if not np.all(np.asarray(var) > TOLERANCE * np.asarray(mv)):
                    raise Skip(f"the variance {_short(b.variance)} of N({b.variable}; ...) "
                               "is not positive here")
                integrated.append(b.variable)
                centres.append(m)
                spreads.append((start, start, np.sqrt(np.asarray(var))))
                continue
            family, left, right, at_left, at_right = parts(b)
            model = self.instance.families[family]
            mean_a, gain, mean_b, chol = model.conditional(left, right)
            shifts = [self._v(v, env, depth)[0] - mb for v, mb in zip(at_right, mean_b)]
            for i in range(len(left)):
                centres.append(mean_a[i] + sum((gain[i, k] * shifts[k] for k in range(len(right))), 0.0))
                spreads.extend((start + i, start + k, chol[i, k]) for k in range(i + 1)
                               if chol[i, k] != 0)
            integrated.extend(at_left)
        variables = tuple(integrated)
        if expr is not None and _kinked(expr, variables):
            if len(variables) != 1:
                raise Unsupported(f"{_short(expr)} has kinks in {len(variables)} integrated "
                                  "variables at once")
            return self._expect_kinked(expr, variables, centres, [[spreads[0][2]]], env, depth)
        u, w, checked, w_low = _hermite(len(variables), expr is not None)
        placed = [_lift(np.asarray(c)) for c in centres]
        for i, k, factor in spreads:
            placed[i] = placed[i] + _lift(np.asarray(factor)) * _along(u[:, k], depth)
        total, scale, values = self._quadrature(integrand, variables, placed, w, env, depth)
        if not checked or values.ndim == 0 or values.shape[-1] == 1:
            return total, scale
        coarse = np.sum(values[..., checked:] * w_low, axis=-1)
        error = np.abs(total - coarse)
        size = np.sum(np.abs(values[..., :checked]) * w[:checked], axis=-1)
        if np.all(error <= _AGREE * size):
            return total, scale + _SAFETY * error / TOLERANCE
        density = blocks[0] if len(blocks) == 1 else Mul(*blocks)
        product = _weighted(density, expr)
        found = _reference(product, variables, density) if retry else None
        if found is not None:
            reference, ratio = found
            return self._expect(lambda en, d: self._v(ratio, en, d), _blocks(reference), env,
                                depth, ratio, False)
        return self._integrate(product, variables, env, depth)

    def _expect_kinked(self, expr, variables, centres, chol, env, depth):
        """E[expr] over one Gaussian variable where expr has kinks or jumps (|z - x|,
        max(z, 0), sign(z)): the zeros of their arguments are found on a grid and refined by
        bisection, and the integral is the sum of Gauss-Legendre panels between them, on each
        of which the integrand is smooth; the same with half the panels checks it."""
        variable = variables[0]
        centre, spread = _lift(np.asarray(centres[0])), _lift(np.asarray(chol[0][0]))
        inner = {k: _lift(v) for k, v in env.items()}

        def at(u):                      # the environment with the variable at u (last axis)
            e = dict(inner)
            e[variable] = centre + spread * u
            return e

        grid = _along(np.linspace(-_KINK_HALF, _KINK_HALF, _KINK_GRID), depth)
        roots = []
        for g in _kink_arguments(expr, variables):
            try:
                values = np.asarray(self._v(g, at(grid), depth + 1)[0], dtype=float)
            except Unsupported:     # a kink inside an inner integral: smoothed out by it
                continue
            values = np.broadcast_to(values, np.broadcast_shapes(values.shape, grid.shape))
            change = np.signbit(values[..., :-1]) != np.signbit(values[..., 1:])
            if not np.any(change):
                continue
            # the first R sign changes per point: their left grid index, or none (-1)
            order = np.argsort(~change, axis=-1, kind="stable")[..., :_KINK_ROOTS]
            found = np.take_along_axis(change, order, axis=-1)
            line = np.linspace(-_KINK_HALF, _KINK_HALF, _KINK_GRID)
            lo, hi = line[order], line[order + 1]
            sign_lo = np.signbit(np.take_along_axis(values, order, axis=-1))
            for _ in range(_KINK_BISECT):
                mid = (lo + hi) / 2
                g_mid = np.asarray(self._v(g, at(mid), depth + 1)[0], dtype=float)
                left = np.signbit(np.broadcast_to(g_mid, mid.shape)) == sign_lo
                lo, hi = np.where(left, mid, lo), np.where(left, hi, mid)
            roots.append(np.where(found, (lo + hi) / 2, _KINK_HALF))
        shape = np.broadcast_shapes(*(r.shape[:-1] for r in roots)) if roots else ()
        breaks = [np.broadcast_to(r, shape + r.shape[-1:]) for r in roots]

        def rule(panels):
            edges = np.broadcast_to(np.linspace(-_KINK_HALF, _KINK_HALF, panels + 1),
                                    shape + (panels + 1,))
            edges = np.sort(np.concatenate([edges] + breaks, axis=-1), axis=-1)
            nodes, weights = _panels(edges)
            if nodes.ndim == 1:
                nodes, weights = _along(nodes, depth), _along(weights, depth)
            outer, self._size = self._size, self._deeper(nodes.shape[-1])
            try:
                values, scales = self._v(expr, at(nodes), depth + 1)
                values = np.asarray(values, dtype=float)
                return (np.sum(values * weights, axis=-1), np.sum(np.asarray(scales) * weights, axis=-1),
                        np.sum(np.abs(values) * weights, axis=-1))
            finally:
                self._size = outer

        total, scale, size = rule(_KINK_PANELS)
        coarse, _, _ = rule(_KINK_PANELS // 2)
        error = np.abs(total - coarse)
        if not np.all(error <= _KINK_AGREE * size + TOLERANCE * scale):
            raise Skip(f"E[{_short(expr)}] over {variable} is not accurate enough here")
        return total, scale + _SAFETY * error / TOLERANCE

    def _quadrature(self, integrand, variables, placed, weights, env, depth, count=None):
        """(sum of weights * integrand over a new trailing axis, the same of its scale, the
        integrand's values). ``count``: the nodes of the whole rule when ``weights`` are one
        chunk of it (nested rules are costed as under the whole rule)."""
        outer, self._size = self._size, self._deeper(len(weights) if count is None else count)
        try:
            inner = {k: _lift(v) for k, v in env.items()}
            inner.update(zip(variables, placed))
            values, scales = integrand(inner, depth + 1)
            values = np.asarray(values, dtype=float)
            w = _along(weights, depth)
            return np.sum(values * w, axis=-1), np.sum(np.asarray(scales) * w, axis=-1), values
        finally:
            self._size = outer

    def _integrate(self, f, variables, env, depth):
        """int f d(variables) over the whole space: trapezoid rule on a wide grid, checked.

        The grid is evaluated in chunks of nodes (at most ``_CHUNK`` array elements each,
        counting the outer quadratures' axes) whose sums are accumulated, so memory stays
        bounded; the rule, its checks and the cost accounting are those of the whole grid."""
        dim = len(variables)
        line, weight = _grid(dim)
        total_nodes = len(line) ** dim
        self._deeper(total_nodes)
        step = max(1, _CHUNK // self._size)
        total = scale = size = tail = rough = 0.0
        for lo in range(0, total_nodes, step):
            nodes, edge, coarse = _grid_chunk(line, dim, lo, min(lo + step, total_nodes))
            placed = [_along(nodes[:, k], depth) for k in range(dim)]
            part, part_scale, values = self._quadrature(
                lambda en, d: self._v(f, en, d), variables, placed,
                np.full(len(nodes), weight), env, depth, total_nodes)
            if values.ndim == 0 or values.shape[-1] == 1:   # constant in the variables:
                return self._integrate_constant(f, variables, total_nodes, weight, env, depth)
            total, scale = total + part, scale + part_scale
            size = size + np.sum(np.abs(values), axis=-1) * weight
            if np.any(edge):
                tail = np.maximum(tail, np.max(np.abs(values[..., edge]), axis=-1))
            rough = rough + np.sum(values[..., coarse], axis=-1)
        names = ", ".join(map(str, variables))
        tail = tail * (2 * _GRID[dim][0]) ** dim
        if not np.all(tail <= _DECAY * size):
            raise Skip(f"the integral over {names} does not converge on the grid")
        rough = rough * weight * 2 ** dim
        error = np.abs(total - rough)
        if not np.all(error <= _AGREE * size):
            raise Skip(f"the integrand over {names} is too narrow or not smooth enough for the grid")
        return total, scale + _SAFETY * error / TOLERANCE

    def _integrate_constant(self, f, variables, count, weight, env, depth):
        """The integral over ``count`` nodes of an integrand constant in ``variables``: 0 if
        it is 0, else none (its values never take the grid's axis)."""
        placed = [_along(np.zeros(count), depth) for _ in variables]
        total, scale, values = self._quadrature(lambda en, d: self._v(f, en, d), variables, placed,
                                                np.full(count, weight), env, depth)
        if np.all(values == 0):
            return total, scale
        raise Skip(f"the integral over {', '.join(map(str, variables))} does not converge")
