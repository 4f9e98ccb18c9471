"""The normal form: both sides of a step are rewritten bottom-up by the enabled rules, then
expanded; equal normal forms prove an equality.

Algebra is always on: sympy's own evaluation, ``expand`` (with log laws for positive
arguments: densities are positive) and the splitting of sums. Every other rule runs only when
enabled, and the engine records which ones fired, so the checker can tell what a step used.
"""
import math

from contextlib import contextmanager
from typing import (TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, Iterator, List, Optional,
                    Set, Tuple)

from sympy import (Add, Integer, Mul, Pow, Product, Rational, S, Sum, Symbol, binomial, expand,
                   expand_log, log, preorder_traversal)

from ..algebra import (KL, Defined, Density, DensityBase, Draws, Entropy, Expectation,
                       IndexedVariable, SpaceIntegral, VariableRange, may_equal,
                       split_independent, substitute)
from ..algebra.binders import is_dummy, rename_bound
from ..rules import REWRITES, TooComplex
from ..rules.base import Normalizer

if TYPE_CHECKING:
    from sympy import Expr

    from ..rules.models import Model
from .indices import IndexSpace

MAX_DEPTH = 400
MAX_DIGITS = 4000      # below Python's limit of 4300 digits for printing a whole number
MAX_TERMS = 20000
EXPLICIT_SUM_LIMIT = 16
SHARED_LIMIT = 50000
# (setting, node, index ranges) -> (normal form, rules that fired)
_SHARED: Dict[Any, Tuple["Expr", FrozenSet[str]]] = {}
MAX_PEEL = 2

# what the normal form keeps whole: unknown quantities, not numbers or coefficients
OPAQUE = (DensityBase, Expectation, SpaceIntegral, KL, Entropy, Defined, Sum, Product)


def estimated_terms(expr: "Expr") -> int:
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


def largest_bits(exprs: Iterable["Expr"]) -> int:
    """The bit length of the largest number (numerator or denominator) in ``exprs``, a power
    of a number kept unevaluated (10^2000) counted as the number it stands for."""
    bits = 0
    for e in exprs:
        for node in preorder_traversal(e):
            if isinstance(node, Rational):
                bits = max(bits, abs(node.p).bit_length(), node.q.bit_length())
            elif isinstance(node, Pow) and node.base.is_Rational and node.exp.is_Integer:
                size = max(abs(node.base.p).bit_length(), node.base.q.bit_length())
                bits = max(bits, size * abs(int(node.exp)))
    return bits


# a rule multiplies numbers of the step at most this many times (Gaussian moments up to degree
# 64, a product written out over 16 factors, binomial and double-factorial coefficients): a step
# whose numbers are small enough cannot reach MAX_BITS, and its forms are not scanned again
GROWTH = 80


def guard_numbers(expr: "Expr") -> "Expr":
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


def safe_pow(base: "Expr", exp: "Expr") -> "Expr":
    """Pow that refuses to build numbers with more than MAX_DIGITS digits."""
    if base.is_Rational and exp.is_Rational and not base.is_zero:
        size = max(abs(base.p), abs(base.q))
        if size > 1 and abs(exp) * math.log10(size) > MAX_DIGITS:
            raise TooComplex(f"the number {base}^{exp} is too large to compute")
    return Pow(base, exp)


def canonical_dummies(node: "Expr") -> "Expr":
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


def canonical(expr: "Expr", guard: bool = True) -> "Expr":
    """Expanded form, with log laws; refuses expansions that would explode."""
    if estimated_terms(expr) > MAX_TERMS:
        raise TooComplex("the expression is too large to expand")
    out = expand(expr, deep=True, mul=True, multinomial=True, power_exp=True,
                 power_base=False, log=True, basic=True)
    return guard_numbers(out) if guard else out


class _Setting(tuple):
    """A memo key's setting, hashed once: it holds every fact of the step (a hundred
    assumptions), and every node looked up hashes it."""

    def __hash__(self) -> int:
        found = self.__dict__.get("hash")
        if found is None:
            found = self.__dict__["hash"] = tuple.__hash__(self)
        return found


