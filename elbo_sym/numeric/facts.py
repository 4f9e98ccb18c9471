"""Assumptions and domain conditions on the draws: which facts speak of a step, and how to draw
values that satisfy them.

A fact is relevant when it shares a free variable or a density family with the step, directly or
through other relevant facts (``assume x >= exp(y)`` makes y relevant to a step in x). A fact
bounds one variable by an expression in others when one side is that variable, or when the
difference of its sides is linear in it with a numeric coefficient: ``x >= exp(y)`` draws x
above exp(y) once y is drawn, ``x = exp(y) + 1`` computes x, ``x + y = 1`` computes x from y.
Domain conditions (a variance positive, the argument of log positive) bound variables the same
way. Variables are drawn in dependency order; every relevant fact is then checked on the whole
instance, and a draw that breaks one is rejected, so a counterexample satisfies every
assumption.
"""
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Set, Tuple

import numpy as np
from sympy import Add, Basic, Expr, Indexed, Integer, Mul, S, Symbol, default_sort_key

from ..algebra import KL, DensityBase, Entropy, Expectation, SpaceIntegral
from ..relations import EQ, GE, GT, LE, LT, NE, holds, mirror
from .evaluate import TOLERANCE, Evaluator, Structure, _short, expand_sums
from .instances import Instance, Skip, Unsupported, interval_for, symbol_bounds
from .networks import Networks

if TYPE_CHECKING:
    from ..rules.models import Model

_MAX_INSTANTIATIONS = 64
_ELSEWHERE, _SPREAD = 4, 3.0   # a fact about densities is checked at 4 more points in [-3, 3]
_BINDERS = (DensityBase, Expectation, KL, Entropy, SpaceIntegral)


@dataclass
class Generator:
    """How one variable is drawn from those before it."""
    lower: List[Tuple[Basic, bool]] = field(default_factory=list)    # (expression, strict)
    upper: List[Tuple[Basic, bool]] = field(default_factory=list)
    equal: Optional[Basic] = None


def _fact_str(fact):
    from ..printing.text import text

    a, rel, b = fact
    return _short(f"{text(a)} {rel} {text(b)}", 80)


def _instantiate(fact, indices):
    """A fact about z_j (j free) stands for every element z_1, z_2, ... that the step has."""
    a, rel, b = fact
    symbolic = [x for x in (a.atoms(Indexed) | b.atoms(Indexed))
                if not all(i.is_Integer for i in x.indices)]
    if not symbolic:
        return [fact]
    names = sorted(set().union(*(i.free_symbols for x in symbolic for i in x.indices)),
                   key=default_sort_key)
    out = [fact]
    for name in names:
        out = [(x.xreplace({name: Integer(k)}), r, y.xreplace({name: Integer(k)}))
               for x, r, y in out for k in sorted(indices)]
        if len(out) > _MAX_INSTANTIATIONS:
            raise Unsupported(f"the assumption {_fact_str(fact)} stands for too many facts")
    return out


def _solve(difference, atom):
    """(c, rest) with difference = c atom + rest, c a nonzero number; None if not linear."""
    if not difference.has(atom):
        return None
    coefficient, rest = S.Zero, []
    for term in Add.make_args(difference):
        if not term.has(atom):
            rest.append(term)
            continue
        factors = Mul.make_args(term)
        if factors.count(atom) != 1:
            return None
        c = Mul(*[f for f in factors if f != atom])
        if not c.is_number or c.has(atom):
            return None
        coefficient += c
    if coefficient == 0 or not coefficient.is_extended_real:
        return None
    return coefficient, Add(*rest)


def _bounds_from(a, rel, b, atoms):
    """Candidate (atom, relation, expression) readings of ``a REL b`` as a bound on one atom."""
    out = []
    if isinstance(a, (Symbol, Indexed)) and a in atoms and not b.has(a):
        out.append((a, rel, b))
    if isinstance(b, (Symbol, Indexed)) and b in atoms and not a.has(b):
        out.append((b, mirror(rel), a))
    difference = a - b
    for atom in atoms:
        if out and out[0][0] == atom:
            continue
        solved = _solve(difference, atom)
        if solved is not None:
            c, rest = solved
            out.append((atom, rel if c > 0 else mirror(rel), -rest / c))
    return out


