"""Parse trees to the algebra's sympy objects, built directly from tokens.

Nothing here calls sympify, parse_expr, eval or exec on file text: numbers are built from their
digits, names become Symbols, and every operator is an explicit constructor with
``evaluate=False`` so that the author's order survives for printing and nothing is computed.
Numbers that would grow huge once evaluated (``10^(10^10)``, ``(2 x)^(10^10)``) are refused
(see ``_Numbers``). The transformer is lark's non-recursive one, so a long line costs no Python
recursion here.

Semantic errors are raised as ``LocatedError`` with the line and column of the offending node,
relative to the logical line; the reader turns them into ``InputError`` in file coordinates.
"""
import math
import re
from typing import (Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set,
                    Tuple)

import mpmath
from lark import Token, Tree
from lark.tree import Meta
from lark.visitors import Transformer_NonRecursive
from sympy import (Abs, Add, Basic, E, Expr, Indexed, Integer, Mul, Pow, Product, Rational, S,
                   Sum, Symbol, exp, log, pi)
from sympy.core.symbol import Str
from sympy.core.parameters import evaluate

from ..algebra import KL, Defined, Density, DensityBase, Draws, Entropy, Expectation, Gaussian, \
    IndexedVariable, SpaceIntegral, VariableRange, is_variable, may_equal, substitute
from ..algebra.binders import rebuild
from ..algebra.functions import unknown_function
from ..errors import DomainError
from ..notation import (BINDER_WORDS, BRACKETED_ONLY, EXPECTATION, GAUSSIAN, KL_NAMES,
                        KNOWN_FUNCTIONS, KNOWN_WORDS, LOGARITHMS, UNARY_FUNCTIONS,
                        is_density_family)
from ..rules.catalogue import RULE_NAMES, nearest_rules

# private mpmath contexts: the global mpmath.mp is left as it is
_MP = mpmath.MPContext()
_MP.dps = 50
_MP_FINE = mpmath.MPContext()
_MP_FINE.dps = 150
_TINY, _TINY_FINE = _MP.mpf("1e-40"), _MP_FINE.mpf("1e-120")

MAX_DIGITS = 1000
MAX_NUMBER_DIGITS = 4000   # Python refuses to print ints of more than 4300 digits

# Words that are part of the language and so cannot stand as plain names.
KEYWORDS: FrozenSet[str] = frozenset(("derivation", "let", "assume", "model", "function", "by")) \
    | LOGARITHMS | BINDER_WORDS
# Prefixed forms: without brackets they take the rest of the product.
PREFIXED: FrozenSet[str] = LOGARITHMS | BINDER_WORDS
# Names a let may not take: they already mean something.
RESERVED: FrozenSet[str] = KEYWORDS | KNOWN_WORDS
# z_1, mu_12: a name whose last `_` part is a whole number is an indexed variable
INDEXED_NAME = re.compile(r"(.+)_([0-9]+)\Z")
# x_T, z_k: a name whose last `_` part is a name; an indexed variable when that name is a count
# of the file or an index in scope (a sum's, a product's, the draws' of an expectation)
NAMED_INDEX = re.compile(r"(.+)_([A-Za-z][A-Za-z0-9]*)\Z")
_INDEX_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")

E_HINT = "E needs its density: E_{q(z|x)}[...]"


def misread_binder(name: str) -> Optional[str]:
    """The hint for a name that spells a binder without its syntax (``E_q``, ``sum_y``,
    ``int_z``, ``prod_t``), else None.

    Read as they stand, such names are plain variables: ``E_q[ f ]`` would be the variable E_q
    times f, and a step about it refuted with a counterexample at E_q = -1.377."""
    if name.startswith("E_"):
        return E_HINT
    if name.startswith("sum_"):
        return "a sum needs bounds: sum_{j=1}^{J} f"
    if name.startswith("int_"):
        return "an integral is written int f dz: the variable comes last, after d"
    if name.startswith("prod_"):
        return "a product needs bounds: prod_{t=1}^{T} f"
    return None

from ..relations import canonical as relation_of


