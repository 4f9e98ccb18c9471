"""Explain a failing step: the nearest steps that hold.

A step that is refuted or unknown is most often one slip away from a true one: a sign, a KL's
arguments swapped, a conditional turned around, a term dropped or added, an index off by one, a
term moved into or out of an expectation, a constant or a sum's bound changed, a let's
arguments exchanged, the relation written the wrong way round (the slips ``elbo_sym.mutation``
makes). ``suggestions`` tries the inverse of each slip on the step's right-hand side, smallest
edit first, and keeps only the candidates the checker **verifies** (``check_step``, with the
step's citation, assumptions and models): a suggestion is never an unverified line.

Edits are made where the author wrote them, evaluating nothing else (the rest of the line keeps
its order and grouping), and the left side is never proposed as its own successor.

A dropped term is added back as the author would write it: a term written in the step, or
named by the derivation (a let, a model's factor, a product-rule split of a joint, the log of a
measure, a KL between two densities of one variable set, the terms of a Gaussian's log
density, the terms a peeled sum writes out), folded into a KL or unfolded under a measure; the
residual itself is the last resort. On an equality a term fits when its normal form closes the
residual; on a bound, when the facts the checker uses (KLs, Jensen gaps, assumptions) certify
what is left.

Cost: nothing for a verified step (the caller asks only for failing ones); for a failing step a
time budget bounds the search (a deadline checked between candidates, and the time limit of
``limits`` around each probe, nested in any limit of the caller's), and so may a count of
candidates (``max_candidates``: the same suggestions on any machine). Each candidate is first probed
(by its change alone where it changes one place of an equality; otherwise with one attempt of
the normal form with every rule, no counterexample search, no hint), and only a candidate that
holds there is checked in full by ``check_step``.
"""
import time
from dataclasses import dataclass, replace
from functools import partial
from itertools import combinations
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, NamedTuple,
                    Optional, Sequence, Tuple)

from sympy import (Add, Expr, Indexed, Integer, Mul, Product, Rational, S, Sum, Tuple as
                   SympyTuple)

from ..algebra import (KL, Defined, Density, DensityBase, Entropy, Expectation, Gaussian,
                       VariableRange)
from ..algebra.binders import bound_anywhere, depends_on, rebuild, substitute
from ..errors import DomainError
from ..relations import (EQ, GE, GT, LE, LT, UPPER, VERIFIED, canonical, mixes_directions,
                         reverse, unicode_symbol)
from ..rules import RULE_NAMES, TooComplex
from ..slips import (ADD, BOUND_RENAME, CONDITIONAL_SWAP, CONSTANT, CONSTANT_UNDO,
                     COST_EVERYWHERE, COST_LINE_BEFORE, COST_MOVE, COST_ONE_CHANGE,
                     COST_ONE_CONSTANT, COST_RELATION, COST_RENAME_ALL, COST_SIGN_GROUP,
                     COST_TWO_SIGNS, DROP, INDEX_SHIFT, INDEX_UNDO, KL_SWAP, LET_BODY, LET_SWAP,
                     PULL_OUT, PUSH_IN, RELATION, SIGN, SUM_BOUND, SUM_BOUND_UNDO,
                     let_swaps, moved_bounds, shifted, swapped_kl, turned_around)
from .context import prepare
from .limits import StepTimeout, check_time, time_limit
from .step import StepResult, _attempt, _no_value, as_conditionals, check_step

if TYPE_CHECKING:
    from ..derivation import Definition, ModelDeclaration

MAX_SUGGESTIONS = 3
DEFAULT_BUDGET = 1.0
_MAX_RUN_FACTORS = 6      # models of at most this many factors give their runs of logs too
_MAX_PAIRS = 12           # KLs between written densities of one variable set, at most
_PER_FAMILY = 2           # suggestions at most that add one kind of written term (spellings)
_MAX_FLIP_GROUP = 8       # sums of at most this many terms get two of their signs flipped at once
_MAX_PLACES = 6           # an edit made at one place only: at most this many places of a node

# The costs of adding a term as written (``written_additions``), beyond the edits' own
# (``elbo_sym.slips``): the least, then what makes one spelling or place read worse.
_WRITTEN_COST = 1.5       # the least cost of adding a term as written
_DETOUR = 0.3             # per tier: folded into a KL (1), wrapped in an expectation (2)
_PER_NODE = 0.01          # per node of the term added
_UNCITED = 0.1            # named by a rule the step does not cite
_LOG_OF_PRODUCT = 0.02    # log(a b), after log a + log b which read the same
_IDLE = 0.15              # a term free of the binders' variables put inside them
_MISPLACED = 0.1          # a bare term beside no bare term, or one among bare terms (each)
_SCALED = 1.0             # the term times a number: a sign's slip says it better

# Tiers of a spelling (``_spellings``): as written or named, folded into KLs, wrapped in an
# expectation, and the residual's own terms in normal form.
WRITTEN, FOLDED, WRAPPED, RESIDUAL = 0, 1, 2, 3

# What a candidate edit may raise when it does not apply: the algebra's DomainError (x on both
# sides of a bar), the normal form's TooComplex, a check's StepTimeout. Anything else is a bug.
_INAPPLICABLE = (DomainError, TooComplex)
# What the printers raise for an expression no file (or LaTeX) can write.
_UNPRINTABLE = (ValueError,)


@dataclass(frozen=True)
class Suggestion:
    """A step that holds, near the one written: ``relation expression``, what was changed
    (``edit``, in words), the rules ``check_step`` verified it by, and the kind of edit.
    ``source``: the expression as a ``.deriv`` file writes it, which the parser reads back
    (its bound variables given clean names; None when no file can write it); ``latex``: the
    same as LaTeX, for a Markdown or LaTeX source. ``last_resort``: the step's residual added
    back as the checker writes it, shown only when no nearer step was found."""

    expression: Expr
    relation: str
    edit: str
    rules: Tuple[str, ...]
    kind: str = ""
    source: Optional[str] = None
    latex: str = ""
    last_resort: bool = False


class _Change(NamedTuple):
    """The one place a candidate changed the right side: its path and the new node there."""

    path: Tuple[int, ...]
    new: Expr


class _Family(NamedTuple):
    """Candidates that add one kind of written term: _PER_FAMILY suggestions at most each."""

    name: str
    tier: int


@dataclass(frozen=True)
class _Candidate:
    cost: float
    kind: str
    edit: "_W"
    relation: str
    expression: Expr
    local: Optional[_Change] = None   # the one place the right side changed
    probed: bool = False              # already shown to close the residual (written additions)
    family: Optional[_Family] = None  # spellings of a term added
    last_resort: bool = False         # the residual as the checker writes it: only if nothing else


class _Edit(NamedTuple):
    """An edit of one node: its kind, its words, how to build the new node, its cost."""

    kind: str
    words: "_W"
    build: Callable[[], Expr]
    cost: float


class _Found(NamedTuple):
    """A verified candidate: its cost and family (to rank and to limit), the suggestion, and
    its key (relation, evaluated expression) to recognise it when a cheaper edit finds it."""

    cost: float
    family: Optional[_Family]
    suggestion: "Suggestion"
    key: tuple


class _W:
    """What an edit did, in words, printed only for the candidates that become suggestions
    (the text printer is imported then, as the algebra's own ``printable`` does: the
    dependencies run one way at import time)."""

    __slots__ = ("template", "parts")

    def __init__(self, template, *parts):
        self.template, self.parts = template, parts

    def __add__(self, more):
        return _W(self.template + more.replace("{", "{{").replace("}", "}}"), *self.parts)

    def __str__(self):
        return self.template.format(*[p if isinstance(p, str) else _named(p) for p in self.parts])


def _named(e) -> str:
    """The text of ``e`` with the variables the checker bound (``_j0``) given clean names."""
    from ..printing.source import writable
    from ..printing.text import text

    try:
        return text(writable(e))
    except _UNPRINTABLE:
        return text(e)


# Trees, edited where written.



def _replace_at(expr, path, new):
    if not path:
        return new
    args = list(expr.args)
    args[path[0]] = _replace_at(args[path[0]], path[1:], new)
    return rebuild(expr, args)


def _substitute(expr, old, new):
    """Every occurrence of ``old`` replaced by ``new``, evaluating nothing else; a let's use
    is left whole (its body belongs to the let)."""
    if expr == old:
        return new
    if not expr.args or isinstance(expr, Defined):
        return expr
    args = [_substitute(a, old, new) for a in expr.args]
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    return rebuild(expr, args)


