"""Certificates for inequalities: r >= 0 holds when r equals sum_i c_i t_i + rest with every
c_i >= 0, every t_i a known nonnegative term, and ``rest`` nonnegative by sympy's assumptions.

The c_i are found by matching coefficients over the atoms (a small linear system); whatever is
found is then checked exactly, so a wrong solution can only cost completeness, never soundness.
"""
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from sympy import Add, Dummy, Expr, Function, Mul, Pow, S, linsolve

from .normal_form import OPAQUE, canonical



@dataclass(frozen=True)
class Certificate:
    terms: Tuple[Tuple[str, Expr, Expr], ...]  # (rule, coefficient, term) with coefficient != 0
    rest: Expr

    @property
    def rules(self) -> Set[str]:
        names = {rule for rule, _, _ in self.terms}
        if self.rest != 0 or any(c != 1 for _, c, _ in self.terms):
            names.add("monotonicity")
        return names


def _is_atomic_factor(f):
    """A factor that stands for an unknown quantity (not a plain coefficient)."""
    base = f.base if isinstance(f, Pow) else f
    return base.has(*OPAQUE) or bool(base.atoms(Function))


def _split(term, unknowns, symbols_in_monomials):
    """term = coefficient * unknown * monomial, with monomial the product of atomic factors
    (and of the plain symbols too, when ``symbols_in_monomials``)."""
    unknown = S.One
    coeff, mono = [], []
    for f in Mul.make_args(term):
        if f in unknowns:
            unknown = f
        elif _is_atomic_factor(f) or (symbols_in_monomials and f.free_symbols):
            mono.append(f)
        else:
            coeff.append(f)
    return Mul(*coeff), unknown, Mul(*mono)


def _nonneg(c):
    return c == 0 or c.is_extended_nonnegative is True


def find_certificate(residual: Expr, facts: Sequence[Tuple[str, Expr]],
                     strict: bool = False) -> Optional[Certificate]:
    """A certificate that ``residual`` (> or) >= 0, or None. ``facts`` are (rule, term) with
    each term >= 0 and already in the residual's normal form.

    The coefficients are matched twice: with plain symbols as coefficients (so that
    (beta - 1) KL can use the coefficient beta - 1) and as part of the monomials (so that
    z - 1 >= 0 follows from z - 2 >= 0 with the rest, 1, left over)."""
    unknowns = [Dummy(f"c{i}") for i in range(len(facts))]
    combo = canonical(residual - Add(*(c * t for c, (_, t) in zip(unknowns, facts))))
    for symbols_in_monomials in (False, True):
        found = _solve(residual, facts, unknowns, combo, strict, symbols_in_monomials)
        if found is not None:
            return found
    return None


def _solve(residual, facts, unknowns, combo, strict, symbols_in_monomials):
    equations: Dict[Any, List[Tuple[Any, Any]]] = {}
    for term in Add.make_args(combo):
        coeff, unknown, mono = _split(term, set(unknowns), symbols_in_monomials)
        equations.setdefault(mono, []).append((coeff, unknown))
    # the constant monomial is left to the rest (whose sign is checked) when symbols are
    # matched: z - 1 = 1 (z - 2) + 1
    system = [Add(*(c * u for c, u in eq)) for mono, eq in equations.items()
              if any(u != 1 for _, u in eq) and not (symbols_in_monomials and mono == 1)]
    try:
        solutions = linsolve(system, unknowns) if system else {tuple(S.Zero for _ in unknowns)}
    except (ZeroDivisionError, ValueError, TypeError):
        return None      # sympy could not solve it: no certificate (costs completeness only)
    for solution in solutions:
        free = set().union(*(s.free_symbols for s in solution)) & set(unknowns)
        values = [s.xreplace({f: 0 for f in free}) for s in solution]
        if not all(_nonneg(v) for v in values):
            continue
        rest = canonical(residual - Add(*(v * t for v, (_, t) in zip(values, facts))))
        ok = rest.is_extended_positive if strict else _nonneg(rest)
        if ok:
            used = tuple((rule, v, t) for v, (rule, t) in zip(values, facts) if v != 0)
            return Certificate(used, rest)
    return None