class NormalForm(Normalizer):
    """Normalizes expressions under a fixed set of enabled rules, remembering what fired.

    ``models`` maps a family to its declared ``Model`` (in the step's own symbols); ``facts``
    are the step's facts, for reasoning about index ranges (``space``)."""

    def __init__(self, enabled: Iterable[str], models: Optional[Dict[str, "Model"]] = None,
                 facts: Iterable[Tuple["Expr", str, "Expr"]] = (), guard: bool = True) -> None:
        self._guard = guard        # False: the step's numbers are too small to grow past MAX_BITS
        self._enabled = frozenset(enabled)
        self.fired: Set[str] = set()
        self.models = dict(models or {})
        self.space = IndexSpace(facts=facts)
        self.memo = {}          # for rules: results that depend only on the node and the space
        # what a normal form depends on besides the node and the index ranges in scope: the
        # engines of every step and attempt with the same setting share their results
        self._setting = _Setting((REWRITES, self._enabled, tuple(sorted(self.models.items())),
                                  tuple(facts), guard))
        self._depth = 0

    def enabled(self, name: str) -> bool:
        return name in self._enabled

    def of(self, expr: "Expr") -> "Expr":
        """The normal form of ``expr``: rewritten bottom-up, then expanded."""
        return self.canonical(self.normalize(expr))

    def normalize(self, expr: "Expr") -> "Expr":
        key = (self._setting, expr, self.space.key)
        hit = _SHARED.get(key)
        if hit is not None:
            out, shared_fired = hit
            self.fired |= shared_fired
            return out
        self._depth += 1
        before = self.fired
        self.fired = set()
        try:
            if self._depth > MAX_DEPTH:
                raise TooComplex("the expression is nested too deeply")
            out = self._apply_rules(self._rebuild(expr))
        finally:
            self._depth -= 1
            fired, self.fired = self.fired, before | self.fired
        if len(_SHARED) > SHARED_LIMIT:
            _SHARED.clear()
        _SHARED[key] = (out, frozenset(fired))
        return out

    @contextmanager
    def within(self, index: "Expr", lo: "Expr", hi: "Expr") -> Iterator[None]:
        """Normalize with ``index`` known to run over [lo, hi] (a sum's or product's body)."""
        outer = self.space
        self.space = outer.within(index, lo, hi)
        try:
            yield
        finally:
            self.space = outer

    def canonical(self, expr: "Expr") -> "Expr":
        """Expanded, and sums over the same summand merged over their common range."""
        return merge_sums(canonical(expr, self._guard), self)

    def _rebuild(self, expr):
        """The node with normalized children (measures and bound variables stay as they are)."""
        if expr.is_Atom or isinstance(expr, DensityBase):
            return expr
        if isinstance(expr, (Expectation, SpaceIntegral)):
            expr = canonical_dummies(expr)
            integrand = self.canonical(self.normalize(expr.integrand))
            if isinstance(expr, Expectation):
                return Expectation(integrand, expr.density)
            return SpaceIntegral(integrand, expr.variables)
        if isinstance(expr, (Defined, KL, Entropy)):
            return expr  # whole until their own rule unfolds them
        if isinstance(expr, Sum):
            return self._sum(expr)
        if isinstance(expr, Product):
            return self._product(expr)
        args = [self.normalize(a) for a in expr.args]
        if isinstance(expr, Pow):
            return safe_pow(*args)
        if isinstance(expr, log):
            inner = args[0]
            if isinstance(inner, Product) and inner.function.is_positive:
                # log of a product of positive factors is the sum of their logs (algebra)
                return self.normalize(Sum(log(inner.function), *inner.limits))
            return expand_log(log(inner), force=False)
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
                return self.normalize(guard_numbers(out) if self._guard else out)
        return node

    # -- sums and products ----------------------------------------------------------------

    def _index(self, function, own, prefix="_j"):
        """The canonical index for a summand over ``own``: the first ``_jK`` the summand does
        not use otherwise (names in files cannot start with '_'; a summand already over its
        canonical index keeps it); a whole number, its range known from ``within``."""
        taken = {s.name for s in function.atoms(Symbol) if s != own}
        name = next(f"{prefix}{k}" for k in range(len(taken) + 1) if f"{prefix}{k}" not in taken)
        return Symbol(name, integer=True)

    def _sum(self, expr):
        """Sums are linear (algebra): split, pull out what is free of the index, and sum a
        constant to (count) c; small explicit ranges are expanded. A sum whose upper bound is
        below its lower bound has no terms and is 0 (not sympy's Karr convention), so the
        closed form (count) c is used only where the count is provably >= 0 (``J`` in
        ``sum_{j=1}^{J}`` is a count, J >= 0; ``sum_{j=5}^{J} 1`` is J - 4 only under
        ``assume J >= 4``); elsewhere the constant's sum stays a sum. A sum whose bounds are not
        provably whole numbers stays whole. Each remaining sum is shifted so that its summand's
        smallest index offset is 0 (sum_{t=2}^{T} f(x_{t-1}) is sum_{t=1}^{T-1} f(x_t)), so
        that sums of one summand meet and ``merge_sums`` can telescope them.

        The index is renamed canonically by the capture-avoiding ``substitute``."""
        value = expr.function
        for limit in expr.limits:  # innermost first
            value = self._sum_over(value, *limit)
        return value

    def _sum_over(self, function, j, lo, hi):
        lo, hi = self.normalize(lo), self.normalize(hi)
        index = self._index(function, j)
        renamed = substitute(function, {j: index})
        if not (lo.is_integer and hi.is_integer):
            return Sum(self.canonical(self.normalize(renamed)), (index, lo, hi))
        count = hi - lo + 1
        if count.is_Integer and count <= EXPLICIT_SUM_LIMIT:
            return Add(*(self.normalize(substitute(renamed, {index: lo + k}))
                         for k in range(max(int(count), 0))))
        if count.is_nonpositive:
            return S.Zero
        out, lo, hi, body = self._peel(renamed, index, lo, hi)
        count = hi - lo + 1
        for term in Add.make_args(body):
            const, rest = split_independent(term, (index,))
            if rest == 1:
                if count.is_nonnegative or self.space.nonnegative(count):
                    out.append(const * count)
                else:
                    out.append(const * Sum(S.One, (index, lo, hi)))
                continue
            power = _index_power(rest, index)
            if power is not None and (count.is_nonnegative or self.space.nonnegative(count)):
                out.append(const * (_faulhaber(power, hi) - _faulhaber(power, lo - 1)))
                continue
            shift = _smallest_offset(rest, index)
            if shift:
                rest = substitute(rest, {index: index - shift})
                out.append(const * Sum(rest, (index, lo + shift, hi + shift)))
            else:
                out.append(const * Sum(rest, (index, lo, hi)))
        return Add(*out)

    def _body(self, function, index, lo, hi):
        with self.within(index, lo, hi):
            return self.canonical(self.normalize(function))

    def _peel(self, function, index, lo, hi):
        """(boundary terms, lo, hi, body): the summand normalized over [lo, hi], with up to
        MAX_PEEL end terms written out where the body reduces further without them (at t = 1,
        x_{t-1} is the x_0 an expectation conditions on; from t = 2 on it is integrated), so
        that the form of a sum does not depend on how its range was written."""
        body = self._body(function, index, lo, hi)
        terms: List[Any] = []
        if not self._range_sensitive(function):
            return terms, lo, hi, body
        for _ in range(MAX_PEEL):
            if not self.space.nonnegative(hi - lo):
                break
            narrower = self._body(function, index, lo + 1, hi)
            if narrower != body:
                terms.append(self.normalize(substitute(function, {index: lo})))
                lo, body = lo + 1, narrower
                continue
            narrower = self._body(function, index, lo, hi - 1)
            if narrower != body:
                terms.append(self.normalize(substitute(function, {index: hi})))
                hi, body = hi - 1, narrower
                continue
            break
        return terms, lo, hi, body

    def _range_sensitive(self, function):
        """Whether a summand's form may depend on its index's range: it integrates over a
        range or i.i.d. draws, or holds a density of a modelled family."""
        if function.has(VariableRange, Draws):
            return True
        return any(d.family in self.models for d in function.atoms(Density))

    def distinct(self, u: "Expr", v: "Expr") -> bool:
        """Whether variables u and v are different for every value the indices may take."""
        if not may_equal(u, v):
            return True
        if isinstance(u, IndexedVariable) and isinstance(v, IndexedVariable) and u.name == v.name:
            gap = u.index - v.index
            return self.space.always(lambda values: gap.xreplace(values) != 0, [gap])
        if isinstance(u, VariableRange) and isinstance(v, IndexedVariable):
            u, v = v, u
        if isinstance(u, IndexedVariable) and isinstance(v, VariableRange) and u.name == v.name:
            below, above = u.index - v.lo, v.hi - u.index
            return self.space.always(
                lambda values: below.xreplace(values) < 0 or above.xreplace(values) < 0,
                [below, above])
        return False

    def _product(self, expr):
        """Products: an empty one is 1, a short one is written out, the rest stays a product
        over a canonical index with a normalized body."""
        value = expr.function
        for j, lo, hi in expr.limits:
            lo, hi = self.normalize(lo), self.normalize(hi)
            index = self._index(value, j)
            renamed = substitute(value, {j: index})
            count = hi - lo + 1
            if lo.is_integer and hi.is_integer and count.is_Integer and count <= EXPLICIT_SUM_LIMIT:
                value = Mul(*(self.normalize(substitute(renamed, {index: lo + k}))
                              for k in range(max(int(count), 0))))
                continue
            if lo.is_integer and hi.is_integer and count.is_nonpositive:
                value = S.One
                continue
            with self.within(index, lo, hi):
                body = self.normalize(renamed)
            constant, rest = split_independent(body, (index,))
            value = Product(rest, (index, lo, hi)) if rest != 1 else S.One
            if constant != 1:
                # a factor free of the index, once per term: c^count where the count is
                # provably >= 0 (an empty product is 1), else it stays under the product
                if count.is_nonnegative or self.space.nonnegative(count):
                    value = safe_pow(constant, count) * value
                else:
                    value = Product(body, (index, lo, hi))
        return value


