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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, List, Sequence, Set, Tuple

from sympy import (S, Expr, Mul, Pow, Product, Sum, Symbol, Tuple as SympyTuple, log,
                   preorder_traversal)

from ..algebra import DensityBase, Gaussian, VariableRange, bound_anywhere, bound_symbols
from ..rules.models import Model, build_model
from ..relations import GT, NE
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
    ``models`` (``ModelDeclaration``s), ready to check."""
    raw = [lhs, rhs] + [e for a, _, b in assumptions for e in (a, b)]
    raw += [e for m in models for e in (m.joint,) + tuple(m.factors)]
    counts = _counts(raw)
    forward, back = _realify(raw, counts)
    # the terms as written: rebuilding evaluates (x / x is 1), but x / x still needs x != 0
    written = domain_conditions(lhs) + domain_conditions(rhs)
    lhs, rhs = lhs.xreplace(forward), rhs.xreplace(forward)
    assumed = [(a.xreplace(forward), r, b.xreplace(forward)) for a, r, b in assumptions]
    everything = SympyTuple(lhs, rhs, *(e for a, _, b in assumed for e in (a, b)))
    bound = bound_anywhere(everything)
    names: Set[Expr] = set()
    for node in preorder_traversal(everything):
        if isinstance(node, DensityBase):
            names.update(node.variables + getattr(node, "given", ()))
    # conditions the assumptions already settle (sigma^2 > 0 under sigma > 0) are not stated
    settled = assumptions_mod.build(assumed, bound, names)
    conditions, no_value = [], False
    for c in written:
        c = (c[0].xreplace(forward), c[1], c[2])
        term, rel = _simplest(settled.apply(c[0]), c[1])
        if (term.is_positive if rel == GT else term.is_nonzero) or c in conditions:
            continue
        if not term.free_symbols and not term.has(*OPAQUE):
            no_value = True         # a number that breaks its condition: 1 / 0, log(-1)
            continue
        conditions.append(c)
    facts = assumptions_mod.build(assumed + conditions, bound, names)
    restore = {k: v.xreplace(back) for k, v in facts.restore.items()}
    restore.update(back)
    facts = assumptions_mod.Assumptions(facts.substitution, restore, facts.facts)
    shown = tuple((a.xreplace(back), r, b.xreplace(back)) for a, r, b in conditions)
    built = tuple(build_model(m.joint.xreplace(forward), [f.xreplace(forward) for f in m.factors])
                  .xreplace(facts.substitution) for m in models)
    return StepContext(facts.apply(lhs), facts.apply(rhs), facts, shown, built, no_value)
