"""Facts that are nonnegative, from which an inequality's certificate is built.

Each function takes the raw expressions of a step and returns ``(rule, term)`` pairs with
``term >= 0``: KL divergences between densities in play (Gibbs' inequality), Jensen gaps
log E[f] - E[log f] (concave log), and the assumptions' own differences.
"""
from itertools import combinations

from sympy import exp, log, preorder_traversal

from ..algebra import KL, Density, DensityBase, Expectation, may_equal
from ..relations import LOWER, UPPER, orient

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


def density_pool(exprs):
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


def kl_candidates(exprs):
    """("kl-nonneg", KL(a || b)) facts, each >= 0 by Gibbs' inequality: every KL in the step,
    then KL(a || b) for a a measure of the step (an expectation's density, a KL's first
    argument; any density of the pool when there is none) and b a density of the pool over
    the same variables. At most MAX_KL_CANDIDATES."""
    out = [("kl-nonneg", kl) for kl in _nodes(exprs, KL)]
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


def jensen_gaps(exprs):
    """log E_d[f] - E_d[log f] >= 0 for f > 0 (log is concave), and
    E_d[exp f] - exp(E_d[f]) >= 0 (exp is convex) for real f: a function that may take
    complex values (exp(i z)) gets no gap."""
    out = []
    for e in exprs:
        for node in preorder_traversal(e):
            if isinstance(node, log) and isinstance(node.args[0], Expectation):
                inner = node.args[0]
                if inner.integrand.is_positive:
                    gap = node - Expectation(log(inner.integrand), inner.density)
                    out.append(("jensen", gap))
            if isinstance(node, exp) and isinstance(node.args[0], Expectation):
                inner = node.args[0]
                if inner.integrand.is_extended_real:   # Jensen is about real functions
                    out.append(("jensen", Expectation(exp(inner.integrand), inner.density) - node))
    return out


def assumed(assumptions):
    """``assume a >= b`` (or a > b) gives a - b >= 0; ``a <= b`` gives b - a >= 0."""
    out = []
    for lhs, rel, rhs in assumptions:
        if rel in LOWER + UPPER:
            larger, smaller = orient(lhs, rel, rhs)
            out.append(("monotonicity", larger - smaller))
    return out
