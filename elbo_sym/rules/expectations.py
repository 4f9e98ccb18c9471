"""Expectations: the Gaussian closed form first, then importance weighting, linearity and
expectations of constants. Each sees an integrand already in normal form (expanded)."""
from itertools import combinations
from typing import Optional, Tuple

from sympy import Add, Expr, Mul, Sum, Symbol

from ..algebra import (Density, Draws, Expectation, IndexedVariable, SpaceIntegral, VariableRange,
                       bound_anywhere, depends_on, may_equal, split_independent, substitute)
from ..errors import DomainError
from .base import Normalizer, Rule


def divides_by_measure(f: Expr, measure: Expr, variables: Tuple[Expr, ...]) -> bool:
    """Whether every term of ``f`` divides by a factor of ``measure`` (a density in normal
    form) that depends on ``variables``: where importance weighting turns E_d[f] into an
    integral (and where the integral's expectation form must not lead back to it)."""
    main = [b for b, e in measure.as_powers_dict().items()
            if e.is_positive and depends_on(b, variables)]
    if not main:
        return False
    return all(any(f_b == m and f_e.is_negative for m in main
                   for f_b, f_e in t.as_powers_dict().items())
               for t in Add.make_args(f))


def importance_weighting(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """E_d[f / d] = int f dV: applies when the integrand divides by the measure itself."""
    f, d = node.integrand, node.density
    if not divides_by_measure(f, engine.normalize(d), node.bound_variables):
        return None
    return SpaceIntegral(d * f, node.bound_variables)


def linearity(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """E[a f + b g] = a E[f] + b E[g] with a, b constant in the bound variables."""
    bound = node.bound_variables
    terms = Add.make_args(node.integrand)
    out, changed = [], len(terms) > 1
    for t in terms:
        const, rest = split_independent(t, bound)
        if rest == 1:
            out.append(Expectation(t, node.density))
            continue
        changed = changed or const != 1
        out.append(const * Expectation(rest, node.density))
    return Add(*out) if changed else None


def expectation_of_constant(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """E_d[c] = c when c does not depend on the variables d integrates."""
    if depends_on(node.integrand, node.bound_variables):
        return None
    return node.integrand


def sum_linearity(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """E_d[c sum_k f_k] = sum_k E_d[c f_k], the sum's bounds free of d's variables."""
    bound = node.bound_variables
    if Add.make_args(node.integrand)[1:]:
        return None
    factors = Mul.make_args(node.integrand)
    sums = [f for f in factors if isinstance(f, Sum) and len(f.limits) == 1]
    if len(sums) != 1:
        return None
    s = sums[0]
    (k, lo, hi), = s.limits
    if depends_on(lo, bound) or depends_on(hi, bound) or k in node.free_symbols:
        return None
    others = Mul(*[f for f in factors if f is not s])
    return Sum(Expectation(others * s.function, node.density), (k, lo, hi))


def _free_elements(f, name):
    """The elements of the indexed family ``name`` that ``f`` mentions free, or None when it
    mentions one whose index is bound inside f (the whole family, then) or a range of it."""
    inner = bound_anywhere(f)
    out = set()
    for v in f.free_symbols:
        if isinstance(v, VariableRange) and v.name == name:
            return None
        if isinstance(v, IndexedVariable) and v.name == name:
            if v.index.free_symbols & inner:
                return None
            out.add(v)
    return out


def _inside(v, a, engine):
    """Whether variable ``v`` is, for every value the indices may take, the variable ``a`` or an
    element of the range ``a``."""
    if v == a:
        return True
    if isinstance(v, IndexedVariable) and isinstance(a, VariableRange) and v.name == a.name:
        lo, hi = v.index - a.lo, a.hi - v.index
        return engine.space.nonnegative(lo) and engine.space.nonnegative(hi)
    return False


def marginalize(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """E_{F(A | C)}[f] = E_{F(V | C)}[f] with V the variables of A that f depends on (tower)."""
    d = node.density
    if not isinstance(d, Density):
        return None
    f = node.integrand
    inner = bound_anywhere(f)
    used = []
    for v in f.free_symbols:
        if all(engine.distinct(v, a) for a in d.variables):
            continue
        if not isinstance(v, (Symbol, IndexedVariable)) or v.free_symbols & inner - {v}:
            return None
        if not any(_inside(v, a, engine) for a in d.variables):
            return None
        used.append(v)
    if not used or not all(engine.distinct(a, b) for a, b in combinations(used, 2)):
        return None
    if set(used) == set(d.variables):
        return None
    return Expectation(f, Density(d.args[0], used, d.given))


def flatten(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """E_{F(A | C)}[c E_{F(B | A, C)}[g]] = E_{F(A, B | C)}[c g] (tower), c free of B."""
    d = node.density
    if not isinstance(d, Density) or Add.make_args(node.integrand)[1:]:
        return None
    factors = Mul.make_args(node.integrand)
    inners = [f for f in factors if isinstance(f, Expectation)]
    if len(inners) != 1 or not isinstance(inners[0].density, Density):
        return None
    e = inners[0]
    b = e.density
    if b.family != d.family:
        return None
    outer_vars = tuple(d.variables) + tuple(d.given)
    if not all(engine.distinct(u, v) for u in b.variables for v in outer_vars):
        return None
    c = Mul(*[f for f in factors if f is not e])
    if depends_on(c, b.variables):
        return None
    expected = Density(d.args[0], b.variables, outer_vars)
    if b != expected and engine.normalize(b) != engine.normalize(expected):
        return None
    return Expectation(c * e.integrand, Density(d.args[0], tuple(d.variables) + tuple(b.variables),
                                                 d.given))


def draws(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """E_{z_{1:K} ~ q(z | x)}[f] = E_{q(z | x)}[f at z], f using one draw z_k, 1 <= k <= K
    (the other draws are integrated out; each draw is distributed as q(z | x))."""
    d = node.density
    if not isinstance(d, Draws):
        return None
    f = node.integrand
    used = _free_elements(f, d.draws.name)
    if not used or len(used) != 1 or d.variable in f.free_symbols:
        return None
    (e,) = used
    if not _inside(e, d.draws, engine):
        return None
    try:
        return Expectation(substitute(f, {e: d.variable}), d.base)
    except DomainError:      # an expectation inside f binds the base variable: no capture
        return None


def reduce_measure(node: Expr, engine: Normalizer) -> Optional[Expr]:
    """E_{F(A | C)}[f] = E_{F(A | C')}[f], C' without the conditioning variables the model
    makes irrelevant (their removal leaves the measure's normal form as it is)."""
    d = node.density
    if not isinstance(d, Density) or d.family not in engine.models or not d.given:
        return None
    target = engine.normalize(d)
    given = list(d.given)
    for v in sorted(d.given, key=str):
        trial = Density(d.args[0], d.variables, [g for g in given if g != v])
        if engine.normalize(trial) == target:
            given.remove(v)
    if len(given) == len(d.given):
        return None
    return Expectation(node.integrand, Density(d.args[0], d.variables, given))


RULES = (
    Rule(("importance-weighting",), (Expectation,), importance_weighting),
    Rule(("linearity",), (Expectation,), linearity),
    # integrating out every variable (tower) leaves the constant too
    Rule(("expectation-of-constant", "tower"), (Expectation,), expectation_of_constant),
    Rule(("linearity",), (Expectation,), sum_linearity),
    Rule(("model",), (Expectation,), reduce_measure),
    Rule(("tower",), (Expectation,), draws),
    Rule(("tower",), (Expectation,), flatten),
    Rule(("tower",), (Expectation,), marginalize),
)
