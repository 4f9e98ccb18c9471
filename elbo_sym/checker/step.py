"""One step: ``lhs REL rhs`` with cited rules and assumptions, to a verdict.

Equalities are proven by equal normal forms; inequalities by a certificate. First only the
cited rules (plus algebra) are enabled; if that fails, all of them, and the rules that were
missing from the citation are named.
"""
import random
from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

from sympy import Expr, Indexed, Number, Sum, cancel, preorder_traversal, sympify
from sympy import Tuple as SympyTuple

from ..algebra import DensityBase, Expectation, SpaceIntegral
from ..errors import DomainError
from ..relations import REFUTED, UNKNOWN, VERIFIED, holds
from ..rules import RULE_NAMES, TooComplex
from ..rules.bounds import assumed, jensen_gaps, kl_candidates
from . import assumptions as assumptions_mod
from .certificates import find_certificate
from .normal_form import OPAQUE, NormalForm

_TOLERANCE = 1e-9


@dataclass(frozen=True)
class StepResult:
    verdict: str
    rules_cited: Tuple[str, ...] = ()
    rules_used: Tuple[str, ...] = ()
    missing: Tuple[str, ...] = ()       # rules the step needed beyond its citation
    reason: Optional[str] = None        # why it is not verified, in words
    residual: Optional[Expr] = None     # lhs - rhs in normal form, for a failing step
    counterexample: Tuple[Tuple[Expr, Expr], ...] = ()  # (symbol, value) pairs
    numeric: Optional[Any] = None       # the numeric judge's Outcome, when it ran
    inconsistent: bool = False          # the two judges disagree: a bug in elbo-check

    @property
    def verified(self):
        return self.verdict == VERIFIED


@dataclass
class _Attempt:
    holds: Optional[bool]   # True proven, False shown false, None undecided
    used: set = field(default_factory=set)
    residual: Optional[Expr] = None
    reason: Optional[str] = None
    counterexample: tuple = ()


def variables_of(expr):
    """(bound, names, sizes): the variables bound somewhere in ``expr`` by an expectation, an
    integral or a sum; the variables of its densities; the symbols that bound a sum."""
    bound, names, sizes = set(), set(), set()
    for node in preorder_traversal(expr):
        if isinstance(node, Expectation):
            bound.update(node.bound_variables)
        elif isinstance(node, SpaceIntegral):
            bound.update(node.variables)
        elif isinstance(node, Sum):
            for index, lo, hi in node.limits:
                bound.add(index)
                sizes.update(lo.free_symbols | hi.free_symbols)
        elif isinstance(node, DensityBase):
            names.update(node.variables + node.given)
    return bound, names, sizes


def _ordered(names):
    return tuple(n for n in RULE_NAMES if n in names)




def _satisfies(facts, values):
    """Whether every assumed fact is known to hold at ``values``."""
    for lhs, rel, rhs in facts:
        try:
            d = complex((lhs - rhs).xreplace(values).evalf(30))
        except (TypeError, ValueError, ZeroDivisionError):
            return False
        if abs(d.imag) > _TOLERANCE or not holds(d.real, rel, _TOLERANCE):
            return False
    return True


def _numeric_counterexample(residual, relation, sizes=(), facts=(), seed=0):
    """Values of the free symbols at which a residual free of opaque atoms breaks the step,
    every assumed fact holding there; ``sizes`` (symbols that bound a sum) take whole values
    from 1 to 5."""
    if residual.has(*OPAQUE, Indexed):
        return ()
    symbols = sorted(residual.free_symbols, key=str)
    rng = random.Random(seed)
    for _ in range(32):
        values = {}
        for s in symbols:
            if s in sizes:
                values[s] = Number(rng.randint(1, 5))
            elif s.is_positive:
                values[s] = Number(rng.randint(1, 30)) / 10
            elif s.is_nonnegative:
                values[s] = Number(rng.randint(0, 30)) / 10
            else:
                values[s] = Number(rng.randint(-20, 20)) / 10
        if not _satisfies([f for f in facts if f[0].free_symbols | f[2].free_symbols <= set(values)],
                          values):
            continue
        try:
            value = complex(residual.xreplace(values).evalf(30))
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if abs(value.imag) > _TOLERANCE:
            continue
        broken = abs(value.real) > _TOLERANCE if relation == "=" else value.real < -_TOLERANCE
        if relation in ("<", ">") and abs(value.real) <= _TOLERANCE:
            broken = True
        if broken:
            return tuple((s, values[s]) for s in symbols)
    return ()