def _evaluated(e, memo=None):
    """``e`` rebuilt with sympy's evaluation: one key for the spellings of one tree (the
    author's order, nested sums), to compare candidates."""
    memo = {} if memo is None else memo
    if e in memo:
        return memo[e]
    out = e if not e.args else e.func(*[_evaluated(a, memo) for a in e.args])
    memo[e] = out
    return out


def same_expression(a: Expr, b: Expr) -> bool:
    """Whether ``a`` and ``b`` are one tree up to sympy's ordering and flattening of sums and
    products (what the mutation suite asks of a suggestion and the original step)."""
    try:
        return a == b or _evaluated(a) == _evaluated(b)
    except _INAPPLICABLE:
        return False


def _negate(t):
    if t.is_Number:
        return -t
    if isinstance(t, Mul) and t.args and t.args[0].is_Number and t.args[0].is_negative:
        head = -t.args[0]
        rest = list(t.args[1:])
        if head == 1:
            return rest[0] if len(rest) == 1 else Mul(*rest, evaluate=False)
        return Mul(head, *rest, evaluate=False)
    return Mul(S.NegativeOne, t, evaluate=False)


def _plus(a, b):
    return Add(*Add.make_args(a), b, evaluate=False)


def _size(e) -> int:
    """The nodes of ``e``; a let's use counts as its name and arguments (its body is not
    written where it is used)."""
    if isinstance(e, Defined):
        return 1 + sum(_size(a) for a in e.arguments)
    return 1 + sum(_size(a) for a in e.args) if e.args else 1


# Where edits apply.

EXPR, INDEX = "expr", "index"


def _nodes(expr, path=(), area=EXPR):
    """(path, node, area) preorder. A let's use is a leaf (its body is the let's); inside
    indices, ranges, densities' variable lists and sum bounds the area is INDEX (only sums
    are edited there: a sign or a term of t - 1)."""
    yield path, expr, area
    if isinstance(expr, Defined) or not expr.args:
        return
    for i, a in enumerate(expr.args):
        inner = area
        if isinstance(expr, (Indexed, VariableRange, Density)) or \
                (isinstance(expr, (Sum, Product)) and i > 0):
            inner = INDEX
        yield from _nodes(a, path + (i,), inner)


class _Position(NamedTuple):
    """A node reached linearly from the top (``_linear_positions``)."""

    path: Tuple[int, ...]
    node: Expr
    coefficient: Expr
    binders: tuple
    wrap: Callable[[Expr], Expr]


def _linear_positions(expr) -> List[_Position]:
    """(path, node, coefficient, binders, wrap) for every node reached from the top through
    sums, products, the integrands of expectations and the bodies of sums only: changing the
    node by t changes ``expr`` by ``wrap(t)`` (t times the factors around it, inside the
    binders around it), and by about coefficient * binders[t]."""
    out = []

    def walk(e, path, coefficient, binders, wrap):
        out.append(_Position(path, e, coefficient, binders, wrap))
        if isinstance(e, Add):
            for i, a in enumerate(e.args):
                walk(a, path + (i,), coefficient, binders, wrap)
        elif isinstance(e, Mul):
            for i, a in enumerate(e.args):
                if not a.is_Number:
                    others = Mul(*[b for j, b in enumerate(e.args) if j != i])
                    walk(a, path + (i,), coefficient * others, binders,
                         lambda x, wrap=wrap, others=others: wrap(others * x))
        elif isinstance(e, Expectation):
            walk(e.integrand, path + (0,), coefficient, binders + (e,),
                 lambda x, wrap=wrap, d=e.density: wrap(Expectation(x, d)))
        elif isinstance(e, Sum):
            walk(e.function, path + (0,), coefficient, binders + (e,),
                 lambda x, wrap=wrap, limits=e.limits: wrap(Sum(x, *limits)))

    walk(expr, (), S.One, (), lambda x: x)
    return out


# The edits: (kind, words, path, old node, build the new node, cost).

def _constants(e, found=None):
    """The numbers of ``e`` outside indices, sum bounds and densities (the 1 of z_1 names a
    variable; an index has its own edits)."""
    found = [] if found is None else found
    if isinstance(e, (Integer, Rational)):
        if e != 0 and e not in found:
            found.append(e)
    elif isinstance(e, (Sum, Product)):
        _constants(e.function, found)
    elif e.args and not isinstance(e, (Indexed, VariableRange, DensityBase, Defined)) or \
            isinstance(e, Gaussian):
        for a in e.args:
            _constants(a, found)
    return found


def _replace_constants(e, mapping):
    """``e`` with each number that is a key of ``mapping`` replaced by its value (outside
    indices, sum bounds and densities other than Gaussians, as ``_constants`` finds them)."""
    if e in mapping:
        return mapping[e]
    if not e.args or (isinstance(e, (Indexed, VariableRange, DensityBase, Defined))
                      and not isinstance(e, Gaussian)):
        return e
    if isinstance(e, (Sum, Product)):
        return rebuild(e, [_replace_constants(e.function, mapping)] + list(e.args[1:]))
    args = [_replace_constants(a, mapping) for a in e.args]
    return e if all(a is b for a, b in zip(args, e.args)) else rebuild(e, args)


def _constant_mapping(c, new):
    """c changed to ``new`` as a slip changes it everywhere it stands: -c to -new, 1/c to
    1/new (a 2 in z^2/2 is also the 1/2 that evaluation made of it)."""
    mapping = {c: new, -c: -new}
    if new != 0:
        mapping.update({1 / c: 1 / new, -1 / c: -1 / new})
    return {a: b for a, b in mapping.items() if a != b}


def _as_defined(node, definitions):
    """``node`` (a let's use) with the body its definition gives at its arguments, when the
    body it carries differs (an edit made inside it); None otherwise."""
    for d in definitions:
        if d.name == node.name and len(d.params) == len(node.arguments):
            body = d.body.xreplace(dict(zip(d.params, node.arguments)))
            if body != node.body:
                return Defined(node.name, node.arguments, body)
    return None


def _scaled_expectation(term):
    """(c, E) for a term that is E or c E with c a number; (1, None) otherwise."""
    c, rest = term.as_coeff_Mul()
    return (c, rest) if isinstance(rest, Expectation) else (1, None)


def _sum_of(terms):
    """``terms`` as written: one term alone, several as an unevaluated sum."""
    return terms[0] if len(terms) == 1 else Add(*terms, evaluate=False)


def _product_of(factors):
    return factors[0] if len(factors) == 1 else Mul(*factors, evaluate=False)


def _sign_edits(node: Add, area: str) -> Iterator[_Edit]:
    """Each term's sign flipped, each term dropped (in a sum of several); in an expression,
    the signs of a bracket flipped as one: two terms, all but one, a run at either end."""
    args = node.args
    for i, t in enumerate(args):
        flipped = list(args)
        flipped[i] = _negate(t)
        yield _Edit(SIGN, _W("the sign of {} flipped", t),
                    partial(Add, *flipped, evaluate=False), COST_ONE_CHANGE)
        if len(args) > 1:
            rest = [a for j, a in enumerate(args) if j != i]
            yield _Edit(DROP, _W("{} dropped", t), partial(_sum_of, rest), _size(t))
    if area == EXPR and 2 < len(args) <= _MAX_FLIP_GROUP:
        yield from _bracket_sign_edits(args)


def _bracket_sign_edits(args) -> Iterator[_Edit]:
    """A group written in brackets and flipped as one, -(a + b), flattened by evaluation."""
    def flip(run):
        return lambda: Add(*[_negate(a) if j in run else a for j, a in enumerate(args)],
                           evaluate=False)

    for i, j in combinations(range(len(args)), 2):
        yield _Edit(SIGN, _W("the signs of {} and {} flipped", args[i], args[j]), flip({i, j}),
                    COST_TWO_SIGNS)
    for i in range(len(args)):
        yield _Edit(SIGN, _W("the signs of all terms but {} flipped", args[i]),
                    flip(set(range(len(args))) - {i}), COST_SIGN_GROUP)
    for k in range(3, len(args) - 1):   # a longer bracket: the first or the last k terms
        for run in (range(k), range(len(args) - k, len(args))):
            yield _Edit(SIGN, _W("the signs of {} flipped",
                                 Add(*[args[j] for j in run], evaluate=False)),
                        flip(set(run)), COST_SIGN_GROUP)


def _swap_edits(node) -> Iterator[_Edit]:
    """A KL's arguments swapped back; a conditional turned around."""
    if isinstance(node, KL):
        yield _Edit(KL_SWAP, _W("the arguments of the KL swapped"), lambda: swapped_kl(node),
                    COST_ONE_CHANGE)
    if isinstance(node, Density) and node.is_conditional:
        yield _Edit(CONDITIONAL_SWAP, _W("{} turned around", node), lambda: turned_around(node),
                    COST_ONE_CHANGE)


