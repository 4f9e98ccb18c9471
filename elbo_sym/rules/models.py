"""Declared models: a family's joint as a directed acyclic graph, and the independences it implies.

``model p(x, z_1, z_2) = p(x | z_1) p(z_1 | z_2) p(z_2)`` says that family p is Markov with
respect to the graph z_2 -> z_1 -> x. A factor may stand under ``prod_{t=1}^{T}``, so a graph
is a template: ``concrete`` instantiates it for whole values of its counts.

What the checker uses is ``split_joint``: the joint of a set S of the family's variables is, by
the Hammersley-Clifford theorem for positive densities, the product of the joints of the
cliques of the graph on S whose edges join the pairs that no d-separation makes independent
given the rest of S, divided by the joints of the separators (when that graph is chordal). The
decomposition depends on S alone, so two spellings of one quantity meet: q(x_t | x_{t-1}, x_0)
and q(x_t | x_{t-1}) in a Markov chain, Bayes' rule on them, p(y, z) = p(y) p(z) for
independent priors.

Symbolic indices (x_{t-1} under a sum over t, x_T) are decided by instantiating every whole
value of the index symbols up to a bound that covers every order and gap between the index
expressions (the positions are differences of symbols and small offsets, so any configuration
has a copy within the bound); a pair whose independence differs between instances is treated as
dependent (no split), which is always sound.
"""
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations, product
from typing import (Any, Collection, Dict, FrozenSet, Hashable, Iterable, List, Mapping, Optional,
                    Set, Tuple)

from sympy import Add, Expr, Mul, Product, Symbol

from ..algebra import Density, DensityBase, Gaussian, IndexedVariable, VariableRange
from ..errors import DomainError

MAX_INSTANCES = 4096
# a node of a model's concrete graph: a variable, or (name, whole index) for an element
Node = Hashable
Parents = Dict[Node, Tuple[Node, ...]]
VALIDATION_SIZES = range(1, 5)


class ModelError(DomainError):
    """A malformed model; ``factor`` is the index of the factor at fault (None: the joint)."""

    def __init__(self, message: str, factor: Optional[int] = None) -> None:
        super().__init__(message)
        self.factor = factor


@dataclass(frozen=True)
class Factor:
    child: Expr                     # z, z_1, x_{t-1}
    parents: Tuple[Expr, ...]
    density: Expr                   # as written: p(x | z), N(x; a z, s^2), p_theta(x_{t-1} | x_t)
    index: Optional[Tuple[Expr, Expr, Expr]] = None     # (t, lo, hi) under prod_{t=lo}^{hi}


@dataclass(frozen=True, eq=False)
class Model:
    family: str
    left: Tuple[Expr, ...]
    given: Tuple[Expr, ...]
    factors: Tuple[Factor, ...]
    _key: Tuple[Any, ...] = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # models key many memo tables: hash once
        object.__setattr__(self, "_key", (self.family, self.left, self.given, self.factors))
        object.__setattr__(self, "_hash", hash(self._key))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and (self is other or self._key == other._key)

    def xreplace(self, mapping: Mapping[Expr, Expr]) -> "Model":
        """The model with symbols replaced (the step's own symbols for counts)."""
        def r(e):
            return e.xreplace(mapping)
        factors = tuple(Factor(r(f.child), tuple(r(p) for p in f.parents), r(f.density),
                               None if f.index is None else tuple(r(x) for x in f.index))
                        for f in self.factors)
        return Model(self.family, tuple(r(v) for v in self.left), tuple(r(v) for v in self.given),
                     factors)

    @property
    def symbols(self) -> frozenset:
        """The symbols its concrete graph depends on: the counts of its ranges and products."""
        return _model_symbols(self)

    def _symbols(self) -> frozenset:
        out = set()
        for v in self.left + self.given:
            if isinstance(v, VariableRange):
                out |= v.lo.free_symbols | v.hi.free_symbols
            elif isinstance(v, IndexedVariable):
                out |= v.index.free_symbols
        for f in self.factors:
            if f.index is not None:
                out |= f.index[1].free_symbols | f.index[2].free_symbols
            else:
                out |= f.child.free_symbols - {f.child}
        return frozenset(s for s in out if isinstance(s, Symbol))

    def names(self) -> set:
        """The variables (or families of indexed variables, by name) the model speaks of."""
        return {v.name for v in self.left + self.given}

    def concrete(self, values: Mapping[Expr, int]) -> Tuple[Tuple[Node, ...], Parents]:
        """(nodes, parents) of the graph for whole ``values`` of its symbols, nodes labelled
        as ``label`` does; roots include the variables the model is conditioned on. Raises
        ModelError when it is no DAG over its left side. Memoized by the values of the model's
        own symbols."""
        own = tuple(sorted(((s, int(values[s])) for s in self.symbols if s in values),
                           key=lambda pair: pair[0].name))
        return _concrete(self, own)


