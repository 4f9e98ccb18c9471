"""Families with a declared model: random linear-Gaussian Bayesian networks with its graph.

A family under ``model p(x, z_1, z_2) = p(x | z_1) p(z_1 | z_2) p(z_2)`` becomes, on each
instance, a network over the model's graph at the drawn sizes: each variable is random weights
times its parents, plus an offset, plus Gaussian noise. Its joint is Gaussian, so every marginal
and conditional the evaluator takes stays exact; every independence the graph implies
(d-separation) holds exactly, and for random weights nothing else is independent (a
linear-Gaussian network is faithful to its graph for almost every choice of weights). So a step
true under the model is never refuted, and one that needs an independence the model does not
give is.

A factor of another family takes that family's conditional (``model p_theta(x, z) =
p_theta(x | z) p(z)``: z's law under p_theta is p's marginal); a Gaussian factor fixes it
(``N(x; a z, s^2)``: weight a, offset 0, variance s^2, from the drawn values; it must be linear
in the parents, or the joint would not be Gaussian). The variables the model is conditioned on
have an arbitrary joint law, and variables of the family that the model does not name (x_7
when the graph stops at x_5) are children of everything before them: the model says nothing
about them.
"""
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Iterable, Mapping, Tuple

import numpy as np
from sympy import Dummy, Expr, Integer, S, default_sort_key

from ..algebra import Density, Gaussian, IndexedVariable
from ..errors import DomainError
from .instances import _SCALES, FamilyModel, Skip, Unsupported, draw_families as draw_unmodelled
from .instances import random_family

if TYPE_CHECKING:
    from ..rules.models import Model
    from .evaluate import Structure

FREE, GIVEN, OTHER, GAUSSIAN = "free", "given", "other", "gaussian"
_WEIGHT = (0.3, 1.0)        # |weight| relative to child scale / parent scale


@dataclass(frozen=True)
class Node:
    """One variable of a network: how it is drawn from its parents."""
    variable: Expr
    parents: Tuple[Expr, ...]
    kind: str                               # FREE, GIVEN, OTHER or GAUSSIAN
    family: str = ""                        # OTHER: the family whose conditional it takes
    coefficients: Tuple[Expr, ...] = ()     # GAUSSIAN: weight of each parent
    offset: Expr = S.Zero
    variance: Expr = S.One


@dataclass(frozen=True)
class Network:
    family: str
    nodes: Tuple[Node, ...]                 # parents first; the model's given variables first
    needs: FrozenSet[str]                   # other families it takes conditionals from
    gaussians: Tuple[Expr, ...]             # concrete Gaussian factors (their parameters are drawn)


def _whole(e, values) -> int:
    v = e.xreplace(values)
    if not v.is_Integer:
        raise Unsupported(f"the model's bound {e} is no whole number at these sizes")
    return int(v)


def _concrete_factors(factor, values):
    """The factor's densities at whole ``values`` of the model's counts, one per child."""
    if factor.index is None:
        return [factor.density.xreplace(values)]
    t, lo, hi = factor.index
    return [factor.density.xreplace({**values, t: Integer(k)})
            for k in range(_whole(lo, values), _whole(hi, values) + 1)]


def _variable(node):
    """A concrete node of a model's graph as a variable: ('x', 3) or x_3 is x_3."""
    return IndexedVariable(*node) if isinstance(node, tuple) else node


def _child(density):
    return density.variable if isinstance(density, Gaussian) else density.variables[0]


def _gaussian_node(child, parents, density):
    """A Gaussian factor as weights, offset and variance: linear in its parents, or refused."""
    dummies = {p: Dummy() for p in parents}
    mean, variance = density.mean.xreplace(dummies), density.variance.xreplace(dummies)
    shown = f"N({density.variable}; {density.mean}, {density.variance})"
    if variance.free_symbols & set(dummies.values()):
        raise Unsupported(f"the variance of the factor {shown} depends on its parents: not a "
                          "linear-Gaussian model")
    coefficients = tuple(mean.diff(dummies[p]) for p in parents)
    if any(c.free_symbols & set(dummies.values()) for c in coefficients):
        raise Unsupported(f"the mean of the factor {shown} is not linear in its parents")
    offset = mean.xreplace({d: S.Zero for d in dummies.values()})
    return Node(child, tuple(parents), GAUSSIAN, "", coefficients, offset, variance)