class Plan:
    """The atoms to draw, in dependency order, how each is drawn, and the facts to check."""

    def __init__(self, lhs: Expr, rhs: Expr, facts: Iterable[Tuple[Expr, str, Expr]],
                 sizes: Dict[Symbol, int], models: Optional[Dict[str, "Model"]] = None) -> None:
        """``facts``: (lhs, relation, rhs) with canonical relations, not yet expanded;
        ``models``: family -> ``Model`` (rules.models), its count symbols those of ``sizes``."""
        self.lhs, self.rhs = expand_sums(lhs, sizes), expand_sums(rhs, sizes)
        step = Structure().scan(self.lhs).scan(self.rhs).finish()
        indices = {i for x in step.free if isinstance(x, Indexed) for i in x.indices if i.is_Integer}
        scanned = []
        self.universal = {}     # fact -> the density variables it speaks of for every value
        for fact in facts:
            a, rel, b = fact
            try:
                a, b = expand_sums(a, sizes), expand_sums(b, sizes)
                for one in _instantiate((a, rel, b), {int(i) for i in indices}):
                    s = Structure().scan(one[0]).scan(one[2]).finish()
                    scanned.append((one, set(s.free), set(s.families)))
                    moved = tuple(x for x in s.free if x in s.variables)
                    if moved:
                        self.universal[one] = moved
            except Unsupported as exc:
                names = {str(x) for x in (fact[0].free_symbols | fact[2].free_symbols)}
                if names & {str(x) for x in step.free} | {str(x) for x in sizes}:
                    raise Unsupported(f"the assumption {_fact_str(fact)} cannot be evaluated ({exc})") from None
        # a family an assumption names is built from its model too (an assumed density
        # equation is one: q(z | x) = p_old(z | x))
        named = set(step.families).union(*(ff for _, _, ff in scanned))
        self.networks = Networks.plan(models or {}, sizes, named)
        gaussians = [(g, frozenset(n.variable for n in net.nodes))
                     for net in self.networks.by_family.values() for g in net.gaussians]
        params = Structure()
        for g, nodes in gaussians:
            params.scan(g, nodes)
        params.finish()
        # facts connected to the step through variables or families, transitively
        atoms = set(step.free) | set(params.free)
        families = set(step.families) | set(self.networks.requires)
        relevant, constant, left = [], [], scanned
        changed = True
        while changed:
            changed, rest = False, []
            for one, fa, ff in left:
                if not fa and not ff:
                    constant.append(one)
                elif fa & atoms or ff & families:
                    relevant.append(one)
                    atoms |= fa
                    families |= ff
                    changed = True
                else:
                    rest.append((one, fa, ff))
            left = rest
        self.checks = tuple(relevant + constant)
        self.bounds = symbol_bounds(relevant)
        full = Structure().scan(self.lhs).scan(self.rhs)
        for a, _, b in relevant:
            full.scan(a).scan(b)
        for g, nodes in gaussians:
            full.scan(g, nodes)
        for family, variables in self.networks.requires.items():
            full.families.setdefault(family, set()).update(variables)
        self.structure = full.finish()
        self.shown = step.free + tuple(sorted(set(self.structure.free) - set(step.free),
                                              key=default_sort_key))
        position = {x: i for i, x in enumerate(self.shown)}
        self.generators: Dict[Basic, Generator] = {}
        depends: Dict[Any, Set[Any]] = {x: set() for x in self.shown}
        numeric = {(x, r) for x, r, _ in self.bounds}

        def reaches(start, goal):
            seen, todo = set(), [start]
            while todo:
                x = todo.pop()
                if x == goal:
                    return True
                if x not in seen:
                    seen.add(x)
                    todo.extend(depends.get(x, ()))
            return False

        readings = [(f, True) for f in relevant] + \
            [((c, r, S.Zero), False) for c, r in self.structure.conditions]
        for (a, rel, b), _ in readings:
            if rel == NE:
                continue
            for atom, r, expr in _bounds_from(a, rel, b, self.shown):
                if expr.has(*_BINDERS):
                    continue
                if expr.is_number and (atom, r) in numeric:
                    break        # a numeric bound the interval already has
                needs = expr.free_symbols & set(self.shown) | \
                    {x for x in expr.atoms(Indexed) if x in position}
                if any(reaches(n, atom) for n in needs):
                    continue
                gen = self.generators.setdefault(atom, Generator())
                if gen.equal is not None:
                    break
                if r == EQ:
                    gen.equal = expr
                elif r in (GE, GT):
                    gen.lower.append((expr, r == GT))
                else:
                    gen.upper.append((expr, r == LT))
                depends[atom] |= needs
                break
        self.order = _topological(self.shown, depends, position)
        self._points = np.random.default_rng(len(self.shown))    # for ``_elsewhere``

    def draw_values(self, rng: np.random.Generator) -> Dict[object, float]:
        """Values for every atom to draw, each within its bounds; ``Skip`` if none fits."""
        values: Dict[object, float] = {}
        evaluator = Evaluator(Instance({}, values, {}))
        for atom in self.order:
            iv = interval_for(atom, self.bounds, atom in self.structure.positive)
            gen = self.generators.get(atom)
            if gen is None:
                values[atom] = np.float64(iv.draw(rng, atom))
                continue
            if gen.equal is not None:
                values[atom] = np.float64(evaluator.value(gen.equal, values)[0])
                continue
            for expr, strict in gen.lower:
                iv = iv.above(evaluator.value(expr, values)[0], strict)
            for expr, strict in gen.upper:
                iv = iv.below(evaluator.value(expr, values)[0], strict)
            try:
                values[atom] = np.float64(iv.draw(rng, atom))
            except Unsupported as exc:
                raise Skip(str(exc)) from None
        return values

    def broken_fact(self, evaluator: Evaluator) -> Optional[Tuple[Expr, str, Expr]]:
        """The first relevant fact that does not hold on the instance, or None.

        A fact holds within the rounding error of its own terms (no absolute slack: two
        densities of 1e-5 that differ by half are not equal). A fact about densities holds
        for every value of their variables: it is checked at the drawn values and at
        ``_ELSEWHERE`` other points (a density equation that two Gaussians meet at one point
        only is broken)."""
        values = evaluator.instance.values
        for fact in self.checks:
            if not _fact_holds(evaluator, fact, values):
                return fact
            for env in self._elsewhere(fact, values):
                if not _fact_holds(evaluator, fact, env):
                    return fact
        return None

    def _elsewhere(self, fact, values):
        """Environments with the fact's density variables moved to other points of the line
        (whatever other facts say of their free occurrences: the densities are equal as
        functions)."""
        moved = self.universal.get(fact, ())
        for _ in range(_ELSEWHERE if moved else 0):
            env = dict(values)
            env.update({atom: np.float64(self._points.uniform(-_SPREAD, _SPREAD)) for atom in moved})
            yield env


def _fact_holds(evaluator, fact, env):
    a, rel, b = fact
    (va, ma), (vb, mb) = evaluator.value(a, env), evaluator.value(b, env)
    return holds(va - vb, rel, TOLERANCE * (ma + mb))


def _topological(atoms, depends, position):
    """``atoms`` with each after those it depends on, otherwise in their given order."""
    order: List[Any] = []
    done: Set[Any] = set()
    pending = list(atoms)
    while pending:
        for atom in pending:
            if depends[atom] <= done | {atom}:
                order.append(atom)
                done.add(atom)
                pending.remove(atom)
                break
        else:       # a cycle: never built (each edge is checked), but stay total
            order.extend(pending)
            break
    return tuple(order)


__all__ = ["Generator", "Plan", "_fact_str"]