def _moved_out(term: Expr, inner: Expr, density: Expr) -> Expr:
    return Add(Expectation(inner, density), term, evaluate=False)


def _factored_out(factor: Expr, inner: Expr, density: Expr) -> Expr:
    return Mul(factor, Expectation(inner, density), evaluate=False)


def _factored_in(factor: Expr, e: Expectation) -> Expr:
    return Expectation(Mul(factor, e.integrand, evaluate=False), e.density)


def _renamed(node: Expectation, v: Expr, b: Expr) -> Expr:
    return Expectation(_substitute(node.integrand, v, b), node.density)


def _renamed_at(node: Expectation, place: Tuple[int, ...], b: Expr) -> Expr:
    return Expectation(_replace_at(node.integrand, place, b), node.density)


def _as_is(e: Expr) -> Expr:
    return e


def _pull_out_edits(node: Expectation) -> Iterator[_Edit]:
    """A term of the integrand that depends on the measure's variables, or a factor of it,
    moved out of the expectation."""
    bound = node.bound_variables
    terms = Add.make_args(node.integrand)
    if len(terms) > 1:
        for i, t in enumerate(terms):
            if t.has(*bound):
                inner = _sum_of([a for j, a in enumerate(terms) if j != i])
                yield _Edit(PULL_OUT, _W("{} moved out of the expectation", t),
                            partial(_moved_out, t, inner, node.density), COST_MOVE)
    factors = Mul.make_args(node.integrand)
    if len(factors) > 1:
        for i, f in enumerate(factors):
            if f.is_number:
                continue
            inner = _product_of([a for j, a in enumerate(factors) if j != i])
            yield _Edit(PULL_OUT, _W("the factor {} moved out of the expectation", f),
                        partial(_factored_out, f, inner, node.density), COST_MOVE)


def _bound_rename_edits(node: Expectation) -> Iterator[_Edit]:
    """A free variable of the integrand read as the measure's variable: everywhere, or at one
    of its places (the first _MAX_PLACES)."""
    bound = node.bound_variables
    counts = {x for _, n, _ in _nodes(node.integrand) if isinstance(n, (Sum, Product))
              for limit in n.limits for x in SympyTuple(*limit).free_symbols}
    free = sorted((v for v in node.integrand.free_symbols
                   if not v.is_number and v not in bound and v not in counts), key=str)
    for b in bound:
        for v in free:
            places = [p for p, n, _ in _nodes(node.integrand) if n == v]
            if len(places) > 1:
                yield _Edit(BOUND_RENAME, _W("{} in the expectation read as its variable {}", v, b),
                            partial(_renamed, node, v, b), COST_RENAME_ALL)
            for place in places[:_MAX_PLACES]:
                yield _Edit(BOUND_RENAME, _W("{} in the expectation read as its variable {}"
                                             + (" (once)" if len(places) > 1 else ""), v, b),
                            partial(_renamed_at, node, place, b), COST_ONE_CHANGE)


def _push_in_edits(node: Add) -> Iterator[_Edit]:
    """A term beside an expectation (times a number) that depends on its variables moved
    inside it; or every term beside it that is no expectation, at once."""
    for i, a in enumerate(node.args):
        c, e = _scaled_expectation(a)
        if e is None:
            continue
        movable = [j for j, t in enumerate(node.args)
                   if j != i and _scaled_expectation(t)[1] is None]
        groups = [[j] for j in movable if node.args[j].has(*e.bound_variables)]
        if len(movable) > 1:
            groups.append(movable)
        for group in groups:
            inner = e.integrand
            for j in group:
                t = node.args[j]
                inner = _plus(inner, t if c == 1 else _negate(t) if c == -1 else t / c)
            moved = Expectation(inner, e.density)
            moved = moved if c == 1 else Mul(c, moved, evaluate=False)
            args = [moved if k == i else t for k, t in enumerate(node.args) if k not in group]
            what = _sum_of([node.args[j] for j in group])
            yield _Edit(PUSH_IN, _W("{} moved into the expectation", what),
                        partial(_sum_of, args), COST_MOVE)


def _push_in_factor_edits(node: Mul) -> Iterator[_Edit]:
    """The factors beside an expectation moved into it."""
    for i, e in enumerate(node.args):
        if not isinstance(e, Expectation):
            continue
        k = _product_of([a for j, a in enumerate(node.args) if j != i])
        yield _Edit(PUSH_IN, _W("the factor {} moved into the expectation", k),
                    partial(_factored_in, k, e), COST_MOVE)


def _index_edits(node: Sum) -> Iterator[_Edit]:
    """An element indexed by the sum's index shifted back by one either way; an element with
    one index free of the sum's indexed by it too (z_1 for z_{1 + j})."""
    indices = {j for j, _, _ in node.limits}
    seen = set()

    def with_element(element, new):
        return lambda: rebuild(node, [_substitute(node.function, element, new)]
                               + list(node.args[1:]))

    for _, element, _ in _nodes(node.function):
        if not isinstance(element, Indexed) or element in seen:
            continue
        seen.add(element)
        for j in indices:
            if any(i.has(j) for i in element.indices):
                for by in INDEX_UNDO:
                    moved = shifted(element, j, by)
                    yield _Edit(INDEX_SHIFT, _W("{} shifted to {}", element, moved),
                                with_element(element, moved), COST_ONE_CHANGE)
    for element in seen:
        for j in indices:
            if len(element.indices) == 1 and not element.indices[0].has(j):
                indexed = type(element)(element.base, element.indices[0] + j)
                yield _Edit(INDEX_SHIFT, _W("{} indexed by {}: {}", element, j, indexed),
                            with_element(element, indexed), COST_ONE_CHANGE)


def _sum_bound_edits(node: Sum) -> Iterator[_Edit]:
    """Each bound of the sum moved back by one, either way."""
    for which, j, was, now, build in moved_bounds(node, SUM_BOUND_UNDO):
        yield _Edit(SUM_BOUND, _W(f"the {which} bound {{}} of the sum over {{}} changed to {{}}",
                                  was, j, now), build, COST_ONE_CHANGE)


def _let_edits(node: Defined, definitions) -> Iterator[_Edit]:
    """A let's arguments exchanged back; its use read with its definition's body."""
    if len(node.arguments) >= 2:
        for a, b, swapped in let_swaps(node, definitions):
            yield _Edit(LET_SWAP, _W("the arguments {} and {} of {} exchanged", a, b, node.name),
                        partial(_as_is, swapped), COST_ONE_CHANGE)
    restored = _as_defined(node, definitions)
    if restored is not None:
        yield _Edit(LET_BODY, _W("{} read with the body of its definition", node.name),
                    lambda: restored, COST_ONE_CHANGE)


def _node_edits(node, area, definitions) -> Iterator[_Edit]:
    """The edits of ``node`` itself, one family after another (inside indices only a sum's
    signs and terms)."""
    if isinstance(node, Add):
        yield from _sign_edits(node, area)
    if area != EXPR:
        return
    yield from _swap_edits(node)
    if isinstance(node, Expectation):
        yield from _pull_out_edits(node)
        yield from _bound_rename_edits(node)
    if isinstance(node, Add):
        yield from _push_in_edits(node)
    if isinstance(node, Mul):
        yield from _push_in_factor_edits(node)
    if isinstance(node, Sum):
        yield from _index_edits(node)
        yield from _sum_bound_edits(node)
    if isinstance(node, Defined):
        yield from _let_edits(node, definitions)


# Terms to add back: pieces of the residual, fitted to where they go.

def _peel(piece, binder):
    """The body that, put inside ``binder`` (an expectation or a sum of the right side), makes
    ``piece`` (c E_d[f] or c sum_i f); None when the piece is not of that binder."""
    coeff, rest = piece.as_coeff_Mul()
    if isinstance(binder, Expectation) and isinstance(rest, Expectation):
        d, ours = rest.density, binder.density
        if d == ours:
            return coeff * rest.integrand
        if isinstance(d, Gaussian) and isinstance(ours, Gaussian) and \
                (d.mean, d.variance) == (ours.mean, ours.variance):
            return coeff * rest.integrand.xreplace({d.variable: ours.variable})
        if isinstance(d, Density) and isinstance(ours, Density) and d.family == ours.family \
                and d.given == ours.given:
            # a marginal of our measure (the normal form integrates out what f does not use)
            return coeff * rest.integrand
        return None
    if isinstance(binder, Sum) and len(binder.limits) == 1 and not isinstance(rest, Sum):
        # a term the sum's index does not enter: spread over the sum's terms (J/2 is the sum
        # of 1/2 over j = 1..J), when the count divides it
        j, lo, hi = binder.limits[0]
        if piece.has(j) or not (hi - lo).free_symbols:
            return None
        from sympy import cancel

        body = cancel(piece / (hi - lo + 1))
        return None if body.free_symbols & (hi - lo).free_symbols else body
    if isinstance(binder, Sum) and isinstance(rest, Sum) and len(rest.limits) == len(binder.limits) == 1:
        (i, lo, hi), (j, lo2, hi2) = rest.limits[0], binder.limits[0]
        if (hi - lo) != (hi2 - lo2):
            return None
        return coeff * rest.function.xreplace({i: j + (lo - lo2)})
    return None