def _network(model: "Model", sizes: Mapping[Any, int]) -> Network:
    """The model's network at ``sizes`` (memoized per model and the sizes of its counts)."""
    missing = [s for s in model.symbols if s not in sizes]
    if missing:
        raise Unsupported(f"the model of {model.family} has no size for {missing[0]}")
    return _network_at(model, frozenset((s, int(sizes[s])) for s in model.symbols))


@lru_cache(maxsize=1024)
def _network_at(model: "Model", sizes: FrozenSet[Tuple[Any, int]]) -> Network:
    drawn = dict(sizes)
    values = {s: Integer(drawn[s]) for s in model.symbols}
    try:
        concrete, graph = model.concrete(values)
        nodes = [_variable(n) for n in concrete]
        parents = {_variable(c): tuple(_variable(p) for p in ps) for c, ps in graph.items()}
        densities = {}
        for factor in model.factors:
            for density in _concrete_factors(factor, values):
                densities[_child(density)] = density
    except DomainError as exc:
        raise Skip(f"the model of {model.family} has no graph at these sizes ({exc})") from None
    given = [v for v in nodes if v not in densities]
    order, done = list(given), set(given)
    pending = [v for v in nodes if v not in done]
    while pending:          # parents first (the model is checked acyclic)
        for v in pending:
            if all(p in done for p in parents[v]):
                order.append(v)
                done.add(v)
                pending.remove(v)
                break
        else:
            raise Unsupported(f"the model of {model.family} is not acyclic at these sizes")
    out, needs, gaussians = [], set(), []
    for i, v in enumerate(order):
        density = densities.get(v)
        if density is None:
            out.append(Node(v, tuple(order[:i]), GIVEN))
        elif isinstance(density, Gaussian):
            out.append(_gaussian_node(v, parents[v], density))
            gaussians.append(density)
        elif isinstance(density, Density) and density.family != model.family:
            out.append(Node(v, tuple(parents[v]), OTHER, density.family))
            needs.add(density.family)
        else:
            out.append(Node(v, tuple(parents[v]), FREE))
    return Network(model.family, tuple(out), frozenset(needs), tuple(gaussians))


@dataclass
class Networks:
    """The networks a step needs at given sizes: those of its families' models, and of the
    families those models take conditionals from, in an order that builds each after them."""
    by_family: Dict[str, Network] = field(default_factory=dict)
    order: Tuple[str, ...] = ()
    requires: Dict[str, set] = field(default_factory=dict)   # family -> variables it must have

    @classmethod
    def plan(cls, models: Mapping[str, "Model"], sizes: Mapping[Any, int],
             families: Iterable[str]) -> "Networks":
        out = cls()
        todo = sorted(set(families) & set(models))
        while todo:
            name = todo.pop(0)
            if name in out.by_family:
                continue
            net = _network(models[name], sizes)
            out.by_family[name] = net
            out.requires.setdefault(name, set()).update(n.variable for n in net.nodes)
            for node in net.nodes:
                if node.kind == OTHER:
                    out.requires.setdefault(node.family, set()).update((node.variable,) + node.parents)
                    if node.family in models and node.family not in out.by_family:
                        todo.append(node.family)
        order, done = [], set()
        pending = sorted(out.by_family)
        while pending:
            for name in pending:
                if all(n == name or n not in out.by_family or n in done
                       for n in out.by_family[name].needs):
                    order.append(name)
                    done.add(name)
                    pending.remove(name)
                    break
            else:
                raise Unsupported("the models of " + ", ".join(pending) + " take conditionals "
                                  "from each other")
        out.order = tuple(order)
        return out

    def __bool__(self) -> bool:
        return bool(self.by_family)


# -- drawing -------------------------------------------------------------------------------------

def _scale(rng, scales):
    return float(np.exp(rng.uniform(np.log(scales[0]), np.log(scales[1]))))


def _add(mean, cov, i, parents, weights, offset, variance):
    """Variable i = weights . parents + offset + N(0, variance), into the joint (mean, cov)."""
    if parents:
        mean[i] = offset + weights @ mean[parents]
        cross = weights @ cov[parents, :i]
        cov[i, :i] = cross
        cov[:i, i] = cross
        cov[i, i] = weights @ cov[np.ix_(parents, parents)] @ weights + variance
    else:
        mean[i] = offset
        cov[i, i] = variance


def _random(rng, cov, parents, scales):
    """Random weights (never near 0: nothing independent that the graph does not make so),
    offset and noise variance, on the scale of the regime."""
    d = _scale(rng, scales)
    offset = float(rng.uniform(-1.0, 1.0))
    if not parents:
        return np.zeros(0), offset, d * d
    sd = np.sqrt(np.diag(cov)[parents])
    size = rng.uniform(*_WEIGHT, len(parents)) * rng.choice((-1.0, 1.0), len(parents))
    return size * d / sd / np.sqrt(len(parents)), offset, d * d


