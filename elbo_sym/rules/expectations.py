"""Expectations: the Gaussian closed form first, then importance weighting, linearity and
expectations of constants. Each sees an integrand already in normal form (expanded)."""
from sympy import Add

from ..algebra import Expectation, SpaceIntegral, depends_on, split_independent
from .base import Rule


def importance_weighting(node, engine):
    """E_d[f / d] = int f dV: applies when the integrand divides by the measure itself."""
    f, d = node.integrand, node.density
    measure = engine.normalize(d)
    main = [b for b, e in measure.as_powers_dict().items()
            if e.is_positive and depends_on(b, node.bound_variables)]
    if not main:
        return None
    divides = all(any(f_b == m and f_e.is_negative for m in main for f_b, f_e in t.as_powers_dict().items())
                  for t in Add.make_args(f))
    if not divides:
        return None
    return SpaceIntegral(d * f, node.bound_variables)


def linearity(node, engine):
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


def expectation_of_constant(node, engine):
    """E_d[c] = c when c does not depend on the variables d integrates."""
    if depends_on(node.integrand, node.bound_variables):
        return None
    return node.integrand


RULES = (
    Rule(("importance-weighting",), (Expectation,), importance_weighting),
    Rule(("linearity",), (Expectation,), linearity),
    Rule(("expectation-of-constant",), (Expectation,), expectation_of_constant),
)