def _inside(piece, binders):
    """``piece`` (a sum of terms) moved inside ``binders``, outermost first: each term peeled
    off its own binder, or taken inside an expectation it does not depend on; then written in
    conditionals (log p(x, z) − log p(x) is log p(z | x)). None when some term does not fit."""
    body = piece
    for b in binders:
        inner = []
        for t in Add.make_args(body):
            peeled = _peel(t, b)
            if peeled is None and isinstance(b, Expectation) and not t.has(*b.bound_symbols):
                peeled = t
            if peeled is None:
                return None
            inner.append(peeled)
        body = Add(*inner)
    return as_conditionals(body) if binders else body


def _folded(piece):
    """``piece`` with its expectations under one density gathered into one, the terms that do
    not depend on their variables taken inside when there is a single density, each integrand
    written in conditionals: E_q[log q(x, z)] − log q(x) is E_q[log q(z | x)]. None when there
    is nothing to gather."""
    groups: Dict[Expr, List[Expr]] = {}
    others = []
    for t in Add.make_args(piece):
        c, rest = t.as_coeff_Mul()
        if isinstance(rest, Expectation):
            groups.setdefault(rest.density, []).append(c * rest.integrand)
        else:
            others.append(t)
    if not groups:
        return None
    if len(groups) == 1:
        (density, integrands), = groups.items()
        if not any(t.has(*density.variables) for t in others):
            return _divergence(as_conditionals(Add(*integrands, *others)), density)
    return Add(*[_divergence(as_conditionals(Add(*fs)), d) for d, fs in groups.items()], *others)


def _divergence(integrand, density):
    """E_d[integrand], as a KL or an entropy where it is one: E_q[a log q − a log p] is
    a KL(q ‖ p), E_q[−a log q] is a H(q)."""
    from sympy import log

    from ..algebra import Entropy

    logs: Dict[Expr, Expr] = {}
    for t in Add.make_args(integrand):
        c, rest = t.as_coeff_Mul()
        if not (isinstance(rest, log) and isinstance(rest.args[0], Density)):
            return Expectation(integrand, density)
        logs[rest.args[0]] = logs.get(rest.args[0], 0) + c
    a = logs.pop(density, 0)
    if a != 0 and not logs:
        return -a * Entropy(density)
    if a != 0 and len(logs) == 1:
        (other, b), = logs.items()
        if b == -a and set(other.variables) == set(density.variables):
            return a * KL(density, other)
    return Expectation(integrand, density)


def _pieces(lhs, residual, relation):
    """(piece, whole, of the residual) triples: what may have been dropped from the right
    side. The residual is left − right (an equality; larger − smaller for a bound, signed here
    to be added to the right side): its terms, its terms grouped by a common coefficient, the
    whole of it (``whole``: also fitted inside binders), it folded into KLs and entropies, all
    spelled as the checker writes the residual (``of the residual``); and the left side's
    terms, either sign."""
    out = []
    if residual is not None and not residual.is_zero:
        towards = -1 if relation in UPPER else 1
        terms = list(Add.make_args(residual))
        groups: Dict[Expr, List[Expr]] = {}
        for t in terms:
            c, _ = t.as_coeff_Mul()
            groups.setdefault(abs(c), []).append(t)
        grouped = [Mul(c, Add(*[t / c for t in ts])) for c, ts in groups.items() if len(ts) > 1]
        for piece in terms + grouped:
            out.append((towards * piece, False, True))
        out.append((towards * residual, True, True))
        folded = _folded(towards * residual)
        if folded is not None:
            out.append((folded, False, True))
        if relation != EQ:
            out += [(-p, w, r) for p, w, r in out]
    for t in Add.make_args(lhs):
        out += [(t, False, False), (-t, False, False)]
    unique: Dict[Expr, Tuple[bool, bool]] = {}
    for p, w, r in out:   # a piece also written on the left is as written
        if p in unique:
            unique[p] = (unique[p][0] or w, unique[p][1] and r)
        else:
            unique[p] = (w, r)
    return [(p, w, r) for p, (w, r) in unique.items()]


def _reads_as_a_slip(term) -> bool:
    """Whether ``term``, fitted from the residual, reads as a dropped term put back: one term
    with its brackets opened, a number or a term of coefficient ±1 (σ_j^2 inside the sum it
    left, a KL folded, an expectation). Anything else (several terms, twice a term) is the
    residual added back as the checker writes it, which says nothing the residual does not:
    a last resort."""
    from sympy import expand_mul

    if len(Add.make_args(expand_mul(term, deep=False))) != 1:
        return False
    c, _ = term.as_coeff_Mul()
    return bool(term.is_number) or c in (1, -1)


def _signed_terms(e):
    """The terms of ``e`` with brackets and minus signs of sums opened: -(a - b) is -a, b."""
    c, rest = e.as_coeff_Mul()
    if isinstance(rest, Add):
        return [u for t in rest.args for u in _signed_terms(c * t if c != 1 else t)]
    return [e]


def _cancels(added, node) -> bool:
    """Whether adding ``added`` to ``node`` would cancel a term written there (a roundabout
    way of dropping it, which the drop edit says)."""
    written = set(_signed_terms(node))
    return any(_negate(u) in written for u in _signed_terms(added))


def _sum_around(expr, path):
    """The whole sum the node at ``path`` is written in (through brackets, (a + b) + c)."""
    while path and isinstance(_at(expr, path[:-1]), Add):
        path = path[:-1]
    return _at(expr, path)


def _added(term, inside, last_resort):
    """The words of an addition: ``t added inside the expectation``; the residual added back
    as the checker writes it (``_reads_as_a_slip``) says so."""
    if last_resort:
        return _W("the residual added back" + inside + "; no nearer step found")
    return _W("{} added{}", term, inside)


class _Addition(NamedTuple):
    """A piece of the residual added back at the node at ``path`` (``build``: the new node)."""

    words: _W
    path: Tuple[int, ...]
    build: Callable[[], Expr]
    cost: float
    last_resort: bool


def _inside_words(binders) -> str:
    """Where a term added inside ``binders`` goes, in words."""
    if any(isinstance(b, Expectation) for b in binders):
        return " inside the expectation"
    return " inside the sum" if binders else ""


def _additions(lhs, rhs, residual, relation) -> Iterator[_Addition]:
    """A piece added where it may have been dropped, at a node reached linearly (its binders
    peeled off, its coefficient divided out)."""
    positions = _linear_positions(rhs)
    for piece, whole, of_residual in _pieces(lhs, residual, relation):
        for path, node, coefficient, binders, _ in positions:
            body = piece
            for b in binders:
                body = _peel(body, b) if body is not None else None
            if body is None and whole and binders:
                body = _inside(piece, binders)
            if body is None or body.is_zero:
                continue
            term = body / coefficient if coefficient != 1 else body
            if _cancels(term, _sum_around(rhs, path)):
                continue
            last_resort = of_residual and not _reads_as_a_slip(term)
            # the residual reads best added to the whole line, deeper places after
            cost = _size(term) + (len(path) if last_resort else 0)
            yield _Addition(_added(term, _inside_words(binders), last_resort), path,
                            partial(_plus, node, term), cost, last_resort)


# Terms to add back as written: the pieces of the line before and of the right side itself.

def _unfolded(e):
    """The terms a KL stands for, as written: KL(q ‖ p) is E_q[log q − log p]."""
    from sympy import log

    return [log(e.first), _negate(log(e.second))]


def _log_parts(e):
    """log(a b / c) as log a + log b − log c, term by term (the spellings of a log of a
    product that a term dropped from its expansion may have had)."""
    from sympy import log

    arg = e.args[0]
    if not isinstance(arg, Mul):
        return []
    out = []
    for f in arg.args:
        base, power = f.as_base_exp()
        if base.is_number:
            continue
        out.append(log(base) if power == 1 else _negate(log(base)) if power == -1
                   else Mul(power, log(base), evaluate=False))
        if power not in (1, -1):
            out.append(log(f))   # log(σ^2) as written beside 2 log σ
    return out