def _attempt(lhs, relation, rhs, enabled, facts):
    nf = NormalForm(enabled)
    try:
        left, right = nf.of(lhs), nf.of(rhs)
        if relation == "=":
            residual = left - right
            if residual == 0:
                return _Attempt(True, set(nf.fired))
            if cancel(residual) == 0:
                return _Attempt(True, set(nf.fired))
            return _Attempt(None, set(nf.fired), residual, "the two sides differ (residual: left − right)")
        residual = left - right if relation in (">=", ">") else right - left
        strict = relation in (">", "<")
        pool = []
        if "kl-nonneg" in enabled:
            pool += kl_candidates([lhs, rhs])
        if "jensen" in enabled:
            pool += jensen_gaps([lhs, rhs])
        if "monotonicity" in enabled:
            pool += assumed(facts)
        normalized = [(rule, nf.of(term)) for rule, term in pool]
        certificate = find_certificate(residual, normalized, strict=strict)
        if certificate is not None:
            return _Attempt(True, set(nf.fired) | certificate.rules)
        return _Attempt(None, set(nf.fired), residual,
                        "no certificate: the larger side minus the smaller (the residual) is not a "
                        "nonnegative combination of the terms that "
                        + ", ".join(sorted({r for r, _ in pool}) or ["no rule"]) + " give")
    except TooComplex as exc:
        return _Attempt(None, set(nf.fired), None, str(exc))
    except RecursionError:
        return _Attempt(None, set(nf.fired), None, "the expression is nested too deeply to check")
    except DomainError as exc:  # evaluation revealed a degenerate object, e.g. N(y; 0, 0 c)
        return _Attempt(None, set(nf.fired), None, f"the step is not meaningful: {exc}")


def check_step(lhs, relation, rhs, cited=(), assumptions=()):
    """The verdict on ``lhs relation rhs``; ``assumptions`` are (lhs, rel, rhs) triples."""
    lhs, rhs = sympify(lhs, strict=True), sympify(rhs, strict=True)
    assumptions = [(sympify(a, strict=True), r, sympify(b, strict=True)) for a, r, b in assumptions]
    sizes = variables_of(SympyTuple(lhs, rhs))[2]
    bound, names, _ = variables_of(SympyTuple(lhs, rhs, *(e for a, _, b in assumptions for e in (a, b))))
    facts = assumptions_mod.build(assumptions, bound, names)
    sizes = {facts.apply(s) for s in sizes}
    lhs, rhs = facts.apply(lhs), facts.apply(rhs)
    cited = tuple(cited)
    everything = frozenset(RULE_NAMES)
    first = _attempt(lhs, relation, rhs, frozenset(cited) | {"algebra"}, facts.facts) if cited else None
    if first is not None and first.holds:
        return StepResult(VERIFIED, cited, _ordered(first.used | ({"algebra"} & set(cited))))
    full = _attempt(lhs, relation, rhs, everything, facts.facts)
    if full.holds:
        missing = set(full.used) - set(cited) - {"algebra"} if cited else set()
        for rule in sorted(missing):
            trial = frozenset(cited) | (missing - {rule}) | {"algebra"}
            if _attempt(lhs, relation, rhs, trial, facts.facts).holds:
                missing.discard(rule)
        used = (set(cited) & full.used) | missing if cited else full.used
        return StepResult(VERIFIED, cited, _ordered(used), _ordered(missing))
    residual = full.residual
    restore = facts.restore
    shown = residual.xreplace(restore) if residual is not None else None
    if residual is not None and residual.is_number and residual.is_comparable:
        wrong = residual != 0 if relation == "=" else residual < 0 or (relation in ("<", ">") and residual == 0)
        if wrong:
            return StepResult(REFUTED, cited, (), (), f"{full.reason}; it is the constant {shown}",
                              shown)
    if residual is not None:
        found = _numeric_counterexample(residual, relation, sizes, facts.facts)
        if found:
            values = tuple((s.xreplace(restore), v) for s, v in found)
            return StepResult(REFUTED, cited, (), (), full.reason, shown, values)
    return StepResult(UNKNOWN, cited, (), (), full.reason, shown)
