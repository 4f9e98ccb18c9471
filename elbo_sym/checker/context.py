"""What a step is checked under: its two sides as the checker reads them, and the facts.

``prepare`` turns a step as written into a ``StepContext``:

- **Variables are real numbers.** Every plain name becomes a real symbol (indexed variables
  are real already), so that sympy's assumptions know what Jensen's inequality and the log and
  exp laws need; whatever may still be complex (``sqrt(-1)``, ``sqrt(a)`` for a < 0) is not
  real to sympy either, and gets no certificate.
- **Counts.** A name in the upper bound of a sum, a product or a range is a count, a whole
  number >= 0.
- **Domains.** A step holds where its terms are defined: a Gaussian's variance positive, what
  ``log`` takes positive, a denominator nonzero. These conditions are collected from the terms
  as written (those free of any bound variable), used like assumptions, and reported.
- **Assumptions** then give signs to free variables (``assumptions.build``); a variable some
  binder binds anywhere in the step keeps no sign from a fact about its free occurrences.
"""
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, List, Sequence, Set, Tuple

from sympy import (S, Expr, Mul, Pow, Product, Sum, Symbol, Tuple as SympyTuple, log,
                   preorder_traversal, sympify)

from ..algebra import DensityBase, Gaussian, VariableRange, bound_anywhere, bound_symbols
from ..rules.models import Model, build_model
from ..relations import GT, NE, canonical
from . import assumptions as assumptions_mod
from .normal_form import OPAQUE

if TYPE_CHECKING:
    from ..derivation import ModelDeclaration

Fact = Tuple[Expr, str, Expr]


@dataclass(frozen=True)
class StepContext:
    lhs: Expr
    rhs: Expr
    facts: assumptions_mod.Assumptions      # assumptions and conditions, applied
    conditions: Tuple[Fact, ...]            # domain conditions, in the names as written
    models: Tuple[Model, ...] = ()          # the declared models, in the step's symbols
    no_value: bool = False                  # a term as written divides by 0 (1 / (x - x))
    # what depends on one applied fact alone (is it false, impossible), shared by the steps of
    # one chain, whose facts are mostly the same assumptions
    memo: Dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def model_map(self) -> Dict[str, Model]:
        return {m.family: m for m in self.models}

    @property
    def restore(self) -> Dict[Expr, Expr]:
        """From the checker's symbols back to the names as written, for messages."""
        return self.facts.restore


def _counts(exprs) -> set:
    """The names in the upper bounds of sums, products and ranges: counts."""
    out = set()
    for e in exprs:
        for node in preorder_traversal(e):
            if isinstance(node, (Sum, Product)):
                for limit in node.limits:
                    out |= limit[2].free_symbols
            elif isinstance(node, VariableRange):
                out |= node.hi.free_symbols
    return {s for s in out if isinstance(s, Symbol)}


def _realify(exprs, counts):
    """Plain names as real symbols, counts as nonnegative integers; the map back."""
    names = set()
    for e in exprs:
        names |= {s for s in e.atoms(Symbol)}
    forward, back = {}, {}
    for s in names:
        if s in counts:
            new = Symbol(s.name, integer=True, nonnegative=True)
        elif s.is_extended_real:
            continue
        else:
            new = Symbol(s.name, **{**s.assumptions0, "real": True})
        if new != s:
            forward[s], back[new] = new, s
    return forward, back


def domain_conditions(expr: Expr) -> Tuple[Fact, ...]:
    """Where ``expr``'s terms are defined: (term, relation, 0) for every Gaussian variance,
    log argument and denominator that is not already known to be fine, free of bound variables
    and of the algebra's opaque objects (which carry their own meaning)."""
    out: List[Fact] = []
    stack: List[Tuple[Any, FrozenSet[Any]]] = [(expr, frozenset())]
    while stack:
        node, bound = stack.pop()
        if isinstance(node, Gaussian):
            _condition(out, node.variance, GT, bound)
        elif isinstance(node, log) and not isinstance(node.args[0], DensityBase):
            _condition(out, node.args[0], GT, bound)
        elif isinstance(node, Pow) and node.exp.is_extended_negative and \
                not isinstance(node.base, DensityBase):
            _condition(out, node.base, NE, bound)
        inner = bound | set(bound_symbols(node))
        stack.extend((a, inner) for a in reversed(node.args) if isinstance(a, Expr))
    return tuple(out)


def _condition(out, term, rel, bound):
    if term.has(*OPAQUE) or term.free_symbols & bound or not term.free_symbols:
        return
    term, rel = _simplest(term, rel)
    known = term.is_positive if rel == GT else term.is_nonzero
    if known:
        return
    fact = (term, rel, S.Zero)
    if fact not in out:
        out.append(fact)


def _simplest(term, rel):
    """The plainest statement of ``term REL 0``: positive numbers dropped from a product
    (2 pi v > 0 is v > 0), a power x^k nonzero when x is, an even power positive when x is
    nonzero, an odd one positive when x is."""
    factors = [f for f in Mul.make_args(term) if not (f.is_number and f.is_positive)]
    if len(factors) == 1:
        f = factors[0]
        if f.is_Pow and f.exp.is_Integer and f.exp > 0:
            if rel == NE or f.exp % 2 == 0:
                return f.base, NE
            return f.base, rel
        return f, rel
    return Mul(*factors) if factors else term, rel