def _written_terms(exprs):
    """(term, densities) for every additive term written in ``exprs`` at every level: the
    terms of sums, inside integrands, bodies of sums and lets, a KL's two logs, a log's
    factors; sub-sums as grouped; a term without its numeric coefficient. ``densities``: the
    expectations it was found inside, outermost first."""
    from sympy import log

    out, seen = [], set()

    def record(t, within):
        if t.is_number or (t, within) in seen:
            return
        seen.add((t, within))
        out.append((t, within))

    def walk(e, within):
        if isinstance(e, Add):
            for a in e.args:
                record(a, within)
                walk(a, within)
        elif isinstance(e, Mul):
            c, rest = e.as_coeff_Mul()
            if c != 1:
                record(rest, within)
            for f in Mul.make_args(rest):
                if not f.is_number:
                    walk(f, within)
        elif isinstance(e, Expectation):
            record(e.integrand, within + (e.density,))
            walk(e.integrand, within + (e.density,))
        elif isinstance(e, (Sum, Defined)):
            walk(e.function if isinstance(e, Sum) else e.body, within)
        elif isinstance(e, KL):
            unfolded = _unfolded(e)
            for t in unfolded + [Add(*unfolded, evaluate=False)]:
                record(t, within + (e.first,))
        elif isinstance(e, log):
            for t in _log_parts(e):
                record(t, within)

    for e in exprs:
        record(e, ())
        walk(e, ())
    return out


def _folded_divergences(e):
    """``e`` with each expectation of log-densities written as the KL or entropy it is."""
    if not e.args or isinstance(e, (Defined, DensityBase)):
        return e
    args = [_folded_divergences(a) for a in e.args]
    out = e if all(a is b for a, b in zip(args, e.args)) else rebuild(e, args)
    if isinstance(out, Expectation):
        return _divergence(out.integrand, out.density)
    return out


def _log_factor(f):
    """The log of a model's factor as written: a product over an index range is the sum of
    the logs."""
    from sympy import log

    if isinstance(f, Product):
        return Sum(log(f.function), *f.limits)
    return log(f)


def _chain_rule(joint):
    """The ways the log of a joint density of two or three variables is split by the product
    rule, one variable off: log p(a, b | c) as log p(a | b, c) + log p(b | c) (either order),
    its two terms, and after them the log of the product, log(p(a | b, c) p(b | c))."""
    from sympy import log

    variables = joint.variables
    if not 2 <= len(variables) <= 3:
        return []
    splits = []
    for i, v in enumerate(variables):
        rest = variables[:i] + variables[i + 1:]
        splits.append((Density(joint.args[0], (v,), rest + tuple(joint.given)),
                       Density(joint.args[0], rest, joint.given)))
    out = []
    for pair in splits:
        for a, b in (pair, pair[::-1]):
            out += [log(a), log(b), Add(log(a), log(b), evaluate=False)]
    for pair in splits:
        for a, b in (pair, pair[::-1]):
            out.append(log(Mul(a, b, evaluate=False)))
    return out


def _vocabulary(exprs, definitions=(), models=()):
    """(term, rule): terms the derivation names beyond what ``exprs`` write, with the rule
    that names them ("" for a name as good as written): the log of each measure; each let as
    used, L(x) (definition); each model's factors' logs and runs of them (model) and the log
    of its joint; the product-rule splits of the joints whose logs are written, in ``exprs``
    or in a let's body (product-rule); the KLs between two densities of one variable set
    (kl-definition); the terms peeled sums write out (linearity); the terms of each
    Gaussian's log density (gaussian)."""
    from sympy import log

    out = [(Defined(d.name, d.params, d.body), "definition") for d in definitions]
    for e in exprs:   # the log of each measure, as an entropy's integrand has it
        out += [(log(n.density), "") for _, n, _ in _nodes(e)
                if isinstance(n, Expectation) and isinstance(n.density, Density)]
    joints = []
    for m in models:
        logs = [_log_factor(f) for f in m.factors]
        runs = [Add(*logs[i:j], evaluate=False) for i in range(len(logs))
                for j in range(i + 2, len(logs) + 1)] if len(logs) <= _MAX_RUN_FACTORS else []
        out += [(t, "model") for t in logs + runs] + [(log(m.joint), "")]   # the joint: as named
        if isinstance(m.joint, Density):
            joints.append(m.joint)
    for e in tuple(exprs) + tuple(d.body for d in definitions):
        for _, n, _ in _nodes(e):
            if isinstance(n, Defined):
                continue
            if isinstance(n, log) and isinstance(n.args[0], Density) and n.args[0] not in joints:
                joints.append(n.args[0])
    for j in joints:
        out += [(t, "product-rule") for t in _chain_rule(j)]
    densities = list(joints)
    for m in models:
        densities += [f.function if isinstance(f, Product) else f for f in m.factors]
    densities = [d for d in densities if isinstance(d, Density)]
    pairs = [(a, b) for a in densities for b in densities
             if a.family != b.family and set(a.variables) == set(b.variables)]
    out += [(KL(a, b), "kl-definition") for a, b in dict.fromkeys(pairs)][:_MAX_PAIRS]
    out += [(t, "linearity") for t in _boundaries(exprs)]
    gaussians = {n for e in exprs for _, n, _ in _nodes(e) if isinstance(n, Gaussian)}
    for g in sorted(gaussians, key=str):
        out += [(t, "gaussian") for t in _gaussian_logs(g)]
    return out


def _boundaries(exprs):
    """The terms a sum over one index has at its bounds (what peeling a sum writes out), and
    those of the sums beside it over the same bound together, also as one log (the t = 1
    terms of sum log p(x_{t-1} | x_t) - sum log q(x_t | x_{t-1}) as log(p(x_0 | x_1) /
    q(x_1 | x_0)))."""
    out = []
    for e in exprs:
        for _, n, area in _nodes(e):
            if area != EXPR or not isinstance(n, Add):
                continue
            ends: Dict[Any, Any] = {}
            for t in _signed_terms(n):
                c, s = t.as_coeff_Mul()
                if isinstance(s, Sum) and len(s.limits) == 1:
                    j, lo, hi = s.limits[0]
                    for bound in (lo, hi):
                        ends.setdefault(bound, []).append(c * substitute(s.function, {j: bound}))
            for terms in ends.values():
                out += terms
                if len(terms) > 1:
                    out.append(Add(*terms, evaluate=False))
                    one = _one_log(terms)
                    if one is not None:
                        out.append(one)
    return list(dict.fromkeys(out))


def _one_log(terms):
    """log a − log b + ... as log(a ... / (b ...)) when each term is ±log of a density."""
    from sympy import Pow, log

    factors = []
    for t in terms:
        c, rest = t.as_coeff_Mul()
        if c not in (1, -1) or not (isinstance(rest, log) and isinstance(rest.args[0], DensityBase)):
            return None
        factors.append(rest.args[0] if c == 1 else Pow(rest.args[0], -1))
    return log(Mul(*factors, evaluate=False))


def _gaussian_logs(g):
    """The terms of log N(z; m, v) as written: -1/2 log(2 pi) - 1/2 log v - (z - m)^2/(2 v)
    (the rule's own expansion), or with the logs joined, -1/2 log(2 pi v) - ...; each term
    and each whole."""
    from sympy import log, pi

    split = list(Add.make_args(g.log_density()))
    joined = [-S.Half * log(2 * pi * g.variance)] + [t for t in split if t.has(g.variable)]
    return list(dict.fromkeys(joined + split + [Add(*joined), Add(*split)]))


class _Spelling(NamedTuple):
    """A term that may have been dropped, as written: its tier (WRITTEN ... RESIDUAL) and the
    rule that names it ("" for none)."""

    term: Expr
    tier: int
    rule: str


