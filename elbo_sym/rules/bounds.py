"""Facts that are nonnegative, from which an inequality's certificate is built.

Each function takes the raw expressions of a step and returns ``(rule, term)`` pairs with
``term >= 0``: KL divergences between densities in play (Gibbs' inequality), Jensen gaps
log E[f] - E[log f] (concave log), and the assumptions' own differences.
"""
from itertools import combinations

from sympy import exp, log, preorder_traversal

from ..algebra import KL, Density, DensityBase, Expectation
from ..relations import EQ, orient

MAX_KL_CANDIDATES = 24
MAX_POOL = 48
MAX_CONDITIONING = 2


def _densities(exprs):
    found = []
    for e in exprs:
        for node in preorder_traversal(e):
            if isinstance(node, DensityBase) and node not in found:
                found.append(node)
    return found


def _variables(exprs):
    out = set()
    for d in _densities(exprs):
        out.update(d.variables + d.given)
    return out


def kl_candidates(exprs):
    """KL(a || b) >= 0 for densities a, b over the same variables, present in the step or
    obtained from a family present in it by conditioning a measure's variables otherwise."""
    present = _densities(exprs)
    pool = list(present)
    families = {d.args[0] for d in present if isinstance(d, Density)}
    allvars = sorted(_variables(exprs), key=str)
    for d in present:
        if not isinstance(d, Density):
            continue
        others = [v for v in allvars if v not in d.variables]
        for fam in sorted(families, key=str):
            for k in range(min(len(others), MAX_CONDITIONING) + 1):
                for given in combinations(others, k):
                    if len(pool) >= MAX_POOL:
                        break
                    cand = Density(fam, d.variables, given)
                    if cand not in pool:
                        pool.append(cand)
    out = []
    for node in (n for e in exprs for n in preorder_traversal(e)):
        if isinstance(node, KL) and ("kl-nonneg", node) not in out:
            out.append(("kl-nonneg", node))
    measures = [n.density for e in exprs for n in preorder_traversal(e) if isinstance(n, Expectation)]
    firsts = [d for d in pool if d in measures or any(isinstance(n, KL) and n.first == d
                                                      for e in exprs for n in preorder_traversal(e))]
    for a in firsts or pool:
        for b in pool:
            if a != b and set(a.variables) == set(b.variables):
                term = ("kl-nonneg", KL(a, b))
                if term not in out:
                    out.append(term)
            if len(out) >= MAX_KL_CANDIDATES:
                return out
    return out


def jensen_gaps(exprs):
    """log E_d[f] - E_d[log f] >= 0 for f > 0 (log is concave), and
    E_d[exp f] - exp(E_d[f]) >= 0 (exp is convex)."""
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
                out.append(("jensen", Expectation(exp(inner.integrand), inner.density) - node))
    return out


def assumed(assumptions):
    """``assume a >= b`` (or a > b) gives a - b >= 0; ``a <= b`` gives b - a >= 0."""
    out = []
    for lhs, rel, rhs in assumptions:
        if rel != EQ:
            larger, smaller = orient(lhs, rel, rhs)
            out.append(("monotonicity", larger - smaller))
    return out
