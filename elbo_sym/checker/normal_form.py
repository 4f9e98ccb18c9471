"""The normal form: both sides of a step are rewritten bottom-up by the enabled rules, then
expanded; equal normal forms prove an equality.

Algebra is always on: sympy's own evaluation, ``expand`` (with log laws for positive
arguments: densities are positive) and the splitting of sums. Every other rule runs only when
enabled, and the engine records which ones fired, so the checker can tell what a step used.
"""
import math

from sympy import (Add, Integer, Mul, Pow, Rational, S, Sum, Symbol, binomial, expand,
                   expand_log, log, preorder_traversal)

from ..algebra import (KL, Defined, DensityBase, Entropy, Expectation, SpaceIntegral,
                       split_independent, substitute)
from ..algebra.binders import is_dummy, rename_bound
from ..rules import REWRITES, TooComplex
from ..rules.base import Normalizer

MAX_DEPTH = 400
MAX_DIGITS = 5000
MAX_TERMS = 20000
EXPLICIT_SUM_LIMIT = 16

# what the normal form keeps whole: unknown quantities, not numbers or coefficients
OPAQUE = (DensityBase, Expectation, SpaceIntegral, KL, Entropy, Defined, Sum)


def estimated_terms(expr):
    """An upper bound on the number of terms ``expand`` would produce."""
    if isinstance(expr, Add):
        return sum(estimated_terms(a) for a in expr.args)
    if isinstance(expr, Mul):
        n = 1
        for a in expr.args:
            n *= estimated_terms(a)
            if n > MAX_TERMS:
                return n
        return n
    if isinstance(expr, Pow) and expr.exp.is_Integer and expr.exp > 1:
        base = estimated_terms(expr.base)
        if base == 1:
            return 1
        k = int(min(expr.exp, 10 ** 6))
        return int(binomial(base + k - 1, k)) if k < 10 ** 4 else MAX_TERMS + 1
    return 1


MAX_BITS = int(MAX_DIGITS * 3.33)


def guard_numbers(expr):
    """``expr``, or TooComplex when it holds a number of more than MAX_DIGITS digits: every
    number the rules or ``expand`` build goes through the same bound as the parser's literals,
    so nothing downstream (printing, Python's int-to-text limit) meets a huge one."""
    for node in preorder_traversal(expr):
        if isinstance(node, Rational) and not isinstance(node, Integer) and \
                max(node.p.bit_length(), node.q.bit_length()) > MAX_BITS:
            raise TooComplex("a number in the step grows past "
                             f"{MAX_DIGITS} digits")
        if isinstance(node, Integer) and node.p.bit_length() > MAX_BITS:
            raise TooComplex(f"a number in the step grows past {MAX_DIGITS} digits")
    return expr


def safe_pow(base, exp):
    """Pow that refuses to build numbers with more than MAX_DIGITS digits."""
    if base.is_Rational and exp.is_Rational and not base.is_zero:
        size = max(abs(base.p), abs(base.q))
        if size > 1 and abs(exp) * math.log10(size) > MAX_DIGITS:
            raise TooComplex(f"the number {base}^{exp} is too large to compute")
    return Pow(base, exp)


def canonical_dummies(node):
    """``node`` with each bound variable that is a pure dummy (no family density names it:
    the variable of N(z; m, v), an integral over such a variable) renamed to the first
    ``_eK`` the node does not use, so that alpha-equivalent terms have one normal form."""
    for b in node.bound_symbols:
        if isinstance(b, Symbol) and b.name.startswith("_e") or not is_dummy(node, b):
            continue
        taken = {s.name for s in node.atoms(Symbol)}
        name = next(f"_e{k}" for k in range(len(taken) + 1) if f"_e{k}" not in taken)
        node = rename_bound(node, b, Symbol(name, real=True))
    return node


def canonical(expr):
    """Expanded form, with log laws; refuses expansions that would explode."""
    if estimated_terms(expr) > MAX_TERMS:
        raise TooComplex("the expression is too large to expand")
    return guard_numbers(expand(expr, deep=True, mul=True, multinomial=True, power_exp=True,
                                power_base=False, log=True, basic=True))