def _spellings(lhs, rhs, residual=None, definitions=(), models=()) -> List[_Spelling]:
    """(term, tier, rule): terms that may have been dropped from the right side, as the author wrote
    them: every written term of the left side and of the right side and every term the
    derivation names (``_vocabulary``) (tier 0; and of the residual as the checker reports it,
    in normal form: tier 3, ranked by size), with its expectations of log-densities folded
    into KLs and entropies (tier 1), and as an expectation under each measure it was found
    inside or that either side uses (tier 2; also folded, tier 1). ``rule``: the rule that
    names a term of the vocabulary ("" for the others)."""
    terms = _written_terms((lhs, rhs))
    extra = [] if residual is None or residual.is_zero else _written_terms((residual,))
    measures = []
    for e in (lhs, rhs):
        for _, n, _ in _nodes(e):
            if isinstance(n, Expectation) and n.density not in measures:
                measures.append(n.density)
    named: Dict[Expr, str] = {}
    for t, rule in _vocabulary((lhs, rhs) + (() if residual is None else (residual,)),
                               definitions, models):
        # a model's or the product rule's log goes inside a measure; a let stands as named
        terms.append((t, tuple(measures[:1]) if not isinstance(t, Defined) else ()))
        named.setdefault(t, rule)
        if isinstance(t, KL):   # and as written unfolded, under its measure or another
            unfolded = Add(*_unfolded(t), evaluate=False)
            terms.append((unfolded, (t.first,)))
            named.setdefault(unfolded, rule)
    out, seen = [], set()

    def keep(t, tier, rule=""):
        if t not in seen:
            seen.add(t)
            out.append(_Spelling(t, tier, rule))

    for t, within in terms:
        keep(t, WRITTEN, named.get(t, ""))
    wrapped = []
    for t, within in terms:
        if within:
            wrapped += [(Expectation(t, d), named.get(t, ""))
                        for d in (within[-1],) + tuple(measures)
                        if depends_on(t, d.variables)]   # E_q[c] is c, written without
    for t, _, rule in list(out) + [(t, WRAPPED, rule) for t, rule in wrapped]:
        folded = _folded_divergences(t)
        if folded != t:
            keep(folded, FOLDED, rule)
    for t, rule in wrapped:
        keep(t, WRAPPED, rule)
    for t, _ in extra:
        keep(t, RESIDUAL)
    return out


def _log_of_product(term) -> bool:
    """Whether ``term`` is written as log(a b): after log a + log b, which read the same."""
    from sympy import log

    return any(isinstance(t, log) and isinstance(t.args[0], Mul) for t in Add.make_args(term))


_NAMED = (Expectation, KL, Entropy, Sum, Defined)   # terms that are no bare integrand


def _every_term_has(term, kinds) -> bool:
    """Whether ``term`` (a sum of products) has a factor of one of ``kinds`` in each term."""
    return all(any(isinstance(f, kinds) for f in Mul.make_args(t)) for t in Add.make_args(term))


def _common(paths):
    """The longest path every one of ``paths`` starts with."""
    first = paths[0]
    k = 0
    while k < len(first) and all(len(p) > k and p[k] == first[k] for p in paths):
        k += 1
    return first[:k]


def _at(expr, path):
    for i in path:
        expr = expr.args[i]
    return expr


def _candidates(lhs, relation, rhs, residual, definitions) -> List[_Candidate]:
    """Every candidate, the smallest edit first (by cost; then in the order made). A change
    made at several places is recorded at the deepest node above all of them, so that the
    probe can test it by its change alone."""
    out, seen = [], {(relation, rhs)}

    def keep(cost, kind, edit, rel, build, path=None, last_resort=False):
        try:
            new = build()
            expression = new if path is None else _replace_at(rhs, path, new)
        except _INAPPLICABLE:   # the edit makes no meaningful object (x on both sides of a bar)
            return
        if (rel, expression) in seen:
            return
        seen.add((rel, expression))
        if expression == lhs:   # the line before again: true, but rarely what was meant
            cost += COST_LINE_BEFORE
        out.append(_Candidate(cost, kind, edit, rel, expression,
                              None if path is None else _Change(path, new),
                              last_resort=last_resort))

    for rel in _other_relations(relation):
        keep(COST_RELATION, RELATION, _W("the step holds with {}; it is written with {}",
                                         unicode_symbol(rel), unicode_symbol(relation)),
             rel, lambda: rhs)
    nodes = list(_nodes(rhs))
    _node_candidates(rhs, nodes, definitions, relation, keep)
    _constant_candidates(rhs, nodes, relation, keep)
    for a in _additions(lhs, rhs, residual, relation):
        keep(a.cost, ADD, a.words, relation, a.build, a.path, a.last_resort)
    out.sort(key=lambda c: c.cost)
    return out


def _other_relations(relation):
    """The relations a step may have meant: reversed, made non-strict, or an equality weakened
    to a bound."""
    others = [reverse(relation)] if reverse(relation) else [GE, LE]
    return others + {GT: [GE], LT: [LE]}.get(relation, [])


def _node_candidates(rhs, nodes, definitions, relation, keep):
    """Each node's edits, where it stands and (for a node written at several places) at every
    place at once, recorded at the deepest node above them all."""
    places: dict = {}
    for path, node, _ in nodes:
        places.setdefault(node, []).append(path)
    for path, node, area in nodes:
        for e in _node_edits(node, area, definitions):
            keep(e.cost, e.kind, e.words, relation, e.build, path)
            if len(places[node]) > 1 and path == places[node][0]:
                common = _common(places[node])
                keep(e.cost + COST_EVERYWHERE, e.kind, e.words + " (everywhere)", relation,
                     lambda node=node, build=e.build, common=common:
                     _substitute(_at(rhs, common), node, build()), common)


def _constant_candidates(rhs, nodes, relation, keep):
    """Each number changed back by one, everywhere it stands, or (at a few places) at one."""
    for c in dict.fromkeys(abs(c) for c in _constants(rhs)):
        for by in CONSTANT_UNDO:
            new = c + by
            if new == 0:
                continue
            mapping = _constant_mapping(c, new)
            where = [p for p, n, area in nodes if n in mapping and area == EXPR]
            if not where:
                continue
            common = _common(where)
            keep(COST_ONE_CHANGE, CONSTANT, _W("{} changed to {}", c, new), relation,
                 lambda mapping=mapping, common=common:
                 _replace_constants(_at(rhs, common), mapping), common)
            if 1 < len(where) <= _MAX_PLACES:   # or at one place only
                for p in where:
                    keep(COST_ONE_CONSTANT, CONSTANT,
                         _W("{} changed to {} (once)", _at(rhs, p), mapping[_at(rhs, p)]),
                         relation, lambda p=p, mapping=mapping: mapping[_at(rhs, p)], p)


# Where a written term goes (``_Probe.written_additions``).

class _PlaceKind(NamedTuple):
    """A kind of place: the measures and sums' limits around it, and its coefficient (up to
    sign)."""

    binders: tuple
    coefficient: Expr


class _Place(NamedTuple):
    path: Tuple[int, ...]
    node: Expr
    wrap: Callable[[Expr], Expr]
    inside: str   # in words: " inside the expectation", " inside the sum" or ""
    sign: int


def _places(rhs):
    """{kind of place: (the variables its binders bind, its places)} for the sums of the
    right side reached linearly (a term of a sum is no place: the sum around it is)."""
    places: dict = {}
    for path, node, coefficient, binders, wrap in _linear_positions(rhs):
        if path and isinstance(_at(rhs, path[:-1]), (Add, Mul)) and not isinstance(node, Add):
            continue   # the sum around it is the place, or it is a factor
        sign = -1 if coefficient.could_extract_minus_sign() else 1
        kind = _PlaceKind(tuple(b.density if isinstance(b, Expectation) else b.limits
                                for b in binders), sign * coefficient)
        binds = tuple(x for b in binders for x in b.bound_symbols)
        places.setdefault(kind, (binds, []))[1].append(
            _Place(path, node, wrap, _inside_words(binders), sign))
    return places


_ENOUGH_OF_LOWER_TIERS = 2 * MAX_SUGGESTIONS   # written additions of lower tiers: stop there


def _enough_spellings(out, spelling, relation) -> bool:
    """Whether the spellings of lower tiers gave enough candidates (the list runs by tier),
    or ``spelling``'s tier is not tried on a bound."""
    return sum(c.family.tier < spelling.tier for c in out) >= _ENOUGH_OF_LOWER_TIERS or \
        (relation != EQ and spelling.tier > FOLDED)


def _misfit(term, needs, kind, binds) -> bool:
    """Whether ``term`` may not go at a place of ``kind``: a bound variable it ``needs`` would
    stand free, or it is a KL or a let that the binders do not touch (written outside), or an
    expectation under a measure around it."""
    if any(not depends_on(v, binds) for v in needs):
        return True
    idle = binds and not depends_on(term, binds)
    return bool(binds) and bool(idle and _every_term_has(term, _NAMED) or any(
        isinstance(t, Expectation) and t.density in kind.binders for t in Add.make_args(term)))


def _written_cost(spelling, added, cited) -> float:
    """The cost of adding ``added`` (a spelling, signed or scaled) as written."""
    if spelling.tier == RESIDUAL:
        return _size(added)
    # a fold into a KL is no detour where the step cites kl-definition
    detour = 0 if spelling.tier == FOLDED and "kl-definition" in cited else _DETOUR * spelling.tier
    return _WRITTEN_COST + detour + _PER_NODE * _size(added) + \
        _UNCITED * bool(spelling.rule and spelling.rule not in cited) + \
        _LOG_OF_PRODUCT * _log_of_product(spelling.term)