@lru_cache(maxsize=256)
def _model_symbols(model):
    return model._symbols()


@lru_cache(maxsize=256)
def _concrete(model: Model, own: Tuple[Tuple[Expr, int], ...]) -> Tuple[Tuple[Node, ...], Parents]:
    values = dict(own)
    left = [c for v in model.left for c in _elements(v, values)]
    given = [c for v in model.given for c in _elements(v, values)]
    parents: Parents = {}
    for i, f in enumerate(model.factors):
        for child, pars in _instances(f, values):
            if child not in left:
                raise ModelError(f"the factor {_shown(f)} gives {_name(child)}, which the "
                                 "model's left side does not name", i)
            for p in pars:
                if p not in left and p not in given:
                    raise ModelError(f"the factor {_shown(f)} depends on {_name(p)}, which the "
                                     "model does not name", i)
            if child in parents:
                raise ModelError(f"{_name(child)} is given by two factors", i)
            parents[child] = pars
    for v in left:
        if v not in parents:
            raise ModelError(f"{_name(v)} is on the model's left side but no factor gives it")
    for v in given:
        parents.setdefault(v, ())
    _check_acyclic(parents)
    return tuple(left + given), parents


def _name(label) -> str:
    return f"{label[0]}_{label[1]}" if isinstance(label, tuple) else str(label)


def _value(e, values) -> int:
    """A whole-number index expression at ``values`` (symbols to ints), without sympy."""
    if e.is_Integer:
        return int(e)
    if e.is_Symbol:
        try:
            return int(values[e])
        except KeyError:
            raise ModelError(f"the index {e} has no value here") from None
    if e.is_Add:
        return sum(_value(a, values) for a in e.args)
    if e.is_Mul:
        out = 1
        for a in e.args:
            out *= _value(a, values)
        return out
    raise ModelError(f"the index {e} is no whole number here")


def _labeller(v):
    """A fast ``label`` for one variable: its index as c + sum of k s, read once."""
    if not isinstance(v, IndexedVariable):
        return lambda ints: v
    index = v.index
    const, terms = 0, []
    for term in Add.make_args(index):
        coeff, rest = term.as_coeff_Mul()
        if rest == 1 and coeff.is_Integer:
            const += int(coeff)
        elif coeff.is_Integer and rest.is_Symbol:
            terms.append((int(coeff), rest))
        else:
            return lambda ints: label(v, ints)
    name = v.name
    return lambda ints: (name, const + sum(k * ints[s] for k, s in terms))


def label(v: Expr, values: Mapping[Expr, int]) -> Node:
    """The concrete node of variable ``v`` at ``values``: a plain name, or (name, index)."""
    if isinstance(v, IndexedVariable):
        return (v.name, _value(v.index, values))
    return v


def _shown(f: Factor) -> str:
    from ..printing.text import text

    return text(f.density)


def _elements(v: Expr, values) -> list:
    if isinstance(v, VariableRange):
        return [(v.name, k) for k in range(_value(v.lo, values), _value(v.hi, values) + 1)]
    return [label(v, values)]


def _instances(f: Factor, values):
    if f.index is None:
        yield (_elements(f.child, values)[0],
               tuple(c for p in f.parents for c in _elements(p, values)))
        return
    t, lo, hi = f.index
    for k in range(_value(lo, values), _value(hi, values) + 1):
        here = {**values, t: k}
        yield (_elements(f.child, here)[0], tuple(c for p in f.parents for c in _elements(p, here)))


