"""Facts that are nonnegative, from which an inequality's certificate is built.

Each function takes the raw expressions of a step and returns ``(rule, term)`` pairs with
``term >= 0``: KL divergences between densities in play (Gibbs' inequality), Jensen gaps
log E[f] - E[log f] (concave log), and the assumptions' own differences.
"""
from itertools import combinations
from typing import Iterable, List, Sequence, Tuple

from sympy import Expr, Mul, exp, log, preorder_traversal

from ..algebra import KL, Density, DensityBase, Expectation, may_equal
from ..relations import LOWER, UPPER, orient

Fact = Tuple[str, Expr]     # (rule, term) with term >= 0

MAX_KL_CANDIDATES = 24
MAX_POOL = 48
MAX_CONDITIONING = 2


def _nodes(exprs, kind):
    """The distinct nodes of type ``kind`` in ``exprs``, in order of appearance."""
    found = []
    for e in exprs:
        for node in preorder_traversal(e):
            if isinstance(node, kind) and node not in found:
                found.append(node)
    return found


def density_pool(exprs: Sequence[Expr]) -> List[Expr]:
    """The densities a KL candidate may compare: those present in the step, and for each
    family present, its densities over a present density's variables conditioned on up to
    MAX_CONDITIONING other variables of the step (q(z|x) brings p(z|x) and p(z) into play)."""
    present = _nodes(exprs, DensityBase)
    pool = list(present)
    families = sorted({d.args[0] for d in present if isinstance(d, Density)}, key=str)
    allvars = sorted({v for d in present for v in d.variables + d.given}, key=str)
    for d in present:
        if not isinstance(d, Density):
            continue
        others = [v for v in allvars
                  if not any(may_equal(v, u) for u in d.variables)]
        for family in families:
            for k in range(min(len(others), MAX_CONDITIONING) + 1):
                for given in combinations(others, k):
                    if len(pool) >= MAX_POOL:
                        return pool
                    candidate = Density(family, d.variables, given)
                    if candidate not in pool:
                        pool.append(candidate)
    return pool


def kl_candidates(exprs: Sequence[Expr]) -> List[Fact]:
    """("kl-nonneg", KL(a || b)) facts, each >= 0 by Gibbs' inequality: every KL in the step,
    then KL(a || b) for a a measure of the step (an expectation's density, a KL's first
    argument; any density of the pool when there is none) and b a density of the pool over
    the same variables. At most MAX_KL_CANDIDATES."""
    out: List[Fact] = [("kl-nonneg", kl) for kl in _nodes(exprs, KL)]
    pool = density_pool(exprs)
    measures = {n.density for n in _nodes(exprs, Expectation)} | {kl.first for kl in _nodes(exprs, KL)}
    firsts = [d for d in pool if d in measures] or pool
    for a in firsts:
        for b in pool:
            if len(out) >= MAX_KL_CANDIDATES:
                return out
            if a != b and set(a.variables) == set(b.variables):
                term = ("kl-nonneg", KL(a, b))
                if term not in out:
                    out.append(term)
    return out


def _gaps_at(node):
    """Jensen gaps (each >= 0) that ``node`` itself starts: f(E[X]) against E[f(X)]."""
    from sympy import Pow, Rational, Sum, expand

    out = []
    if isinstance(node, log) and isinstance(node.args[0], Expectation):
        inner = node.args[0]
        if inner.integrand.is_positive:                       # log is concave
            out.append(node - Expectation(log(inner.integrand), inner.density))
    if isinstance(node, log):
        average = _average(node.args[0])
        if average is not None:                               # log of an average
            weight, body, limits = average
            out.append(node - weight * Sum(log(body), limits))
    if isinstance(node, exp) and isinstance(node.args[0], Expectation):
        inner = node.args[0]
        if inner.integrand.is_extended_real:                  # exp is convex
            out.append(Expectation(exp(inner.integrand), inner.density) - node)
    if isinstance(node, Pow) and isinstance(node.base, Expectation):
        inner = node.base
        if node.exp == Rational(1, 2) and inner.integrand.is_nonnegative:      # sqrt concave
            out.append(node - Expectation(Pow(inner.integrand, node.exp), inner.density))
        if node.exp == 2 and inner.integrand.is_extended_real:                # x^2 convex
            out.append(Expectation(inner.integrand ** 2, inner.density) - node)
    if isinstance(node, Mul):
        for factor in node.args:
            if isinstance(factor, log) and isinstance(factor.args[0], Expectation) and \
                    expand(node - factor * factor.args[0]) == 0:
                inner = factor.args[0]
                f = inner.integrand
                if f.is_positive:                             # x log x convex
                    out.append(Expectation(f * log(f), inner.density) - node)
    return out


def _average(arg):
    """(1/n, w, limits) when ``arg`` is (1/n) sum_{k} w_k over n terms with w positive."""
    from sympy import Sum, expand

    sums = [f for f in Mul.make_args(arg) if isinstance(f, Sum) and len(f.limits) == 1]
    if len(sums) != 1 or not sums[0].function.is_positive:
        return None
    s = sums[0]
    weight = Mul(*[f for f in Mul.make_args(arg) if f is not s])
    (k, lo, hi), = s.limits
    if weight.has(k) or expand(weight * (hi - lo + 1)) != 1:
        return None
    return weight, s.function, s.limits


def _lifted(exprs, starts):
    """Every term ``starts(node)`` gives (each >= 0), and each of them lifted through the
    expectations around the node (E_d[g] >= 0 when g >= 0): a bound inside an expectation."""
    out = []
    for e in exprs:
        stack: List[Tuple[Expr, Tuple[Expr, ...]]] = [(e, ())]
        while stack:
            node, around = stack.pop()
            for g in starts(node):
                chain = g
                lifted = [g] if not around else []
                for d in reversed(around):
                    chain = Expectation(chain, d)
                    lifted.append(chain)
                for term in lifted:
                    if term not in out:
                        out.append(term)
            inner = around + (node.density,) if isinstance(node, Expectation) else around
            for a in node.args:
                if isinstance(a, Expr) and not isinstance(a, DensityBase):
                    stack.append((a, inner if a is not getattr(node, "density", None) else around))
    return out


def jensen_gaps(exprs: Sequence[Expr]) -> List[Fact]:
    """("jensen", gap) for f(E[X]) and E[f(X)] with f concave (log, sqrt; the log of a finite
    average against the average of logs) or convex (exp, x^2, x log x), for real arguments
    only (exp(i z) gets no gap), and each gap lifted through the expectations around it."""
    return [("jensen", g) for g in _lifted(exprs, _gaps_at)]


def expected_kls(exprs: Sequence[Expr]) -> List[Fact]:
    """("kl-nonneg", E_d[... KL(a || b) ...]) for every KL inside an expectation: a KL is
    >= 0 wherever it is evaluated, so its expectation is too."""
    return [("kl-nonneg", g) for g in _lifted(exprs, lambda n: [n] if isinstance(n, KL) else [])
            if isinstance(g, Expectation)]


def assumed(assumptions: Iterable[Tuple[Expr, str, Expr]]) -> List[Fact]:
    """``assume a >= b`` (or a > b) gives a - b >= 0; ``a <= b`` gives b - a >= 0."""
    out: List[Fact] = []
    for lhs, rel, rhs in assumptions:
        if rel in LOWER + UPPER:
            larger, smaller = orient(lhs, rel, rhs)
            out.append(("monotonicity", larger - smaller))
    return out