def _placed(spelling, k, kind, binds, where, rhs, relation, cited) -> List[_Candidate]:
    """``spelling`` times ``k`` added at each place of ``where`` (one kind of place), as
    candidates: a bare term goes inside a measure beside bare terms, an expectation or a
    divergence beside others of its kind; a term free of the binders' variables reads as
    well outside them."""
    term = spelling.term
    idle = _IDLE if binds and not depends_on(term, binds) else 0
    bare = not _every_term_has(term, _NAMED)
    out = []
    for place in where:
        misplaced = _MISPLACED * (bare != bool(kind.binders)) + _MISPLACED * (bare not in {
            not _every_term_has(t, _NAMED) for t in Add.make_args(place.node)})
        k_here = k * place.sign * where[0].sign
        added = term if k_here == 1 else _negate(term) if k_here == -1 else \
            Mul(k_here, term, evaluate=False)
        if _cancels(added, _sum_around(rhs, place.path)):
            continue   # it would cancel a term written there
        cost = _written_cost(spelling, added, cited)
        # twice a term is a sign's slip, which its own edit says better
        scaled = _SCALED if k_here not in (1, -1) else 0
        last_resort = spelling.tier == RESIDUAL and not _reads_as_a_slip(added)
        out.append(_Candidate(cost + misplaced + idle + scaled, ADD,
                              _added(added, place.inside, last_resort), relation,
                              _replace_at(rhs, place.path, _plus(place.node, added)),
                              probed=True, family=_Family("written", spelling.tier),
                              last_resort=last_resort))
    return out


class _Probe:
    """Cheap tests of candidates, before ``check_step`` has the last word on the few that pass.

    An equality candidate that changes the right side in one place is tested by its change
    alone: the normal form of the step's residual (left − right) against the normal form of
    the change at the deepest place above it that the right side depends on linearly (sums,
    factors, expectations, sums over an index). Any other candidate: one attempt of the
    normal form with every rule (no counterexample search, no hint)."""

    def __init__(self, lhs, rhs, assumptions, models):
        from .context import _counts, _realify
        from .normal_form import GROWTH, MAX_BITS, NormalForm, largest_bits

        self.lhs, self.rhs, self.assumptions, self.models = lhs, rhs, assumptions, models
        self.incremental = False
        ctx = prepare(lhs, rhs, assumptions, models)
        if any(rel == EQ for _, rel, _ in ctx.facts.facts):
            return   # assumed equations are used by certificate, not by the normal form alone
        raw = [lhs, rhs] + [e for a, _, b in assumptions for e in (a, b)]
        raw += [e for m in models for e in (m.joint,) + tuple(m.factors)]
        self.forward, _ = _realify(raw, _counts(raw))
        self.ctx = ctx
        self.nf = NormalForm(frozenset(RULE_NAMES), ctx.model_map, ctx.facts.facts,
                             guard=largest_bits((ctx.lhs, ctx.rhs)) * GROWTH > MAX_BITS)
        self.residual = self.nf.canonical(self.nf.of(ctx.lhs) - self.nf.of(ctx.rhs))
        self.positions = {p[0]: p for p in _linear_positions(rhs)}
        self.incremental = True

    def _of(self, e):
        return self.nf.of(self.ctx.facts.apply(e.xreplace(self.forward)))

    def _change_holds(self, path, new):
        """Whether replacing the node at ``path`` by ``new`` closes the residual."""
        from sympy import cancel

        from .normal_form import OPAQUE

        depth = max(k for k in range(len(path) + 1) if path[:k] in self.positions)
        at, node, _, _, wrap = self.positions[path[:depth]]
        changed = _replace_at(node, path[depth:], new)
        d = self.nf.canonical(self.residual - (self._of(wrap(changed)) - self._of(wrap(node))))
        return d == 0 or (not d.has(*OPAQUE) and cancel(d) == 0)

    def written_additions(self, lhs, rhs, relation, residual=None, definitions=(), models=(),
                          cited=(), budget: Optional["_Budget"] = None) -> List[_Candidate]:
        """Additions of terms as written (``_spellings``) at the sums of the right side that
        make the step hold, tested on normal forms: for each kind of place (the measures and
        sums around it, its coefficient), the normal form of the term put there. An equality:
        against the residual's, up to sign or the term's own coefficient. A bound: the
        residual with the term added must be a nonnegative combination of the facts the
        checker would use (KLs, Jensen gaps, assumptions), with the term's densities among
        theirs; only the terms written or named (tiers WRITTEN and FOLDED) are tried. A term
        with a variable that some binder of the step binds goes only where a binder binds it;
        a term named by a rule the step cites comes first. Each term fitted at a kind of place
        spends one candidate of ``budget``."""
        if not self.incremental:
            return []
        spellings = _spellings(lhs, rhs, residual, definitions, models)
        fit = self._fit(relation, spellings)
        if fit is None:
            return []
        budget = budget or _Budget()
        bound_somewhere = tuple(bound_anywhere(lhs) | bound_anywhere(rhs))
        places = _places(rhs)
        out: List[_Candidate] = []
        for spelling in spellings:
            if _enough_spellings(out, spelling, relation):
                break
            term = spelling.term
            needs = [] if isinstance(term, Defined) else \
                [v for v in term.free_symbols if depends_on(v, bound_somewhere)]   # L(x, z) names
            for kind, (binds, where) in places.items():
                if budget.exhausted():
                    return out
                if _misfit(term, needs, kind, binds):
                    continue
                budget.spend()
                try:
                    k = fit(self.nf.canonical(self._of(where[0].wrap(term))), term)
                except _INAPPLICABLE:
                    continue
                if k is not None:
                    out += _placed(spelling, k, kind, binds, where, rhs, relation, cited)
        return out

    def _fit(self, relation, spellings):
        """fit(n, term) for the relation: the k that makes k · n close the residual (an
        equality) or leave one the facts certify (a bound), or None; None for no fit at all."""
        if relation != EQ:
            return self._bound_fit(relation, [s.term for s in spellings if s.tier == WRITTEN])
        if self.residual == 0:
            return None
        target = self.residual.as_coefficients_dict()
        return lambda n, term: self._scale(target, n, term)

    def _scale(self, target, n, term):
        """The number k (±1 or ±the term's coefficient) with k · n (the normal form of the
        term where it goes) equal to the residual in normal form, or None."""
        if n == 0:
            return None
        mine = n.as_coefficients_dict()
        if set(mine) != set(target):
            return None
        ratios = {target[m] / mine[m] for m in mine}
        if len(ratios) != 1:
            return None
        k, = ratios
        c, _ = term.as_coeff_Mul()
        return k if k in (1, -1, 2, -2, S.Half, -S.Half, c, -c, 1 / c, -1 / c) else None

    def _bound_fit(self, relation, terms):
        """For a bound: fit(n, term), the k of ±1 with which adding k · n (the normal form of
        the term where it goes) to the right side leaves a residual (larger − smaller) that
        the facts certify nonnegative, as ``step._inequality`` asks (with the facts ``terms``
        give too); None when neither does."""
        from ..rules.bounds import assumed, expected_kls, jensen_gaps, kl_candidates
        from .certificates import find_certificate
        from .step import _equations

        exprs = [self.ctx.lhs, self.ctx.rhs] + [self.ctx.facts.apply(t.xreplace(self.forward))
                                                for t in terms]
        pool = kl_candidates(exprs) + expected_kls(exprs) + jensen_gaps(exprs) + \
            assumed(self.ctx.facts.facts) + _equations(self.ctx, self.nf)
        pool = [(rule, t if rule == "algebra" else self.nf.of(t)) for rule, t in pool]
        pool = [(rule, t) for rule, t in pool if not _no_value(t)]
        towards = 1 if relation in (GE, GT) else -1   # the right side is the smaller one
        strict = relation in (GT, LT)
        covered = {m for _, t in pool for m in t.as_coefficients_dict()}

        def fit(n, term):
            if n == 0:
                return None
            for k in (1, -1):
                gap = self.nf.canonical(towards * (self.residual - k * n))
                if any(m not in covered and m.has(DensityBase) for m in gap.as_coefficients_dict()):
                    continue   # a term of densities no fact has: no certificate (quickly)
                if find_certificate(gap, pool, strict=strict) is not None:
                    return k
            return None

        return fit

    def is_quick(self, c) -> bool:
        """Whether ``holds`` tests ``c`` by its change alone (no whole attempt)."""
        return c.probed or (self.incremental and c.relation == EQ and c.local is not None)

    def holds(self, c) -> bool:
        if c.probed:
            return True
        if self.incremental and c.relation == EQ and c.local is not None:
            return self._change_holds(*c.local)
        ctx = prepare(self.lhs, c.expression, self.assumptions, self.models)
        if getattr(ctx, "no_value", False) or _no_value(ctx.lhs) or _no_value(ctx.rhs):
            return False
        return bool(_attempt(ctx, c.relation, frozenset(RULE_NAMES)).holds)