def prepare(lhs: Expr, rhs: Expr, assumptions: Sequence[Fact] = (),
            models: Iterable["ModelDeclaration"] = ()) -> StepContext:
    """The step ``lhs REL rhs`` under ``assumptions`` ((lhs, rel, rhs) triples) and the declared
    ``models`` (``ModelDeclaration``s), ready to check. A chain prepares its assumptions once
    (``ChainContext``); this is one step's own."""
    return ChainContext(assumptions, models).prepare(lhs, rhs)


def _symbols(exprs: Iterable[Expr]) -> Set[Symbol]:
    out: Set[Symbol] = set()
    for e in exprs:
        out |= e.atoms(Symbol)
    return out


def _density_names(exprs: Iterable[Expr]) -> Set[Expr]:
    """The variables the densities in ``exprs`` name (a density's variables stay names)."""
    names: Set[Expr] = set()
    for e in exprs:
        for node in preorder_traversal(e):
            if isinstance(node, DensityBase):
                names.update(node.variables + getattr(node, "given", ()))
    return names


@dataclass(frozen=True)
class _Realified:
    """The assumptions and models in the checker's symbols, for one set of counts among their
    names."""
    forward: Dict[Expr, Expr]
    back: Dict[Expr, Expr]
    assumed: Tuple[Fact, ...]
    symbols: Tuple[FrozenSet[Expr], ...]    # the symbols of each assumed fact
    bound: Set[Expr]                        # what binders inside the assumptions bind
    names: Set[Expr]                        # the variables their densities name
    replaceable: FrozenSet[Expr]            # the symbols a fact bounds by a number
    models: Tuple[Model, ...]               # built, before the substitution


@dataclass(frozen=True)
class _Settled:
    """The assumptions built (``assumptions.build``) for one set of the step's binders and
    density names among the symbols they may replace."""
    facts: assumptions_mod.Assumptions
    restore: Dict[Expr, Expr]               # facts.restore, back in the names as written
    models: Tuple[Model, ...]               # under facts.substitution