class NormalForm(Normalizer):
    """Normalizes expressions under a fixed set of enabled rules, remembering what fired."""

    def __init__(self, enabled):
        self._enabled = frozenset(enabled)
        self.fired = set()
        self._cache = {}
        self._depth = 0

    def enabled(self, name):
        return name in self._enabled

    def of(self, expr):
        """The normal form of ``expr``: rewritten bottom-up, then expanded."""
        return canonical(self.normalize(expr))

    def normalize(self, expr):
        if expr in self._cache:
            return self._cache[expr]
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise TooComplex("the expression is nested too deeply")
            out = self._apply_rules(self._rebuild(expr))
        finally:
            self._depth -= 1
        self._cache[expr] = out
        return out

    def _rebuild(self, expr):
        """The node with normalized children (measures and bound variables stay as they are)."""
        if expr.is_Atom or isinstance(expr, DensityBase):
            return expr
        if isinstance(expr, (Expectation, SpaceIntegral)):
            expr = canonical_dummies(expr)
            integrand = canonical(self.normalize(expr.integrand))
            if isinstance(expr, Expectation):
                return Expectation(integrand, expr.density)
            return SpaceIntegral(integrand, expr.variables)
        if isinstance(expr, (Defined, KL, Entropy)):
            return expr  # whole until their own rule unfolds them
        if isinstance(expr, Sum):
            return self._sum(expr)
        args = [self.normalize(a) for a in expr.args]
        if isinstance(expr, Pow):
            return safe_pow(*args)
        if isinstance(expr, log):
            return expand_log(log(args[0]), force=False)
        return expr.func(*args)

    def _apply_rules(self, node):
        for rule in REWRITES:
            if not isinstance(node, rule.applies_to):
                continue
            credited = next((n for n in rule.names if n in self._enabled), None)
            if credited is None:
                continue
            out = rule.rewrite(node, self)
            if out is not None and out != node:
                self.fired.add(credited)
                return self.normalize(guard_numbers(out))
        return node

    def _sum(self, expr):
        """Sums are linear (algebra): split, pull out what is free of the index, and sum a
        constant to (count) c; small explicit ranges are expanded. A sum whose upper bound is
        below its lower bound has no terms and is 0 (not sympy's Karr convention), so the
        closed form (count) c is used only where the count is provably >= 0 (``J`` in
        ``sum_{j=1}^{J}`` is a count, J >= 0; ``sum_{j=5}^{J} 1`` is J - 4 only under
        ``assume J >= 4``); elsewhere the constant's sum stays a sum. A sum whose bounds are not
        provably whole numbers stays whole.

        The index is renamed canonically to the first ``_jK`` the summand does not use (names
        in files cannot start with '_'), by the capture-avoiding ``substitute``."""
        value = expr.function
        for limit in expr.limits:  # innermost first
            value = self._sum_over(value, *limit)
        return value

    def _sum_over(self, function, j, lo, hi):
        lo, hi = self.normalize(lo), self.normalize(hi)
        taken = {s.name for s in function.atoms(Symbol)}
        name = next(f"_j{k}" for k in range(len(taken) + 1) if f"_j{k}" not in taken)
        # the index lies in [lo, hi]: what sympy can use of that, its sign, is kept
        sign = {"positive": True} if lo.is_positive else \
            {"nonnegative": True} if lo.is_nonnegative else {}
        index = Symbol(name, integer=True, **sign)
        body = canonical(self.normalize(substitute(function, {j: index})))
        if not (lo.is_integer and hi.is_integer):
            return Sum(body, (index, lo, hi))
        count = hi - lo + 1
        if count.is_Integer and count <= EXPLICIT_SUM_LIMIT:
            return Add(*(self.normalize(substitute(body, {index: lo + k}))
                         for k in range(max(int(count), 0))))
        if count.is_nonpositive:
            return S.Zero
        out = []
        for term in Add.make_args(body):
            const, rest = split_independent(term, (index,))
            if rest == 1:
                rest = S.One if count.is_nonnegative else Sum(S.One, (index, lo, hi))
                out.append(const * (count if rest == 1 else rest))
            else:
                out.append(const * Sum(rest, (index, lo, hi)))
        return Add(*out)