class LocatedError(Exception):
    """A semantic error at a (line, column) of the logical line being transformed."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _at(meta_or_token):
    """(line, column) of a lark Meta, Tree or Token; (1, 1) when it carries none."""
    if isinstance(meta_or_token, Tree):
        meta_or_token = meta_or_token.meta
    line = getattr(meta_or_token, "line", None)
    column = getattr(meta_or_token, "column", None)
    return (line or 1, column or 1)


def _fail(message, where):
    raise LocatedError(message, *_at(where))


class _Differential:
    """``f dx dz`` at the end of a product: an integrand waiting for its ``int``s.

    ``pending`` lists (variable, the symbol dz as written), innermost first; each ``int``
    takes one. Outside an ``int`` it is an ordinary product again (``_fin``), unless an ``int``
    already took a differential from the run: then the rest lack their ``int``.
    """

    __slots__ = ("inner", "pending", "after_int")

    def __init__(self, inner, pending, after_int=None):
        self.inner, self.pending, self.after_int = inner, pending, after_int

    def wrap(self, f: Callable[[Any], Any]) -> "_Differential":
        return _Differential(f(self.inner), self.pending, self.after_int)


def _fin(x):
    """An expression, with pending differentials multiplied back in."""
    if isinstance(x, _Differential):
        if x.after_int is not None:
            names = " ".join(str(sym) for _, sym in x.pending)
            _fail(f"{names} has no int of its own: write one int per differential "
                  "(int int f dx dy)", x.after_int)
        return _mul([_fin(x.inner)] + [sym for _, sym in x.pending])
    return x


def _instantiate(body, mapping):
    """``body`` with the free occurrences of ``mapping``'s keys replaced, never captured by a
    binder of ``body`` (``substitute``), and without evaluating what it rebuilds.

    Under sympy's ``evaluate(False)`` a Sum that is rebuilt wraps its body in ``1*(...)`` (its
    constructor multiplies by its orientation): that wrapper is taken off again."""
    with evaluate(False):   # the one use of sympy's global switch (a flip clears its cache)
        result = substitute(body, mapping)
    if not result.has(Sum):
        return result
    kept = body.atoms(Sum)
    memo: Dict[Basic, Basic] = {}

    def unwrap(e):
        if e in memo:
            return memo[e]
        new = e
        if e.args and e not in kept:
            args = [unwrap(a) for a in e.args]
            if isinstance(e, Sum):
                while isinstance(args[0], Mul) and len(args[0].args) == 2 \
                        and args[0].args[0] == 1:
                    args[0] = args[0].args[1]
            if any(a is not b for a, b in zip(args, e.args)):
                new = rebuild(e, args)
        memo[e] = new
        return new

    return unwrap(result)


class _Args(list):
    """Transformed arguments, with what the author wrote for each (``sources``)."""

    def __init__(self, values, sources):
        super().__init__(values)
        self.sources = sources


class _Numbers:
    """Sizes of the numbers in expressions: upper bounds on the digits that evaluating them
    could produce (log10 of the magnitude); and values of number-only expressions.

    Kept symbolic, ``10^(10^10)`` or ``(2 x)^(10^10)`` is still computed by the first
    printer, simplifier or ``expand`` that meets it. So every power, product and exp is sized
    as it is built and refused beyond MAX_NUMBER_DIGITS; sizes compose, so nothing in a parsed
    expression can grow past the bound. Symbols weigh nothing (``x^(10^10)`` is fine), a sum
    counts as a number (``(x + 1)^(10^10)`` expands into huge binomials). Memoised by
    identity: the nodes live as long as the transformer that holds them.
    """

    def __init__(self):
        self.memo = {}
        self.values = {}

    def size(self, e: Basic) -> float:
        hit = self.memo.get(id(e))
        if hit is not None:
            return hit[1]
        if e.is_Rational:
            n = math.log10(max(abs(e.p), e.q, 1))
        elif isinstance(e, (Symbol, Indexed, Str)):
            n = 0
        elif e.is_Pow:
            # sympy splits b^(c + x) into b^c b^x, so a symbolic exponent counts by the
            # numbers in it too
            b, x = e.args
            n = self.size(b)
            n = n * self.magnitude(x) if n else 0.0   # no 0 * inf = nan
        elif e.is_Mul:
            n = sum(self.size(a) for a in e.args)
        elif isinstance(e, exp):
            n = self.magnitude(e.args[0]) / 2
        elif e.is_Add:
            n = max(self.size(a) for a in e.args) + math.log10(len(e.args))
        elif e.args:
            n = max(self.size(a) for a in e.args)     # log, sqrt, abs, E[...]: no growth
        else:
            n = 1
        self.memo[id(e)] = (e, n)
        return n

    def magnitude(self, x: Basic) -> float:
        """An upper bound on |x|, or on the numbers in it when it holds symbols."""
        if x.is_Rational:
            return -(-abs(x.p) // x.q) if abs(x.p) < 10 ** 300 else math.inf   # ceil
        n = self.size(x)
        if n <= 15 and not x.free_symbols:
            value = self.value(x)
            if value is not None:
                return float(abs(value)) + 1
        return 10.0 ** n if n < 300 else math.inf

    def too_big(self, e: Basic) -> bool:
        return self.size(e) > MAX_NUMBER_DIGITS

    def is_zero(self, e: Basic) -> bool:
        """Whether ``e`` is a number-only expression equal to 0 (``log(1)``, ``1 - 1``): a
        divisor or log argument that would make zoo, which breaks whatever prints it later.

        A value below 1e-40 at 50 digits is computed again at 150 digits: a true tiny number
        keeps its size, a cancellation (``log(log(e))``) shrinks with the precision."""
        value = self.value(e)
        if value is None:
            return False
        if value == 0:
            return True
        if abs(value) > _TINY:
            return False
        try:
            again = self._value(e, _MP_FINE, lambda a: self._value(a, _MP_FINE, None))
        except (ArithmeticError, ValueError, TypeError):
            return False
        return again is not None and abs(again) < _TINY_FINE

    def value(self, e: Basic) -> Any:
        """The value of a number-only ``e`` as an mpmath complex at 50 digits, else None.

        Computed here, node by node and memoised, because sympy's own evaluation and even its
        evalf take exponential time on nested radicals such as sqrt(1/(1 + sqrt(1/(1 + ...))))."""
        hit = self.values.get(id(e))
        if hit is not None:
            return hit[1]
        v = None
        if not e.free_symbols and self.size(e) <= MAX_NUMBER_DIGITS:
            try:
                v = self._value(e, _MP, self.value)
            except (ArithmeticError, ValueError, TypeError):
                v = None
        self.values[id(e)] = (e, v)
        return v

    @staticmethod
    def _value(e, mp, value_of):
        """One node's value in the mpmath context ``mp``; ``value_of`` values the children
        (memoised at 50 digits, or recomputed when ``None`` is given: ``_value`` itself)."""
        if value_of is None:
            value_of = lambda a: _Numbers._value(a, mp, None)   # noqa: E731
        if e.is_Rational:
            return mp.mpc(mp.mpf(e.p) / e.q)
        if e is pi:
            return mp.mpc(mp.pi)
        if e is E:
            return mp.mpc(mp.e)
        if isinstance(e, Defined) and not e.arguments:
            return value_of(e.body)
        if not isinstance(e, (Add, Mul, Pow, exp, log, Abs)):
            return None
        parts = [value_of(a) for a in e.args]
        if any(p is None for p in parts):
            return None
        if e.is_Add:
            return mp.fsum(parts)
        if e.is_Mul:
            return mp.fprod(parts)
        if e.is_Pow:
            base, power = parts
            if base == 0:
                return mp.mpc(0) if power.real > 0 else None
            return mp.power(base, power)
        if isinstance(e, exp):
            return mp.exp(parts[0])
        if isinstance(e, log):
            return mp.log(parts[0]) if parts[0] != 0 else None
        return mp.mpc(abs(parts[0]))


def _mul(factors):
    return factors[0] if len(factors) == 1 else Mul(*factors, evaluate=False)


def _neg(x):
    if x.is_Number:
        return -x
    return Mul(S.NegativeOne, x, evaluate=False)


def _differential_variable(sym):
    """``z`` for the symbol ``dz`` (the indexed variable z_1 for ``dz_1``, the range x_{1:T}
    for ``dx_{1:T}``), else None."""
    if isinstance(sym, (Symbol, IndexedVariable, VariableRange)) and len(sym.name) > 1 \
            and sym.name[0] == "d" and sym.name[1].isalpha():
        if isinstance(sym, IndexedVariable):
            return IndexedVariable(sym.name[1:], sym.index)
        if isinstance(sym, VariableRange):
            return VariableRange(sym.name[1:], sym.lo, sym.hi)
        return Symbol(sym.name[1:])
    return None


def _written(v):
    """An indexed variable or a range as the text printer writes it."""
    from ..printing.text import text

    return text(v)


def written_name(variable: Basic) -> Optional[str]:
    """The name a variable is written with (``z``, ``z_1``), or None for one that no single
    name spells (``z_j``, whose index is bound by a sum)."""
    if isinstance(variable, Symbol):
        return variable.name
    if isinstance(variable, IndexedVariable) and variable.index.is_Integer:
        return f"{variable.name}_{variable.index}"
    return None


def _visible(expr):
    """The nodes of ``expr`` as the author wrote them, preorder: a let's use shows its
    arguments, never its body (which belongs to the let's own line, lexically closed)."""
    stack = [expr]
    while stack:
        e = stack.pop()
        yield e
        if isinstance(e, Defined):
            stack.extend(reversed(e.arguments))
        else:
            stack.extend(reversed(e.args))




def check_rules(tokens: List[Token]) -> Tuple[str, ...]:
    """The rule names of a ``by`` clause, each checked against the catalogue."""
    rules = []
    for tok in tokens:
        name = str(tok)
        if name not in RULE_NAMES:
            near = nearest_rules(name)
            hint = ("; did you mean " + " or ".join(f"'{n}'" for n in near) + "?") if near else \
                "; the rules are " + ", ".join(RULE_NAMES)
            _fail(f"unknown rule '{name}'{hint}", tok)
        if name not in rules:
            rules.append(name)
    return tuple(rules)


class ExprBuilder(Transformer_NonRecursive):
    """Builds sympy objects bottom-up; ``lets`` maps let names to ``Definition``s in scope.

    Every constructor is called with ``evaluate=False`` (or builds a plain object), so nothing
    here needs sympy's global ``evaluate`` switch, except ``_instantiate``."""

    def __init__(self, lets=None, text="", counts=frozenset(), facts=(), index_names=None,
                 functions=frozenset()):
        super().__init__(visit_tokens=False)
        self.lets = lets if lets is not None else {}
        self.functions = functions  # names declared by 'function NAME': unknown functions
        self.text = text            # the logical line, for quoting the author in messages
        self.counts = counts        # the file's counts (T in x_{1:T}): x_T is element T of x
        # names that index: the counts, and the names in the file's written indices (t in
        # x_{t-1}): x_t is the element t of x
        self.index_names = counts if index_names is None else index_names
        self.facts = facts          # (lhs, rel, rhs) assumed so far, for index questions
        self._indexed = False       # whether this line holds an indexed variable or a range
        self._ranges: List[Tuple[Expr, Any]] = []   # (range, its node), to locate one out of place
        self._densities: Dict[Basic, Token] = {}    # density as built -> its token
        self._originals: List[Any] = []             # the current node's children as parsed
        self.numbers = _Numbers()
        self._used_lets: Set[str] = set()           # parameterless lets met on this line
        self._families: List[Tuple[str, Token]] = []  # (family name, its token), for errors

    def _call_userfunc(self, tree, new_children=None):
        # A DomainError from the algebra becomes a located error at that node; no VisitError
        # wrapping, so our own errors pass through. Anything else sympy may raise on odd input
        # (ZeroDivisionError while printing 1/log(1), say) is an input error too, never a
        # traceback; RecursionError and MemoryError go on to the reader.
        children = new_children if new_children is not None else tree.children
        self._originals = tree.children
        try:
            return getattr(self, str(tree.data))(tree.meta, children)
        except (LocatedError, RecursionError, MemoryError):
            raise
        except DomainError as exc:
            raise LocatedError(str(exc), *_at(tree.meta)) from None
        except Exception as exc:   # noqa: BLE001 - the contract: input errors only
            raise LocatedError(f"cannot make sense of '{self.quote(tree.meta)}' "
                               f"({type(exc).__name__})", *_at(tree.meta)) from None

    def quote(self, node: Any) -> str:
        """What the author wrote for ``node`` (a Meta, Token or Tree), shortened."""
        meta = getattr(node, "meta", node)
        start, end = getattr(meta, "start_pos", None), getattr(meta, "end_pos", None)
        if start is None or end is None:
            return "?"
        s = " ".join(self.text[start:end].split())
        return s if len(s) <= 60 else s[:57] + "..."

    # -- leaves -------------------------------------------------------------------------
    def number(self, meta: Meta, children: List[Any]) -> Expr:
        tok = children[0]
        text = str(tok)
        digits = text.replace(".", "")
        if len(digits) > MAX_DIGITS:
            _fail(f"number too long ({len(digits)} digits; at most {MAX_DIGITS})", tok)
        if "." in text:
            whole, frac = text.split(".")
            return Rational(int(whole + frac), 10 ** len(frac))
        return Integer(int(text))

    def name(self, meta: Meta, children: List[Any]) -> Expr:
        tok = children[0]
        n = str(tok)
        if n in PREFIXED:
            _fail(f"'{n}' without brackets cannot stand here: bracket what it takes, as in "
                  f"x^({n} ...)", tok)
        if n in KEYWORDS:
            _fail(f"'{n}' is a keyword and cannot stand here", tok)
        if n in BRACKETED_ONLY:
            _fail(f"{n} needs its arguments in brackets: {n}(...)", tok)
        hint = misread_binder(n)
        if hint is not None or (n == EXPECTATION and self._next_char(tok) == "["):
            _fail(hint or E_HINT, tok)
        if n == "pi":
            return pi
        if n == "e":
            return E
        if n in self.functions:
            _fail(f"'{n}' is declared a function ('function {n}'): apply it, {n}(...)", tok)
        if n in self.lets:
            d = self.lets[n]
            if d.params:
                _fail(f"{n} takes {len(d.params)} argument{'s' * (len(d.params) != 1)}: "
                      f"{n}({', '.join(str(p) for p in d.params)})", tok)
            self._used_lets.add(n)
            return Defined(n, (), d.body)
        return self.variable(n, tok)

    def variable(self, n: str, where: Any) -> Expr:
        """The variable named ``n``: ``z_1`` is the indexed variable z_1 (element 1 of z, the
        same object as z_j at j = 1 inside a sum), any other name a Symbol."""
        m = INDEXED_NAME.match(n)
        if m is None:
            m = NAMED_INDEX.match(n)
            if m is not None and m.group(2) in self.index_names:
                self._indexed = True
                return IndexedVariable(m.group(1), Symbol(m.group(2)))
            return Symbol(n)
        self._indexed = True
        base, digits = m.groups()
        if len(digits) > 1 and digits[0] == "0":
            _fail(f"an index is written without leading zeros: {base}_{digits.lstrip('0') or 0}",
                  where)
        if len(digits) > MAX_DIGITS:
            _fail(f"index too long ({len(digits)} digits; at most {MAX_DIGITS})", where)
        return IndexedVariable(base, Integer(int(digits)))

    def is_indexed_name(self, n: str) -> bool:
        """Whether the name ``n`` spells an indexed variable wherever it stands (z_1, x_T)."""
        if INDEXED_NAME.match(n):
            return True
        m = NAMED_INDEX.match(n)
        return m is not None and m.group(2) in self.index_names

    # -- subscripts: x_{t-1}, x_{1:T} -------------------------------------------------------
    def sub_density(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        return ("plain", _fin(children[0]), meta, self._originals[0])

    def sub_tilde(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        return ("tilde", (_fin(children[0]), self._originals[0]), meta, _fin(children[2]))

    def sub_range(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        return ("range", (_fin(children[0]), self._originals[0]), meta,
                (_fin(children[2]), self._originals[2]))

    def subscripted(self, meta: Meta, children: List[Any]) -> Expr:
        """``x_{t-1}`` (element t - 1 of x) and ``x_{1:T}`` (the variables x_1, ..., x_T)."""
        tok, _, (kind, first, sub_meta, rest) = children
        name = str(tok)
        if name == EXPECTATION:
            _fail(f"an expectation needs its brackets: E_{{{self.quote(sub_meta)}}}[ f ]", tok)
        if kind == "tilde":
            _fail("'~' belongs in the subscript of an expectation: E_{z ~ q(z|x)}[ f ]",
                  sub_meta)
        if name in RESERVED or misread_binder(name + "_"):
            _fail(f"'{name}' cannot take an index", tok)
        self._indexed = True
        if kind == "plain":
            return IndexedVariable(name, self.index(first, rest))
        lo, hi = self.index(*first), self.index(*rest)
        r = VariableRange(name, lo, hi)
        self._ranges.append((r, meta))
        return r

    def index(self, e: Expr, node: Any) -> Expr:
        """An index: a whole number or a whole-number expression in names (``t - 1``,
        ``2 t``, ``T``), evaluated (so x_{t-1} is the same object wherever written). A name in
        an index is an index name, never a let."""
        def bad(why=""):
            _fail(f"an index is a whole number or a whole-number expression in names "
                  f"(x_{{t-1}}, x_{{2 t}}), and '{self.quote(node)}' is none{why}", node)

        memo = {}
        stack = [e]
        while stack:                     # bottom-up without recursion
            n = stack[-1]
            if n in memo:
                stack.pop()
                continue
            if isinstance(n, Defined) and not n.arguments:
                memo[n] = Symbol(n.name)
            elif isinstance(n, Symbol) or n.is_Integer:
                memo[n] = n
            elif n.is_Rational:
                bad(f" ({n} is no whole number)")
            elif isinstance(n, (Add, Mul)):
                todo = [a for a in n.args if a not in memo]
                if todo:
                    stack.extend(todo)
                    continue
                memo[n] = (Add if n.is_Add else Mul)(*[memo[a] for a in n.args])
            else:
                bad()
            stack.pop()
        out = memo[e]
        self._check_size(out, node)
        return out

    def _next_char(self, tok):
        """The first character after ``tok`` that is not a space, or ''."""
        end = getattr(tok, "end_pos", None)
        rest = self.text[end:].lstrip() if end is not None else ""
        return rest[:1]

    # -- binders --------------------------------------------------------------------------
    def rebind(self, expr: Expr, defined: Dict[str, Expr],
               symbols: Optional[Dict[Basic, Expr]] = None) -> Expr:
        """``expr`` with each parameterless let named in ``defined`` replaced by
        ``defined[name]``, and each Symbol in ``symbols`` by its value.

        Lexical scope: a let's use is rebuilt from its arguments (so the let's own body,
        closed on its line, is never touched) and instantiated again."""
        symbols = symbols or {}
        if not defined and not symbols:
            return expr
        memo: Dict[Basic, Basic] = {}

        def go(e):
            hit = memo.get(e)
            if hit is not None:
                return hit
            if isinstance(e, Defined):
                if not e.arguments:
                    new = defined.get(e.name, e)
                else:
                    args = tuple(go(a) for a in e.arguments)
                    new = e if args == e.arguments else self.instantiate(e.name, args)
            elif isinstance(e, Symbol):
                new = symbols.get(e, e)
            elif not e.args:
                new = e
            else:
                new_args = [go(a) for a in e.args]
                new = e if all(a is b for a, b in zip(new_args, e.args)) else rebuild(e, new_args)
                if new is not e and e in self._densities:      # keep where it was written
                    self._densities.setdefault(new, self._densities[e])
            memo[e] = new
            return new

        return go(expr)

    def shadow(self, expr: Expr, variables: Iterable[Basic]) -> Expr:
        """``expr`` inside the scope of a binder of ``variables``: a parameterless let named
        like one of them is that variable there (``let j = 5`` does not reach the j of
        ``sum_{j=1}^{2} j``)."""
        defined = {}
        for v in variables:
            n = written_name(v)
            if n is not None and n in self._used_lets:
                defined[n] = v
        return self.rebind(expr, defined)

    def as_variable(self, x: Expr, where: Any) -> Expr:
        """A density's variable: a parameterless let of that name means the variable there."""
        if isinstance(x, Defined) and not x.arguments and x.name in self._used_lets:
            return self.variable(x.name, where)
        return x

    def instantiate(self, name: str, args: Sequence[Expr]) -> Defined:
        """The let ``name`` at ``args``: its body with its parameters replaced, avoiding
        capture by the body's binders."""
        d = self.lets[name]
        body = _instantiate(d.body, dict(zip(d.params, args))) if d.params else d.body
        return Defined(name, tuple(args), body)

    # -- arithmetic ---------------------------------------------------------------------
    def additive(self, meta: Meta, children: List[Any]) -> Any:
        terms = [_fin(children[0])]
        for op, term in zip(children[1::2], children[2::2]):
            term = _fin(term)
            terms.append(term if op.type == "PLUS" else _neg(term))
        return Add(*terms, evaluate=False)

    def prod(self, meta: Meta, children: List[Any]) -> Any:
        factors: List[Any] = []
        juxtaposed: List[Any] = []
        op = None
        for i, c in enumerate(children):
            if isinstance(c, Token):
                op = c.type
                continue
            if isinstance(c, _Differential) and i == len(children) - 1:
                # a prefixed form ending in dz, which closes the product (or a bracketed one)
                if op == "SLASH":
                    return c.wrap(lambda f: _mul(factors + [Pow(f, -1, evaluate=False)]))
                return c.wrap(lambda f: _mul(factors + [f]))
            c = _fin(c)
            if op == "SLASH":
                if self.numbers.is_zero(c):
                    _fail(f"division by zero: '{self.quote(self._originals[i])}' is 0",
                          self._originals[i])
                c = self._divide(factors, c)
            if c is not None:
                factors.append(c)
                juxtaposed.append(op is None)
            op = None
        # a trailing run of juxtaposed dx, dz: differentials, if something precedes them
        if len(factors) > 1:
            self._check_size(_mul(factors), meta)
        k = len(factors)
        while k > 1 and juxtaposed[k - 1] and _differential_variable(factors[k - 1]) is not None:
            k -= 1
        if k < len(factors):
            return _Differential(_mul(factors[:k]),
                                 [(_differential_variable(d), d) for d in factors[k:]])
        return _mul(factors)

    @staticmethod
    def _divide(factors, divisor):
        """Append ``/ divisor``: a quotient of two integers is a Rational (``1/2``)."""
        if factors and factors[-1].is_Integer and divisor.is_Integer and divisor != 0:
            factors[-1] = Rational(factors[-1], divisor)
            return None
        return Pow(divisor, -1, evaluate=False)

    def neg(self, meta: Meta, children: List[Any]) -> Any:
        x = children[-1]
        if isinstance(x, _Differential):
            return x.wrap(_neg)
        return _neg(x)

    def pos(self, meta: Meta, children: List[Any]) -> Any:
        return children[-1]

    def pow(self, meta: Meta, children: List[Any]) -> Any:
        base, _, exponent = children
        base, exponent = _fin(base), _fin(exponent)
        if self.numbers.is_zero(base):
            value = self.numbers.value(exponent)
            if value is None or value.real <= 0:
                _fail(f"division by zero: '{self.quote(meta)}' is 0 to a power that is not "
                      "positive", meta)
        power = Pow(base, exponent, evaluate=False)
        self._check_size(power, meta)
        return power

    def _check_size(self, e, meta):
        if self.numbers.too_big(e):
            _fail(f"'{self.quote(meta)}' is too large: evaluated, it would hold numbers of "
                  f"more than about {MAX_NUMBER_DIGITS} digits", meta)

    # -- prefixed forms -----------------------------------------------------------------
    def log_bare(self, meta: Meta, children: List[Any]) -> Any:
        x = children[-1]
        if isinstance(x, _Differential):
            return x.wrap(lambda f: log(f, evaluate=False))
        if self.numbers.is_zero(x):
            _fail(f"log of zero: '{self.quote(self._originals[-1])}' is 0", meta)
        return log(x, evaluate=False)

    def sum_head(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        """(Sum or Product, index, lower, upper) of ``sum_{j=lo}^{hi}`` or ``prod_{t=lo}^{hi}``."""
        kind = Sum if children[0].type in ("SUM", "SUM_SIGN") else Product
        what = "a sum" if kind is Sum else "a product"
        index_tok = children[2]
        index = str(index_tok)
        if index in RESERVED:
            _fail(f"'{index}' cannot be {'a summation' if kind is Sum else 'a product'} index",
                  index_tok)
        if self.is_indexed_name(index):
            _fail(f"'{index}' is an indexed variable and cannot be "
                  f"{'a summation' if kind is Sum else 'a product'} index", index_tok)
        bounds = (_fin(children[4]), _fin(children[-1]))
        for bound, node in zip(bounds, (self._originals[4], self._originals[-1])):
            if bound.is_Rational:
                whole = bound.is_Integer
            else:
                value = self.numbers.value(bound)
                whole = value is None or (abs(value.imag) < _TINY and
                                          abs(value.real - _MP.nint(value.real)) < _TINY)
            if not whole:
                _fail(f"the bounds of {what} are whole numbers or names, and "
                      f"'{self.quote(node)}' is no whole number", node)
        return (kind, Symbol(index), *bounds)

    def sum_bare(self, meta: Meta, children: List[Any]) -> Any:
        (kind, index, lower, upper), body = children
        if isinstance(body, _Differential):
            return body.wrap(lambda f: self._sum(f, index, lower, upper, meta, kind))
        return self._sum(body, index, lower, upper, meta, kind)

    def _sum(self, body, index, lower, upper, meta, kind=Sum):
        """Sum (or product) over ``index``; inside it ``mu_j`` is the indexed variable mu_j,
        element j of ``mu`` (a let named j or mu_j is shadowed there). Families are not
        indexed."""
        body = self.elements_of(body, index, meta)
        return kind(body, (index, lower, upper))

    def elements_of(self, body: Expr, index: Symbol, meta: Meta,
                    family_check: bool = True) -> Expr:
        """``body`` with each name ``mu_j`` (j the name of ``index``) as the element j of
        ``mu``, and a parameterless let named j as the index itself."""
        suffix = "_" + index.name
        symbols, defined = {}, {}
        if index.name in self._used_lets:
            defined[index.name] = index
        for e in _visible(body):
            if isinstance(e, (Symbol, Defined)) and e.name.endswith(suffix) \
                    and len(e.name) > len(suffix):
                element = IndexedVariable(e.name[:-len(suffix)], index)
                if isinstance(e, Symbol):
                    symbols[e] = element
                elif not e.arguments:
                    defined[e.name] = element
            elif family_check and isinstance(e, Density) and e.family.endswith(suffix):
                self._family_error(e.family, index, meta)
        if symbols:
            self._indexed = True
        return self.rebind(body, defined, symbols)

    def _family_error(self, family, index, meta):
        start, end = getattr(meta, "start_pos", None), getattr(meta, "end_pos", None)
        where = next((tok for name, tok in self._families if name == family and
                      (start is None or end is None or start <= tok.start_pos < end)),
                     meta)
        _fail(f"families are not indexed: '{family}' is one family whatever {index} is; "
              f"index its variables instead ({family[0]}(x_{index}))", where)

    def int_bare(self, meta: Meta, children: List[Any]) -> Any:
        body = children[-1]
        if not isinstance(body, _Differential):
            _fail("an integral is written 'int f dz': the integrand must end with d and the "
                  "variable (bracket it when it holds + or -)", meta)
        (variable, _), rest = body.pending[0], body.pending[1:]
        integral = SpaceIntegral(self.shadow(_fin(body.inner), (variable,)), (variable,))
        return _Differential(integral, rest, meta) if rest else integral

    # -- applications -------------------------------------------------------------------
    def arglist(self, meta: Meta, children: List[Any]) -> List[Any]:
        return _Args([_fin(c) for c in children if not isinstance(c, Token)],
                     [self.quote(node) for node in self._originals
                      if not (isinstance(node, Token) and node.type == "COMMA")])

    def call(self, meta: Meta, children: List[Any]) -> Expr:
        return self._apply(meta, children[0], children[1], None)

    def call_given(self, meta: Meta, children: List[Any]) -> Expr:
        return self._apply(meta, children[0], children[1], children[3])

    def call_semi(self, meta: Meta, children: List[Any]) -> Expr:
        tok, first, _, rest = children
        name = str(tok)
        if name != GAUSSIAN:
            _fail(f"only N(z; mean, variance) takes a ';', not {name}(...)", tok)
        if len(rest) != 2:
            _fail("N takes a variable, a mean and a variance: N(z; mu, sigma^2)", tok)
        var, (mean, variance) = self.as_variable(_fin(first), tok), rest
        if isinstance(var, VariableRange):
            _fail(f"N(...) is over one variable, and '{self.quote(self._originals[1])}' is a "
                  "range of them", tok)
        if not is_variable(var):
            _fail(f"the variable of N(...) is a name, and '{self.quote(self._originals[1])}' "
                  "is none", tok)
        if mean.has(var) or variance.has(var):
            _fail(f"{var} stands both as the variable and in the parameters of N(...)", tok)
        value = self.numbers.value(variance)
        if value is not None and (value.imag != 0 or value.real <= 0):
            _fail(f"the variance of N({var}; ...) must be positive, not "
                  f"'{rest.sources[1]}'", tok)
        return Gaussian(var, mean, variance)

    def call_kl(self, meta: Meta, children: List[Any]) -> Expr:
        tok, a, _, b = children
        name = str(tok)
        if name not in KL_NAMES:
            _fail(f"'||' belongs in KL(a || b), not in {name}(...)", tok)
        a, b = _fin(a), _fin(b)
        for d, node in ((a, self._originals[1]), (b, self._originals[3])):
            if not isinstance(d, DensityBase):
                _fail(f"KL compares densities, and '{self.quote(node)}' is none", tok)
        if set(a.variables) != set(b.variables):
            _fail(f"KL compares densities over the same variables, and "
                  f"'{self.quote(self._originals[1])}' and '{self.quote(self._originals[3])}' "
                  "differ", tok)
        return KL(self.shadow(a, a.variables), self.shadow(b, a.variables))

    def _apply(self, meta, tok, args, given):
        name = str(tok)
        if is_density_family(name):
            variables = [self.as_variable(v, tok) for v in args], \
                [self.as_variable(v, tok) for v in given or ()]
            for v, src in zip(variables[0] + variables[1],
                              args.sources + (given.sources if given else [])):
                if not is_variable(v):
                    _fail(f"the variables of a density are names, and '{src}' is none", tok)
            self._families.append((name, tok))
            d = Density(name, *variables)
            self._densities.setdefault(d, tok)
            return d
        if given is not None:
            _fail(f"only densities (p, q, r) take a '|', not {name}(...)", tok)
        hint = misread_binder(name)
        if hint is not None:
            _fail(hint, tok)
        if name in self.lets:
            d = self.lets[name]
            if len(d.params) != len(args):
                want = len(d.params)
                _fail(f"{name} takes {want} argument{'s' * (want != 1)}, not {len(args)}", tok)
            use = self.instantiate(name, args)
            self._check_size(use.body, meta)
            return use
        if name in self.functions:
            return unknown_function(name)(*args)
        if name in UNARY_FUNCTIONS:
            if len(args) != 1:
                _fail(f"{name} takes one argument, not {len(args)}", tok)
            x = args[0]
            if name in LOGARITHMS:
                if self.numbers.is_zero(x):
                    _fail(f"log of zero: '{args.sources[0]}' is 0", tok)
                return log(x, evaluate=False)
            if name == "exp":
                e = exp(x, evaluate=False)
                self._check_size(e, meta)
                return e
            if name == "sqrt":
                return Pow(x, S.Half, evaluate=False)
            if name == "abs":
                return Abs(x, evaluate=False)
            if not isinstance(x, DensityBase):
                _fail(f"H takes a density, and '{args.sources[0]}' is none", tok)
            return Entropy(self.shadow(x, x.variables))
        if name in KL_NAMES:
            _fail(f"{name} compares two densities: {name}(q || p)", tok)
        if name == GAUSSIAN:
            _fail("N takes a variable, a mean and a variance: N(z; mu, sigma^2)", tok)
        if name == EXPECTATION:
            _fail("an expectation is written E_{q(z|x)}[ f ]", tok)
        if name in BINDER_WORDS:
            _fail("write " + {"sum": "sum_{j=1}^{J} f", "prod": "prod_{t=1}^{T} f",
                              "int": "int f dz"}[name], tok)
        _fail(f"'{name}' is not defined: it is no density (p, q, r), no known function "
              f"({', '.join(KNOWN_FUNCTIONS)}), no let and no declared function "
              f"('function {name}'); to multiply, write '*': {name} * (...)", tok)

    def expectation(self, meta: Meta, children: List[Any]) -> Expr:
        tok, _, (kind, first, sub_meta, rest), body = children
        if str(tok) != EXPECTATION:
            _fail(f"only E takes a subscript and brackets (E_{{q(z|x)}}[ f ]), not {tok}", tok)
        if kind == "range":
            _fail("an expectation is taken under a density: E_{q(x_{1:T} | x_0)}[ f ], or "
                  "over draws: E_{z_{1:K} ~ q(z | x)}[ f ]", sub_meta)
        density = first if kind == "plain" else rest
        if not isinstance(density, DensityBase):
            where = sub_meta if kind == "plain" else self._originals[2].children[2]
            _fail(f"an expectation is taken under a density, and '{self.quote(where)}' is "
                  "none", where)
        if kind == "tilde":
            var, var_node = first
            if isinstance(var, Defined) and not var.arguments:
                var = self.variable(var.name, var_node)
            if isinstance(var, VariableRange) and var not in density.variables:
                return self.draws(body, density, var, var_node, sub_meta)
            if not is_variable(var) or var not in density.variables:
                _fail(f"{self.quote(var_node)} is not a variable of "
                      f"'{self.quote(self._originals[2].children[2])}' (those left of its bar)",
                      var_node)
        body = self.shadow(_fin(body), density.variables)
        for name in sorted({v.name for v in density.variables + density.given
                            if isinstance(v, VariableRange)}):
            body = self.elements_named(body, name)
        return Expectation(body, density)

    def draws(self, body: Any, base: Any, draws: Any, draws_node: Any, sub_meta: Meta) -> Expr:
        """``E_{z_{1:K} ~ q(z | x)}[ f ]``: K independent draws, each distributed as the base
        density; inside f, ``z_k`` is the draw k (element k of z)."""
        base_node = self._originals[2].children[2]
        if len(base.variables) != 1 or not isinstance(base.variables[0], Symbol):
            _fail(f"draws are taken from a density over one plain variable (z_{{1:K}} ~ "
                  f"q(z | x)), and '{self.quote(base_node)}' is none", base_node)
        variable = base.variables[0]
        others = {v.name for v in getattr(base, "given", ())} | \
            {s.name for s in base.free_symbols if s != variable and hasattr(s, "name")}
        if draws.name != variable.name and draws.name in others:
            written = self.quote(draws_node)
            _fail(f"the draws {written} are named like a variable that '{self.quote(base_node)}'"
                  f" depends on: name them after its variable "
                  f"({variable.name}{written[len(draws.name):]})", draws_node)
        return Expectation(self.elements_named(_fin(body), draws.name), Draws(base, draws))

    def elements_named(self, body: Expr, name: str) -> Expr:
        """``body`` with each name ``z_k`` (``name`` z, k a name) as the element k of z: inside
        an expectation over the draws z_{1:K} or over a range of z."""
        prefix = name + "_"
        symbols, defined = {}, {}
        for e in _visible(body):
            if isinstance(e, (Symbol, Defined)) and e.name.startswith(prefix) \
                    and _INDEX_NAME.match(e.name[len(prefix):]):
                element = IndexedVariable(name, Symbol(e.name[len(prefix):]))
                if isinstance(e, Symbol):
                    symbols[e] = element
                elif not e.arguments:
                    defined[e.name] = element
        if symbols or defined:
            self._indexed = True
        return self.rebind(body, defined, symbols)

    # -- whole lines --------------------------------------------------------------------
    def checked(self, expr: Expr) -> Expr:
        """``expr``, once its indices are checked: a range of variables stands only where
        variables do, and no density holds a variable on both sides of its bar for any value
        its indices may take (in the sums and products around it, under the assumptions read
        so far)."""
        if not (self._indexed or self._ranges):
            return expr
        seen: Set[Tuple[Basic, Tuple[Any, ...]]] = set()
        stack: List[Tuple[Basic, Tuple[Any, ...]]] = [(expr, ())]
        while stack:
            e, ranges = stack.pop()
            if (e, ranges) in seen:
                continue
            seen.add((e, ranges))
            if isinstance(e, VariableRange):
                where = next((m for r, m in self._ranges if r == e), None)
                _fail(f"a range of variables stands only in a density (p(x_{{1:T}})), an "
                      f"expectation's subscript or an integral (dx_{{1:T}}), and "
                      f"'{self.quote(where) if where is not None else e}' stands elsewhere",
                      where)
            elif isinstance(e, Density):
                self._check_bar(e, ranges)
            elif isinstance(e, SpaceIntegral):
                stack.append((e.integrand, ranges))
            elif isinstance(e, Draws):
                stack.append((e.base, ranges))
            elif isinstance(e, Defined):
                stack.extend((a, ranges) for a in e.arguments)
            elif isinstance(e, (Sum, Product)):
                inner = ranges + tuple(tuple(limit) for limit in reversed(e.limits))
                stack.append((e.function, inner))
            else:
                stack.extend((a, ranges) for a in e.args)
        return expr

    def _check_bar(self, d, ranges):
        for a in d.variables:
            if not isinstance(a, (IndexedVariable, VariableRange)):
                continue
            for b in d.given:
                if isinstance(b, (IndexedVariable, VariableRange)) and a.name == b.name \
                        and may_equal(a, b):
                    at = self._overlap(a, b, ranges)
                    if at is not None:
                        where = self._densities.get(d) or next(
                            (tok for name, tok in self._families if name == d.family), None)
                        shown = ", ".join(f"{s} = {v}" for s, v in at)
                        verb = "are the same variable" if isinstance(a, IndexedVariable) and \
                            isinstance(b, IndexedVariable) else "share a variable"
                        _fail(f"{_written(a)} and {_written(b)} {verb}"
                              f"{' at ' + shown if shown else ''}: a density cannot hold a "
                              f"variable on both sides of its bar", where)

    def _overlap(self, a, b, ranges):
        """Values of the index symbols (name, value pairs) at which the variables ``a`` and
        ``b`` share an element; None when there are none (or it cannot be decided)."""
        from ..checker.indices import IndexSpace

        spans = [(v.lo, v.hi) if isinstance(v, VariableRange) else (v.index, v.index)
                 for v in (a, b)]
        exprs = [e for span in spans for e in span]
        parts = exprs + [x for r in ranges for x in r]
        if any(e.has(Defined) or not all(isinstance(s, Symbol) for s in e.free_symbols)
               for e in parts):
            return None
        names = set().union(*(e.free_symbols for e in parts))
        facts = [f for f in self.facts
                 if not (f[0].has(Defined) or f[2].has(Defined)) and
                 all(isinstance(s, Symbol) for s in f[0].free_symbols | f[2].free_symbols)]
        names |= {s for f in facts for s in f[0].free_symbols | f[2].free_symbols}
        whole = {s: Symbol(s.name, integer=True, nonnegative=True) if s.name in self.counts
                 else Symbol(s.name, integer=True) for s in names}
        space = IndexSpace(tuple(tuple(x.xreplace(whole) for x in r) for r in ranges),
                           tuple((f[0].xreplace(whole), f[1], f[2].xreplace(whole))
                                 for f in facts))
        found = space.instances([e.xreplace(whole) for e in exprs])
        if not found:
            return None
        back = {v: k for k, v in whole.items()}
        for values in found:
            (la, ha), (lb, hb) = [[e.xreplace(whole).xreplace(values) for e in span]
                                  for span in spans]
            if not all(x.is_Integer for x in (la, ha, lb, hb)):
                continue
            if la <= ha and lb <= hb and not (ha < lb or hb < la):
                shown = sorted((back[s].name, v) for s, v in values.items()
                               if s in back and back[s] in set().union(
                                   *(e.free_symbols for e in exprs)) | {r[0] for r in ranges})
                return shown
        return None

    def params(self, meta: Meta, children: List[Any]) -> List[Token]:
        return [c for c in children if isinstance(c, Token) and c.type == "NAME"]

    def rel(self, meta: Meta, children: List[Any]) -> Token:
        return children[0]

    def by_clause(self, meta: Meta, children: List[Any]) -> Tuple[str, ...]:
        return check_rules([c for c in children if c.type == "RULE_NAME"])

    def start_expr(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        """The start, and the first step when it stands on the same line: ``a = b``."""
        if len(children) == 1:
            return ("expr", self.checked(_fin(children[0])))
        return ("expr", self.checked(_fin(children[0])), self.start_step(meta, children[1:]))

    def start_step(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        rel_tok, expr = children[0], self.checked(_fin(children[1]))
        rules = children[2] if len(children) > 2 else ()
        return ("step", rel_tok, expr, rules)

    def start_assume(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        _, lhs, rel_tok, rhs = children
        return ("assume", self.checked(_fin(lhs)), rel_tok, self.checked(_fin(rhs)))

    def start_model(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        """``model p(x, z) = p(x | z) p(z)``: the joint and its factors, validated as a
        directed acyclic graph (``build_model``); a fault is located at its factor."""
        from ..rules.models import ModelError, build_model

        model_tok, lhs, _, rhs = children
        lhs_node, rhs_node = self._originals[1], self._originals[3]
        joint = self.checked(_fin(lhs))
        if not isinstance(joint, Density):
            _fail(f"a model's left side is a density of a family (model p(x, z) = ...), and "
                  f"'{self.quote(lhs_node)}' is none", lhs_node)
        rhs = _fin(rhs)
        factors, sources = [rhs], [rhs_node]
        if isinstance(rhs_node, Tree) and rhs_node.data == "prod":
            for c in rhs_node.children:
                if isinstance(c, Token) and c.type == "SLASH":
                    _fail("a model is a product of factors, with no '/': "
                          "model p(x, z) = p(x | z) p(z)", c)
            written = [c for c in rhs_node.children if not isinstance(c, Token)]
            if isinstance(rhs, Mul) and len(rhs.args) == len(written):
                factors, sources = list(rhs.args), written
        for f in factors:
            self.checked(f)
        try:
            build_model(joint, factors)
        except ModelError as exc:
            where = sources[exc.factor] if exc.factor is not None and \
                0 <= exc.factor < len(sources) else model_tok
            _fail(str(exc), where)
        return ("model", joint, tuple(factors), model_tok)

    def start_function(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        return ("function", [c for c in children if isinstance(c, Token) and c.type == "NAME"])

    def let_plain(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        _, name_tok, _, body = children
        return ("let", name_tok, (), self.checked(_fin(body)))

    def let_fn(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        name_tok, params, body = children[1], children[2], children[-1]
        seen = set()
        for p in params:
            if str(p) in RESERVED:
                _fail(f"'{p}' cannot be a parameter name", p)
            if str(p) in seen:
                _fail(f"parameter '{p}' appears twice", p)
            seen.add(str(p))
        params = tuple(self.variable(str(p), p) for p in params)
        # a parameter is bound in the body: a let of the same name does not reach it
        return ("let", name_tok, params, self.checked(self.shadow(_fin(body), params)))

    def start_header(self, meta: Meta, children: List[Any]) -> Tuple[Any, ...]:
        name_tok = children[1]
        title = str(children[2])[1:-1] if len(children) > 2 else ""
        return ("header", name_tok, title)
