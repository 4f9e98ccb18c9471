"""The numeric judge: try to break ``lhs REL rhs`` on random Gaussian instances.

It never proves anything; it either finds an instance where the step fails (a counterexample a
person can read) or reports how many instances it survived. Whatever it cannot evaluate makes it
'not-applicable' rather than raising, so it can run behind every step of the symbolic checker.
"""
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterable, Optional, Sequence, Tuple

import numpy as np
from sympy import Symbol, default_sort_key, sympify

from ..algebra import Density, Gaussian
from ..errors import DomainError
from ..relations import EQ, GE, GT, LE, LT, canonical, holds
from .evaluate import TOLERANCE, Evaluator, size_symbols
from .facts import Plan, _fact_str
from .instances import Instance, Skip, TooCostly, Unsupported, size_choices, symbol_bounds
from .networks import draw_families

if TYPE_CHECKING:
    from ..derivation import ModelDeclaration
    from ..rules.models import Model

HOLDS, VIOLATED, NOT_APPLICABLE = "holds", "violated", "not-applicable"
_ATTEMPTS = 6          # per instance wanted: draws that break an assumption are rejected


@dataclass(frozen=True)
class Outcome:
    status: str                     # 'holds' | 'violated' | 'not-applicable'
    instances: int = 0              # instances actually evaluated
    counterexample: Optional[Tuple[Tuple[str, float], ...]] = None
    message: str = ""


def tolerance(left_scale: float, right_scale: float) -> float:
    """How far two sides may differ by rounding and quadrature error: relative to the size of
    the terms they were computed from (their scales), not to their values."""
    return TOLERANCE * (1 + left_scale + right_scale)


def _broken(left, right, relation, tol):
    """Whether ``left REL right`` fails beyond ``tol`` (strict relations conservatively)."""
    return not holds(left - right, relation if relation in (EQ, GE, LE) else
                     {GT: GE, LT: LE}[relation], tol)


def _fmt(v, digits):
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.{digits}g}"


def _message(pairs, left, right):
    """"violated at x = 0.31, ...: left = ..., right = ...", with enough digits to differ."""
    for digits in range(4, 18):
        if _fmt(left, digits) != _fmt(right, digits):
            break
    where = ", ".join(f"{n} = {_fmt(v, 4)}" for n, v in pairs)
    sides = f"left = {_fmt(left, digits)}, right = {_fmt(right, digits)}"
    return f"violated at {where}: {sides}" if where else f"violated: {sides}"


def judge(lhs: Any, relation: str, rhs: Any, assumptions: Iterable[Tuple[Any, str, Any]] = (),
          draws: int = 8, seed: int = 0, models: Sequence["ModelDeclaration"] = ()) -> Outcome:
    """Evaluate both sides on random instances; 'violated' at the first one that breaks the step.

    ``models``: the ``ModelDeclaration``s in force; a family with one is a random
    linear-Gaussian network with the declared graph (see ``networks``)."""
    relation = canonical(relation)
    try:
        return _judge(lhs, relation, rhs, assumptions, draws, seed, models)
    except KeyboardInterrupt:
        raise
    except Unsupported as exc:
        return Outcome(NOT_APPLICABLE, 0, None, f"not applicable: {exc}")
    except RecursionError:
        return Outcome(NOT_APPLICABLE, 0, None, "not applicable: the expression is nested too deeply")
    except Exception as exc:     # never crash the checker: a failure here only means "no opinion"
        return Outcome(NOT_APPLICABLE, 0, None,
                       f"not applicable: evaluation failed ({type(exc).__name__}: {exc})")


def _families(expr):
    return {d.family for d in expr.atoms(Density)}


_BUILT: Dict[Tuple[Any, ...], "Model"] = {}


def _declared(models, facts=()):
    """family -> Model for the declarations in force (built once per declaration), and for
    each assumed density equation that reads as a model of a family that has none
    (``assume q(z | x) = p_old(z | x)``, ``assume p(x, z) = p(x) p(z)``): the instances are
    built so that it holds. An assumption that reads as no model is only checked on them."""
    from ..rules.models import ModelError, build_model

    out: Dict[str, "Model"] = {}
    for decl in models:
        key = (decl.joint, tuple(decl.factors))
        if key not in _BUILT:
            try:
                _BUILT[key] = build_model(decl.joint, tuple(decl.factors))
            except ModelError as exc:
                raise Unsupported(f"the model of {decl.joint.family} is malformed ({exc})") from None
        out.setdefault(_BUILT[key].family, _BUILT[key])
    for a, relation, b in facts:
        for joint, factors in ((a, b), (b, a)) if relation == EQ else ():
            if isinstance(joint, Density) and joint.family not in out and factors.has(Density, Gaussian):
                try:
                    out[joint.family] = build_model(joint, (factors,))
                    break
                except DomainError:      # no model: a ModelError, or a density that is none
                    continue
    return out