def _check_acyclic(parents: Parents) -> None:
    state: Dict[Node, int] = {}
    for start in parents:
        if state.get(start) == 2:
            continue
        stack = [(start, iter(parents.get(start, ())))]
        state[start] = 1
        path = [start]
        while stack:
            node, children = stack[-1]
            nxt = next(children, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                raise ModelError("the factors make a cycle: "
                                 + " <- ".join(_name(c) for c in cycle))
            if state.get(nxt) is None:
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(parents.get(nxt, ()))))


# -- building from a declaration -----------------------------------------------------------

def _variables_of_model(model_names, expr):
    """The model's variables in ``expr`` (a Gaussian's mean or variance): its parents."""
    out = []
    for s in sorted(expr.free_symbols, key=str):
        if isinstance(s, (Symbol, IndexedVariable)) and s.name in model_names and s not in out:
            out.append(s)
    return out


def _factor(expr, model_names, i, index=None):
    if isinstance(expr, Product):
        if index is not None or len(expr.limits) != 1:
            raise ModelError("a factor is one density, or one prod over densities", i)
        (t, lo, hi), = expr.limits
        return [f for part in Mul.make_args(expr.function)
                for f in _factor(part, model_names, i, (t, lo, hi))]
    if isinstance(expr, Gaussian):
        parents = _variables_of_model(model_names, expr.mean) + \
            _variables_of_model(model_names, expr.variance)
        return [Factor(expr.variable, tuple(parents), expr, index)]
    if isinstance(expr, Density):
        if len(expr.variables) != 1:
            raise ModelError(f"a factor gives one variable, and {_shown_expr(expr)} gives "
                             f"{len(expr.variables)}", i)
        return [Factor(expr.variables[0], expr.given, expr, index)]
    raise ModelError(f"a factor is a density, and {_shown_expr(expr)} is none", i)


def _shown_expr(e):
    from ..printing.text import text

    return text(e)


def build_model(joint: Expr, factors: Iterable[Expr]) -> Model:
    """The model ``joint = factors...``, checked: every left variable given by exactly one
    factor, parents among the model's variables, no cycle, at several whole sizes of its
    counts. Raises ModelError (with the factor at fault) otherwise. Memoized: every step of a
    derivation asks for the same models."""
    return _build_model(joint, tuple(factors))


@lru_cache(maxsize=256)
def _build_model(joint, factors) -> Model:
    if not isinstance(joint, Density):
        raise ModelError("a model's left side is a density of a family: model p(x, z) = ...")
    names = {v.name for v in joint.variables + joint.given}
    parts = []
    for i, f in enumerate(factors):
        for part in Mul.make_args(f):
            parts.extend(_factor(part, names, i))
    model = Model(joint.family, joint.variables, joint.given, tuple(parts))
    symbols = sorted(model.symbols, key=str)
    for sizes in product(VALIDATION_SIZES, repeat=len(symbols)):
        model.concrete(dict(zip(symbols, sizes)))
    return model


# -- d-separation ----------------------------------------------------------------------------

def d_separated(parents: Mapping[Node, Iterable[Node]], xs: Iterable[Node], ys: Iterable[Node],
                zs: Iterable[Node]) -> bool:
    """Whether xs and ys are d-separated given zs (the moralized ancestral graph)."""
    relevant = set(xs) | set(ys) | set(zs)
    stack = list(relevant)
    while stack:
        n = stack.pop()
        for p in parents.get(n, ()):
            if p not in relevant:
                relevant.add(p)
                stack.append(p)
    adjacent: Dict[Node, Set[Node]] = {n: set() for n in relevant}
    for n in relevant:
        ps = [p for p in parents.get(n, ()) if p in relevant]
        for p in ps:
            adjacent[n].add(p)
            adjacent[p].add(n)
        for a, b in combinations(ps, 2):
            adjacent[a].add(b)
            adjacent[b].add(a)
    blocked = set(zs)
    seen = set(xs)
    stack = list(xs)
    targets = set(ys)
    while stack:
        n = stack.pop()
        if n in targets:
            return False
        for m in adjacent[n]:
            if m not in seen and m not in blocked:
                seen.add(m)
                stack.append(m)
    return True