def _index_power(expr, index):
    """k when ``expr`` is index^k, 1 <= k <= 3 (sums of powers have closed forms)."""
    if expr == index:
        return 1
    if expr.is_Pow and expr.base == index and expr.exp.is_Integer and 1 <= expr.exp <= 3:
        return int(expr.exp)
    return None


def _faulhaber(k, n):
    """sum_{j=1}^{n} j^k as a polynomial in n (for every whole n, so differences of two give
    any range's sum)."""
    if k == 1:
        return n * (n + 1) / 2
    if k == 2:
        return n * (n + 1) * (2 * n + 1) / 6
    return (n * (n + 1) / 2) ** 2


def _smallest_offset(expr, index):
    """The smallest whole c among the indices ``index + c`` of the indexed variables in
    ``expr`` (0 when there is none)."""
    offsets = []
    for v in expr.atoms(IndexedVariable):
        for i in v.indices:
            if index in i.free_symbols:
                c = i - index
                if c.is_Integer:
                    offsets.append(int(c))
    return min(offsets) if offsets else 0


def _as_sum_term(term):
    """(coefficient, Sum) when ``term`` is a coefficient times one single-limit sum."""
    sums = [f for f in Mul.make_args(term) if isinstance(f, Sum) and len(f.limits) == 1]
    if len(sums) != 1:
        return None
    s = sums[0]
    return Mul(*[f for f in Mul.make_args(term) if f is not s]), s