def _model_symbols(model):
    out = set()
    for e in model.left + model.given:
        out |= e.atoms(Symbol)
    for f in model.factors:
        out |= f.density.atoms(Symbol)
        if f.index is not None:
            for e in f.index:
                out |= e.atoms(Symbol)
    return out


def _relevant_models(declared, exprs):
    """The models of the families in ``exprs``, and of the families their factors name,
    with their symbols renamed to the step's symbols of the same name."""
    names: Dict[str, Symbol] = {}
    for e in exprs:
        for s in sorted(e.atoms(Symbol), key=default_sort_key):
            names.setdefault(s.name, s)
    todo = sorted(set().union(*(_families(e) for e in exprs)))
    out = {}
    while todo:
        family = todo.pop(0)
        if family in out or family not in declared:
            continue
        model = declared[family]
        mapping = {s: names[s.name] for s in _model_symbols(model)
                   if s.name in names and names[s.name] != s}
        out[family] = model.xreplace(mapping) if mapping else model
        todo.extend(f.density.family for f in model.factors if isinstance(f.density, Density))
    return out


def _judge(lhs, relation, rhs, assumptions, draws, seed, models=()):
    lhs, rhs = sympify(lhs, strict=True), sympify(rhs, strict=True)
    facts = [(sympify(a, strict=True), canonical(r), sympify(b, strict=True))
             for a, r, b in assumptions]
    relevant = _relevant_models(_declared(models, facts),
                                [lhs, rhs] + [x for a, _, b in facts for x in (a, b)])
    found = size_symbols(lhs) | size_symbols(rhs)
    for model in relevant.values():
        found |= model.symbols
    sizes = sorted(found, key=default_sort_key)
    bounds = symbol_bounds(facts)
    choices = {s: size_choices(s, bounds) for s in sizes}
    rng = np.random.default_rng(seed)
    plans: Dict[Tuple[int, ...], Plan] = {}
    failed: Dict[Tuple[int, ...], str] = {}
    evaluated, attempts, skipped = 0, 0, None
    while evaluated < draws and attempts < _ATTEMPTS * draws:
        attempts += 1
        drawn = {s: int(rng.choice(choices[s])) for s in sizes}
        key = tuple(drawn.values())
        if key in failed:
            skipped = failed[key]
            continue
        try:
            if key not in plans:
                plans[key] = Plan(lhs, rhs, facts, drawn, relevant)
            plan = plans[key]
            values = plan.draw_values(rng)
            evaluator = Evaluator(Instance(dict(drawn), values, {}))
            instance = Instance(dict(drawn), values,
                                draw_families(rng, plan.structure, plan.networks,
                                              lambda e: evaluator.value(e)[0], attempts - 1))
            evaluator = Evaluator(instance)
            broken = plan.broken_fact(evaluator)
            if broken is not None:
                skipped = f"the draws did not satisfy the assumption {_fact_str(broken)}"
                continue
            (left, ml), (right, mr) = evaluator.value(plan.lhs), evaluator.value(plan.rhs)
        except (TooCostly, DomainError) as exc:     # these sizes only: others may do
            skipped = failed[key] = str(exc)
            continue
        except Skip as exc:
            skipped = str(exc)
            if key not in plans:
                failed[key] = skipped
            continue
        evaluated += 1
        if _broken(left, right, relation, tolerance(ml, mr)):
            pairs = instance.named_values(plan.shown)
            return Outcome(VIOLATED, evaluated, pairs + (("left", left), ("right", right)),
                           _message(pairs, left, right))
    if evaluated < 2:
        return Outcome(NOT_APPLICABLE, evaluated, None,
                       f"not applicable: only {evaluated} of {attempts} instances could be evaluated"
                       + (f" ({skipped})" if skipped else ""))
    return Outcome(HOLDS, evaluated, None, f"holds numerically on {evaluated} instances")