class ChainContext:
    """A derivation's assumptions and declared models, prepared once for all its steps:
    realified and built per *key*, each step's ``prepare`` adding only its own terms.

    What a step can change in them, and so the keys:
    - a name that is a count in the step (an upper bound of its sum) is a whole number in the
      assumptions too: realification is keyed on the counts among the assumptions' names;
    - ``assumptions.build`` gives no sign to a variable some binder of the step binds, and
      shifts no density variable: building is keyed on the step's binders and density names
      among the symbols the facts bound by a number (the only ones ``build`` may replace);
    - the step's domain conditions come after the assumptions (``assumptions.extend``), so
      only their own substitutions are new, and an assumption is re-applied only when it
      mentions a symbol one of them replaces.
    Everything else in a realified or built assumption is a function of the assumption alone
    (``_realify`` maps each symbol by itself and whether it is a count), so the step sees
    exactly what preparing everything again would give it."""

    def __init__(self, assumptions: Iterable[Fact] = (),
                 models: Iterable["ModelDeclaration"] = ()) -> None:
        self.assumptions: Tuple[Fact, ...] = tuple(
            (sympify(a, strict=True), canonical(r), sympify(b, strict=True))
            for a, r, b in assumptions)
        self.models: Tuple["ModelDeclaration", ...] = tuple(models)
        raw = [e for a, _, b in self.assumptions for e in (a, b)]
        raw += [e for m in self.models for e in (m.joint,) + tuple(m.factors)]
        self._raw = raw
        self._counts = _counts(raw)
        self._names = frozenset(_symbols(raw))
        self._realified: Dict[FrozenSet[Expr], _Realified] = {}
        self._settled: Dict[Tuple[FrozenSet[Expr], ...], _Settled] = {}
        self.builds = 0     # how many times the assumptions were realified and built
        self._memo: Dict[Any, Any] = {}     # StepContext.memo, for every step
        self._prepared: Dict[Tuple[Expr, Expr], StepContext] = {}   # prepare, per step

    def _realify(self, counts: Set[Symbol]) -> Tuple[FrozenSet[Expr], _Realified]:
        key = frozenset(counts & self._names)
        found = self._realified.get(key)
        if found is None:
            forward, back = _realify(self._raw, counts)
            assumed = tuple((a.xreplace(forward), r, b.xreplace(forward))
                            for a, r, b in self.assumptions)
            sides = [e for a, _, b in assumed for e in (a, b)]
            replaceable = frozenset(b[0] for b in (assumptions_mod.bounded(*f) for f in assumed)
                                    if b is not None)
            models = tuple(build_model(m.joint.xreplace(forward),
                                       [f.xreplace(forward) for f in m.factors])
                           for m in self.models)
            found = _Realified(forward, back, assumed,
                               tuple(frozenset(_symbols((a, b))) for a, _, b in assumed),
                               bound_anywhere(SympyTuple(*sides)), _density_names(sides),
                               replaceable, models)
            self._realified[key] = found
        return key, found

    def _settle(self, counts_key: FrozenSet[Expr], realified: _Realified, bound: Set[Expr],
                names: Set[Expr]) -> _Settled:
        key = (counts_key, frozenset(bound & realified.replaceable),
               frozenset(names & realified.replaceable))
        found = self._settled.get(key)
        if found is None:
            self.builds += 1
            facts = assumptions_mod.build(realified.assumed, bound, names)
            restore = {k: v.xreplace(realified.back) for k, v in facts.restore.items()}
            models = tuple(m.xreplace(facts.substitution) for m in realified.models)
            found = self._settled[key] = _Settled(facts, restore, models)
        return found

    def prepare(self, lhs: Expr, rhs: Expr) -> StepContext:
        """The step ``lhs REL rhs`` under the chain's assumptions and models, ready to check
        (a function of the two sides alone: remembered, the same step is prepared once)."""
        found = self._prepared.get((lhs, rhs))
        if found is None:
            found = remember(self._prepared, (lhs, rhs), self._prepare(lhs, rhs), _PREPARED_KEPT)
        return found

    def _prepare(self, lhs: Expr, rhs: Expr) -> StepContext:
        own_counts = _counts([lhs, rhs])
        counts = self._counts | own_counts
        counts_key, realified = self._realify(counts)
        forward, back = _realify([lhs, rhs], counts)
        # the same symbol has the same image wherever it occurs (_realify maps each by itself);
        # two distinct symbols with one image (a name as a count and as written) were mapped
        # back to either of them before too
        back = {**back, **realified.back}
        # the terms as written: rebuilding evaluates (x / x is 1), but x / x still needs x != 0
        written = domain_conditions(lhs) + domain_conditions(rhs)
        lhs, rhs = lhs.xreplace(forward), rhs.xreplace(forward)
        pair = SympyTuple(lhs, rhs)
        bound = bound_anywhere(pair) | realified.bound
        names = _density_names([pair]) | realified.names
        # conditions the assumptions already settle (sigma^2 > 0 under sigma > 0) are not stated
        settled = self._settle(counts_key, realified, bound, names)
        conditions: List[Fact] = []
        no_value = False
        for c in written:
            c = (c[0].xreplace(forward), c[1], c[2])
            term, rel = _simplest(settled.facts.apply(c[0]), c[1])
            if (term.is_positive if rel == GT else term.is_nonzero) or c in conditions:
                continue
            if not term.free_symbols and not term.has(*OPAQUE):
                no_value = True         # a number that breaks its condition: 1 / 0, log(-1)
                continue
            conditions.append(c)
        facts = assumptions_mod.extend(settled.facts, realified.assumed, realified.symbols,
                                       conditions, bound, names)
        models = settled.models
        if facts.substitution.keys() != settled.facts.substitution.keys():
            models = tuple(m.xreplace(facts.substitution) for m in realified.models)
        restore = dict(settled.restore)
        restore.update((k, v.xreplace(back)) for k, v in facts.restore.items()
                       if settled.facts.restore.get(k) is not v)   # the conditions' own
        restore.update(back)
        facts = assumptions_mod.Assumptions(facts.substitution, restore, facts.facts)
        shown = tuple((a.xreplace(back), r, b.xreplace(back)) for a, r, b in conditions)
        return StepContext(facts.apply(lhs), facts.apply(rhs), facts, shown, models, no_value,
                           self._memo)


_PREPARED_KEPT = 1024       # steps prepared, per chain context
_CONTEXTS_KEPT = 64         # chain contexts, per process
_CONTEXTS: Dict[Tuple[Any, ...], ChainContext] = {}


def remember(table: Dict[Any, Any], key: Any, value: Any, most: int) -> Any:
    """``table[key] = value``, the oldest entry forgotten first beyond ``most``; ``value``."""
    if len(table) >= most:
        try:
            table.pop(next(iter(table)), None)
        except (StopIteration, RuntimeError):    # emptied or changed meanwhile by another thread
            pass
    table[key] = value
    return value


def chain_context(assumptions: Iterable[Fact] = (),
                  models: Iterable["ModelDeclaration"] = ()) -> ChainContext:
    """The ``ChainContext`` of these assumptions and models, shared by every chain and step
    checked under exactly them in this process (what it prepares is a function of them and
    of each step alone): a warm process checking a text again, or explain re-checking
    candidates, prepares each step once."""
    context = ChainContext(assumptions, models)
    key = (context.assumptions, context.models)
    try:
        found = _CONTEXTS.get(key)
    except TypeError:           # a part that cannot be a key: this context alone
        return context
    return found if found is not None else remember(_CONTEXTS, key, context, _CONTEXTS_KEPT)


def clear_contexts() -> None:
    """Forget the shared chain contexts (for benchmarks that time from cold, and tests)."""
    _CONTEXTS.clear()