def _suggestion(c: _Candidate, rules: Tuple[str, ...], lhs: Expr, rhs: Expr) -> Suggestion:
    """The verified candidate ``c`` as a Suggestion, with its source and LaTeX text: the
    variables the checker bound (``_j0``) renamed to clean ones, preferring the indices the
    step writes and never a name free on its left side."""
    from ..printing.latex import latex
    from ..printing.source import deriv_text, writable

    prefer = [str(j) for e in (rhs, lhs) for _, n, _ in _nodes(e) if isinstance(n, (Sum, Product))
              for j, _, _ in n.limits]
    avoid = [getattr(s, "name", str(s)) for s in lhs.free_symbols]
    try:
        clean = writable(c.expression, avoid, prefer)
    except _UNPRINTABLE:
        clean = c.expression
    try:
        source = deriv_text(clean)
    except _UNPRINTABLE:
        source = None   # no file can write it: the printers show the expression
    try:
        tex = latex(clean)
    except _UNPRINTABLE:
        tex = ""        # the printers typeset the expression themselves
    return Suggestion(c.expression, c.relation, str(c.edit), rules, c.kind, source, tex,
                      c.last_resort)


class _Budget:
    """What the search may spend: ``seconds`` (a deadline; None: no bound) and ``candidates``
    (a count of candidates checked, the same on any machine; None: no bound)."""

    def __init__(self, seconds: Optional[float] = None, candidates: Optional[int] = None):
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.candidates = candidates

    def seconds_left(self) -> Optional[float]:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def exhausted(self) -> bool:
        left = self.seconds_left()
        return (left is not None and left <= 0) or \
            (self.candidates is not None and self.candidates <= 0)

    def spend(self) -> None:
        if self.candidates is not None:
            self.candidates -= 1


class _Search:
    """The candidates checked one by one, keeping the cheapest MAX_SUGGESTIONS verified ones
    (at most _PER_FAMILY of a family), until the budget is spent."""

    def __init__(self, lhs, relation, rhs, cited, assumptions, models, probe, budget):
        self.lhs, self.rhs, self.cited = lhs, rhs, cited
        self.assumptions, self.models = assumptions, models
        self.probe, self.budget = probe, budget
        self.found: List[_Found] = []
        self.memo: dict = {}
        self.tried = {(relation, _evaluated(rhs, self.memo))}   # checked in full
        self.unproven: set = set()                               # failed a probe only
        self.rest: List[_Candidate] = []   # the costlier edits the probe cannot test alone

    def run(self, candidates) -> None:
        for c in candidates:
            if self.budget.exhausted():
                return
            if len(self.found) >= MAX_SUGGESTIONS and c.cost >= self.found[-1].cost:
                return
            try:
                with time_limit(self.budget.seconds_left()):
                    checked = self._check(c)
            except (StepTimeout,) + _INAPPLICABLE:
                check_time()
                continue
            if checked is not None and checked[0].verdict == VERIFIED:
                result, key = checked
                self.found.append(_Found(c.cost, c.family, _suggestion(
                    c, result.rules_used, self.lhs, self.rhs), key))
                self.found.sort(key=lambda f: f.cost)   # stable: on a tie the one found first
                del self.found[MAX_SUGGESTIONS:]

    def edits(self, candidates) -> None:
        """The edits, the cheapest tests first: those the probe tests by their change alone,
        then the others cheaper than any written addition (a relation changed costs a whole
        attempt), then the costlier ones the probe tests alone; the suggestions are still the
        cheapest edits found, in order. The costlier edits are kept (``rest``) to check again
        with the written additions."""
        quick = self.probe.is_quick
        early = [c for c in candidates if c.cost < _WRITTEN_COST]
        rest = [c for c in candidates if c.cost >= _WRITTEN_COST]
        self.run([c for c in early if quick(c)])
        self.run([c for c in early if not quick(c)])
        self.run([c for c in rest if quick(c)])
        self.rest = rest

    def written(self, lhs, rhs, relation, residual, definitions) -> List[_Candidate]:
        """Last, the written additions (their search costs a normal form per term and place),
        with the costlier edits; returns the last resorts among them."""
        rest = self.rest
        try:
            with time_limit(self.budget.seconds_left()):
                rest = rest + self.probe.written_additions(lhs, rhs, relation, residual,
                                                           definitions, self.models,
                                                           self.cited, self.budget)
        except (StepTimeout,) + _INAPPLICABLE:
            check_time()
        self.run(sorted((c for c in rest if not c.last_resort), key=lambda c: c.cost))
        return [c for c in rest if c.last_resort]

    def _check(self, c):
        """(check_step's result, key) for a candidate worth checking in full; None for one
        found already, of a family that has its share, or failing its probe."""
        key = (c.relation, _evaluated(c.expression, self.memo))
        if key in self.tried:
            self._rank_again(c, key)
            return None
        if (key in self.unproven and not c.probed) or c.family is not None and \
                sum(f.family == c.family for f in self.found) >= _PER_FAMILY:
            return None
        self.budget.spend()
        if not self.probe.holds(c):
            self.unproven.add(key)
            return None
        self.tried.add(key)
        return check_step(self.lhs, c.relation, c.expression, self.cited, self.assumptions,
                          self.models), key

    def _rank_again(self, c, key) -> None:
        """A suggestion found already by a costlier edit (a piece of the residual fitted)
        ranks as ``c``, in ``c``'s words."""
        for i, f in enumerate(self.found):
            if f.key == key and f.cost > c.cost:
                self.found[i] = _Found(c.cost, c.family, replace(
                    f.suggestion, edit=str(c.edit), kind=c.kind, last_resort=c.last_resort),
                    key)
        self.found.sort(key=lambda f: f.cost)


def suggestions(lhs: Expr, relation: str, rhs: Expr, result: Optional[StepResult] = None,
                cited: Sequence[str] = (), assumptions: Iterable[Tuple[Expr, str, Expr]] = (),
                models: Iterable["ModelDeclaration"] = (),
                budget: Optional[float] = DEFAULT_BUDGET,
                definitions: Sequence["Definition"] = (), chain: Sequence[str] = (),
                max_candidates: Optional[int] = None) -> Tuple[Suggestion, ...]:
    """At most three steps ``lhs REL' rhs'`` near the failing ``lhs relation rhs``, each one
    verified by ``check_step`` with the same citation, assumptions and models, the smallest
    edit first. ``result``: the step's StepResult (its residual says which terms to add back;
    a verified step has nothing to explain). ``budget``: seconds for the whole search (None:
    no bound). ``max_candidates``: at most this many candidates checked (each probe of an
    edit, each written term fitted at a kind of place; None: no bound): with ``budget=None``,
    the same suggestions on any machine. ``definitions``: the derivation's lets, to exchange
    a let's arguments. ``chain``: the relations of the chain's other steps; no suggestion's
    relation would make the chain mix <-type and >-type relations (an input error). The
    residual added back as the checker writes it is proposed only when nothing nearer holds
    (``last_resort``)."""
    if result is not None and result.verdict == VERIFIED:
        return ()
    spend = _Budget(budget, max_candidates)
    relation = canonical(relation)
    assumptions, models = list(assumptions), tuple(models)
    residual = getattr(result, "residual", None)
    try:
        with time_limit(budget):
            candidates = _candidates(lhs, relation, rhs, residual, definitions)
            probe = _Probe(lhs, rhs, assumptions, models)
    except (StepTimeout,) + _INAPPLICABLE:
        check_time()   # a caller's limit that ran out too is not the search's to absorb
        return ()
    candidates = [c for c in candidates if not mixes_directions(tuple(chain) + (c.relation,))]
    search = _Search(lhs, relation, rhs, cited, assumptions, models, probe, spend)
    search.edits([c for c in candidates if not c.last_resort])
    last_resorts = [c for c in candidates if c.last_resort]
    if not spend.exhausted():
        last_resorts += search.written(lhs, rhs, relation, residual, definitions)
    if not search.found:   # nothing nearer holds: the residual added back, as the checker writes it
        search.run(sorted(last_resorts, key=lambda c: c.cost))
        del search.found[1:]   # once: its other places say nothing more
    return tuple(f.suggestion for f in search.found)