# -- decomposing a joint -----------------------------------------------------------------------

def _chordal_cliques(vertices, edges):
    """(cliques, separators) of a chordal graph by maximum cardinality search, or None."""
    order: List[Any] = []
    numbered = set()
    weight = {v: 0 for v in vertices}
    while len(order) < len(vertices):
        v = max((u for u in vertices if u not in numbered), key=lambda u: (weight[u], -vertices.index(u)))
        order.append(v)
        numbered.add(v)
        for u in vertices:
            if u not in numbered and frozenset((u, v)) in edges:
                weight[u] += 1
    cliques: List[FrozenSet[Any]] = []
    for i, v in enumerate(order):
        earlier = [u for u in order[:i] if frozenset((u, v)) in edges]
        if any(frozenset((a, b)) not in edges for a, b in combinations(earlier, 2)):
            return None          # not chordal
        clique = frozenset(earlier + [v])
        cliques = [c for c in cliques if not c <= clique]
        cliques.append(clique)
    # separators: a maximum-weight spanning tree of the clique graph (Kruskal)
    pairs = sorted(((len(a & b), i, j) for (i, a), (j, b) in combinations(enumerate(cliques), 2)),
                   reverse=True)
    component = list(range(len(cliques)))

    def root(i):
        while component[i] != i:
            i = component[i]
        return i
    separators = []
    for w, i, j in pairs:
        if w and root(i) != root(j):
            component[root(i)] = root(j)
            separators.append(cliques[i] & cliques[j])
    return cliques, separators


@lru_cache(maxsize=65536)
def _independences(model, own, concrete):
    """For each pair of the concrete variables, whether the model's graph at ``own`` makes
    them independent given the others; None when they are not distinct nodes of it."""
    nodes, parents = _concrete(model, own)
    if len(set(concrete)) != len(concrete) or any(c not in parents for c in concrete):
        return None
    out = []
    for a, b in combinations(concrete, 2):
        rest = [c for c in concrete if c != a and c != b]
        out.append(d_separated(parents, [a], [b], rest))
    return tuple(out)


def split_joint(model: Model, variables: Iterable[Expr],
                instances: Optional[Collection[Mapping[Expr, Any]]]
                ) -> Optional[Tuple[list, list]]:
    """(cliques, separators) of the joint over ``variables`` (templates, no ranges) under the
    model, the same for every instance in ``instances`` (dicts of whole values); None when the
    joint does not split or the instances disagree."""
    variables = list(variables)
    if len(variables) < 2 or not instances:
        return None
    symbols = sorted(model.symbols, key=lambda s: s.name)
    labels = [_labeller(v) for v in variables]
    independent, seen = None, set()
    for values in instances:
        ints = {k: int(v) for k, v in values.items()}
        own = tuple((s, ints[s]) for s in symbols if s in ints)
        try:
            concrete = tuple(f(ints) for f in labels)
        except (KeyError, ModelError):
            return None
        if (own, concrete) in seen:
            continue
        seen.add((own, concrete))
        try:
            found = _independences(model, own, concrete)
        except ModelError:
            return None
        if found is None:
            return None
        if independent is None:
            independent = found
        elif independent != found:
            return None
    if independent is None:      # no instance was looked at
        return None
    edges = {frozenset((variables[i], variables[j]))
             for (i, j), sep in zip(combinations(range(len(variables)), 2), independent) if not sep}
    if len(edges) == len(variables) * (len(variables) - 1) // 2:
        return None              # complete: nothing splits
    found = _chordal_cliques(variables, edges)
    if found is None:
        return None
    return found


def model_variables(model: Model, density: DensityBase) -> bool:
    """Whether every variable of ``density`` is one the model speaks of."""
    names = model.names()
    return all(getattr(v, "name", None) in names for v in density.variables + density.given)


__all__ = ["Factor", "Model", "ModelError", "build_model", "d_separated", "split_joint",
           "model_variables"]