def _extend(rng, mean, cov, start, count, scales):
    """Variables start .. start + count - 1 as children of every variable before them."""
    for i in range(start, start + count):
        parents = list(range(i))
        w, b, v = _random(rng, cov, parents, scales)
        _add(mean, cov, i, parents, w, b, v)


def network_family(rng: np.random.Generator, net: Network, variables: Iterable[Any],
                   families: Mapping[str, FamilyModel], value: Callable[[Expr], float],
                   scales: Tuple[float, float]) -> FamilyModel:
    """The joint Gaussian of ``net`` over its nodes and ``variables`` (those it does not name
    come after, as children of everything)."""
    order = [n.variable for n in net.nodes]
    named = set(order)
    extras = [v for v in variables if v not in named]
    size = len(order) + len(extras)
    mean, cov = np.zeros(size), np.zeros((size, size))
    index: Dict[Any, int] = {}
    for i, node in enumerate(net.nodes):
        parents = [index[p] for p in node.parents]
        if node.kind == OTHER:
            source = families[node.family]
            mean_a, gain, mean_b, chol = source.conditional((node.variable,), node.parents)
            w = gain[0]
            _add(mean, cov, i, parents, w, float(mean_a[0] - w @ mean_b), float(chol[0, 0] ** 2))
        elif node.kind == GAUSSIAN:
            w = np.array([value(c) for c in node.coefficients], dtype=float)
            variance = value(node.variance)
            if not variance > 0:
                raise Skip(f"the variance {node.variance} of the factor of {node.variable} "
                           "is not positive here")
            _add(mean, cov, i, parents, w, value(node.offset), variance)
        else:
            w, b, v = _random(rng, cov, parents, scales)
            _add(mean, cov, i, parents, w, b, v)
        index[node.variable] = i
    _extend(rng, mean, cov, len(order), len(extras), scales)
    return FamilyModel(net.family, order + extras, mean, cov)


def draw_families(rng: np.random.Generator, structure: "Structure", networks: Networks,
                  value: Callable[[Expr], float], regime: int = 0) -> Dict[str, FamilyModel]:
    """One Gaussian per family: a network for each family with a model (after the families it
    takes conditionals from), a random joint Gaussian for the others.

    ``value`` evaluates a parameter expression on the instance. The regimes are those of
    ``instances.draw_instance``; in the odd ones the families without a model are marginals of
    one joint Gaussian, which extends the network of a model that takes nothing from other
    families when there is one (so q can equal p's conditional, and a KL vanish).
    """
    if not networks:
        return draw_unmodelled(rng, structure, regime)
    scales = _SCALES[(regime // 2) % 2]
    names = sorted(structure.families)
    families: Dict[str, FamilyModel] = {}
    unmodelled = [n for n in names if n not in networks.by_family]
    if len(names) > 1 and regime % 2 == 1 and unmodelled:
        union = sorted(set().union(*structure.families.values()), key=default_sort_key)
        base = next((n for n in networks.order if not networks.by_family[n].needs), None)
        if base is None:
            master = random_family(rng, "*", union, scales)
        else:
            built = network_family(rng, networks.by_family[base], structure.families[base],
                                   families, value, scales)
            families[base] = built
            rest = [v for v in union if v not in built.index]
            size = len(built.variables) + len(rest)
            mean, cov = np.zeros(size), np.zeros((size, size))
            n = len(built.variables)
            mean[:n], cov[:n, :n] = built.mean, built.cov
            _extend(rng, mean, cov, n, len(rest), scales)
            master = FamilyModel("*", built.variables + tuple(rest), mean, cov)
        for name in unmodelled:
            idx = [master.index[v] for v in structure.families[name]]
            families[name] = FamilyModel(name, structure.families[name], master.mean[idx],
                                         master.cov[np.ix_(idx, idx)])
    else:
        for name in unmodelled:
            families[name] = random_family(rng, name, structure.families[name], scales)
    for name in networks.order:
        if name not in families:
            families[name] = network_family(rng, networks.by_family[name],
                                            structure.families.get(name, ()), families, value,
                                            scales)
    return families


__all__ = ["GAUSSIAN", "GIVEN", "FREE", "OTHER", "Network", "Networks", "Node", "draw_families",
           "network_family"]