def merge_sums(expr: "Expr", engine: NormalForm) -> "Expr":
    """Sums of one summand over ranges whose bounds differ by whole numbers, merged over their
    common range [L, H], the rest written out (telescoping is what cancels then). Only where
    L <= H + 1 holds for every value the indices may take."""
    terms = Add.make_args(expr)
    if sum(1 for t in terms if t.has(Sum)) < 2:
        return expr
    groups: Dict[Tuple[Any, Any], List[Tuple[Any, Any, Any]]] = {}
    others = []
    for t in terms:
        found = _as_sum_term(t)
        if found is None:
            others.append(t)
            continue
        coeff, s = found
        (index, lo, hi), = s.limits
        groups.setdefault((s.function, index), []).append((coeff, lo, hi))
    changed = False
    for (body, index), items in groups.items():
        merged = _merge_group(body, index, items, engine) if len(items) > 1 else None
        if merged is None:
            others.extend(c * Sum(body, (index, lo, hi)) for c, lo, hi in items)
        else:
            others.append(merged)
            changed = True
    return canonical(Add(*others)) if changed else expr


def _merge_group(body, index, items, engine):
    los = [lo for _, lo, _ in items]
    his = [hi for _, _, hi in items]
    if not all((a - los[0]).is_Integer for a in los) or not all((b - his[0]).is_Integer for b in his):
        return None
    L = max(los, key=lambda a: int(a - los[0]))
    H = min(his, key=lambda b: int(b - his[0]))
    if not engine.space.nonnegative(H - L + 1):
        return None
    out, total = [], S.Zero
    for coeff, lo, hi in items:
        total += coeff
        for k in range(int(L - lo)):
            out.append(coeff * engine.normalize(substitute(body, {index: lo + k})))
        for k in range(int(hi - H)):
            out.append(coeff * engine.normalize(substitute(body, {index: H + 1 + k})))
    total = canonical(total)
    if total != 0:
        out.append(total * Sum(body, (index, L, H)))
    return Add(*out)
