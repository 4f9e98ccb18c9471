"""One step: ``lhs REL rhs`` with cited rules and assumptions, to a verdict.

Equalities are proven by equal normal forms; inequalities by a certificate. First only the
cited rules (plus algebra) are enabled; if that fails, all of them, and the rules that were
missing from the citation are named. A step is checked where its terms are defined (see
``context``); a term with no value (a division by zero) leaves it unknown.
"""
from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

from sympy import Expr, S, cancel, sympify

from ..errors import DomainError
from ..relations import EQ, REFUTED, STRICT, UNKNOWN, VERIFIED, canonical, orient
from ..rules import RULE_NAMES, TooComplex
from ..rules.bounds import assumed, expected_kls, jensen_gaps, kl_candidates
from . import counterexample
from .certificates import find_certificate
from .context import StepContext, prepare
from .normal_form import GROWTH, MAX_BITS, OPAQUE, NormalForm, largest_bits

_NO_VALUE = (S.ComplexInfinity, S.NaN, S.Infinity, S.NegativeInfinity)


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
    conditions: Tuple[Tuple[Expr, str, Expr], ...] = ()  # where the step's terms are defined

    @property
    def verified(self):
        return self.verdict == VERIFIED


@dataclass
class _Attempt:
    holds: Optional[bool]   # True proven, None undecided
    used: set = field(default_factory=set)
    residual: Optional[Expr] = None
    reason: Optional[str] = None


def _ordered(names):
    return tuple(n for n in RULE_NAMES if n in names)


def _no_value(expr):
    return expr.has(*_NO_VALUE)


NO_VALUE_REASON = "a term has no value (a division by zero, or an infinite or undefined result)"


def _equations(ctx, nf):
    """("algebra", A - B) and ("algebra", B - A) in normal form for each ``assume A = B``:
    an assumed equation may be used in both directions, whatever rules a step cites."""
    out = []
    for a, rel, b in ctx.facts.facts:
        if rel == EQ:
            d = nf.of(a - b)
            if d != 0 and not _no_value(d):
                out += [("algebra", d), ("algebra", -d)]
    return out


def _rewrite_by_equations(ctx, residual, nf):
    """``residual`` with each assumed equation whose one side is a single atom (a variable,
    an expectation...) used as a rewrite of that atom into the other side."""
    mapping = {}
    for a, rel, b in ctx.facts.facts:
        if rel != EQ:
            continue
        a, b = nf.of(a), nf.of(b)
        if a.is_Atom or not a.args or isinstance(a, OPAQUE):
            mapping.setdefault(a, b)
        elif b.is_Atom or isinstance(b, OPAQUE):
            mapping.setdefault(b, a)
    if not mapping:
        return None
    return nf.canonical(residual.xreplace(mapping))


def _equality(ctx, left, right, nf):
    residual = nf.canonical(left - right)
    if residual == 0 or cancel(residual) == 0:
        return _Attempt(True, set(nf.fired))
    equations = _equations(ctx, nf)
    if equations:
        found = find_certificate(residual, equations)
        if found is not None and found.rest == 0:
            return _Attempt(True, set(nf.fired))
        rewritten = _rewrite_by_equations(ctx, residual, nf)
        if rewritten is not None and (rewritten == 0 or cancel(rewritten) == 0):
            return _Attempt(True, set(nf.fired))
    return _Attempt(None, set(nf.fired), residual, "the two sides differ (residual: left − right)")


def _inequality(ctx, relation, left, right, nf, enabled):
    larger, smaller = orient(left, relation, right)
    residual = nf.canonical(larger - smaller)
    pool = []
    if "kl-nonneg" in enabled:
        pool += kl_candidates([ctx.lhs, ctx.rhs]) + expected_kls([ctx.lhs, ctx.rhs])
    if "jensen" in enabled:
        pool += jensen_gaps([ctx.lhs, ctx.rhs])
    if "monotonicity" in enabled:
        pool += assumed(ctx.facts.facts)
    pool += _equations(ctx, nf)
    normalized = [(rule, term if rule == "algebra" else nf.of(term)) for rule, term in pool]
    normalized = [(rule, term) for rule, term in normalized if not _no_value(term)]
    certificate = find_certificate(residual, normalized, strict=relation in STRICT)
    if certificate is not None:
        return _Attempt(True, set(nf.fired) | certificate.rules)
    return _Attempt(None, set(nf.fired), residual,
                    "no certificate: the larger side minus the smaller (the residual) is not a "
                    "nonnegative combination of the terms that "
                    + ", ".join(sorted({r for r, _ in pool}) or ["no rule"]) + " give")


def _attempt(ctx: StepContext, relation: str, enabled) -> _Attempt:
    nf = NormalForm(enabled, ctx.model_map, ctx.facts.facts,
                    guard=largest_bits((ctx.lhs, ctx.rhs)) * GROWTH > MAX_BITS)
    try:
        left, right = nf.of(ctx.lhs), nf.of(ctx.rhs)
        if _no_value(left) or _no_value(right):
            return _Attempt(None, set(nf.fired), None, NO_VALUE_REASON)
        if relation == EQ:
            return _equality(ctx, left, right, nf)
        return _inequality(ctx, relation, left, right, nf, enabled)
    except TooComplex as exc:
        return _Attempt(None, set(nf.fired), None, str(exc))
    except RecursionError:
        return _Attempt(None, set(nf.fired), None, "the expression is nested too deeply to check")
    except DomainError as exc:  # evaluation revealed a degenerate object, e.g. N(y; 0, 0 c)
        return _Attempt(None, set(nf.fired), None, f"the step is not meaningful: {exc}")


def _verified(ctx, relation, cited):
    """The VERIFIED result, or None: cited rules (and algebra) first, then every rule."""
    everything = frozenset(RULE_NAMES)
    if cited:
        first = _attempt(ctx, relation, frozenset(cited) | {"algebra"})
        if first.holds:
            return StepResult(VERIFIED, cited, _ordered(first.used | ({"algebra"} & set(cited))),
                              conditions=ctx.conditions), None
    full = _attempt(ctx, relation, everything)
    if not full.holds:
        return None, full
    missing = set(full.used) - set(cited) - {"algebra"} if cited else set()
    for rule in sorted(missing):
        trial = frozenset(cited) | (missing - {rule}) | {"algebra"}
        if _attempt(ctx, relation, trial).holds:
            missing.discard(rule)
    used = (set(cited) & full.used) | missing if cited else full.used
    return StepResult(VERIFIED, cited, _ordered(used), _ordered(missing),
                      conditions=ctx.conditions), None


def _failure(ctx, relation, cited, attempt):
    """The verdict on a step no attempt proved: refuted by a constant residual of the wrong
    sign or by a counterexample that respects every fact, else unknown."""
    residual = attempt.residual
    restore = ctx.restore
    shown = residual.xreplace(restore) if residual is not None else None
    base = dict(rules_cited=cited, reason=attempt.reason, residual=shown, conditions=ctx.conditions)
    if residual is not None and residual.is_number and residual.is_comparable:
        value = float(residual)
        if counterexample.breaks(value, relation):
            return StepResult(REFUTED, **{**base, "reason": f"{attempt.reason}; it is the constant {shown}"})
    if residual is not None:
        found = counterexample.search(residual, relation, ctx.facts.facts)
        if found:
            return StepResult(REFUTED, counterexample=_as_written(ctx, dict(found)), **base)
    return StepResult(UNKNOWN, **base)


def _as_written(ctx, found):
    """A counterexample in the variables as written: a variable an assumption shifted
    (beta = 1 + beta_shift) gets its own value back."""
    substitution = ctx.facts.substitution
    fresh = set().union(*(image.free_symbols for image in substitution.values())) \
        if substitution else set()
    out = [(s.xreplace(ctx.restore), v) for s, v in found.items() if s not in fresh]
    for original, image in substitution.items():
        if image.free_symbols and image.free_symbols <= set(found):
            out.append((original.xreplace(ctx.restore), image.xreplace(found)))
    return tuple(sorted(out, key=lambda pair: str(pair[0])))


def check_step(lhs, relation, rhs, cited=(), assumptions=(), models=()) -> StepResult:
    """The verdict on ``lhs relation rhs``; ``assumptions`` are (lhs, rel, rhs) triples,
    ``models`` the declared ``ModelDeclaration``s in force."""
    relation = canonical(relation)
    lhs, rhs = sympify(lhs, strict=True), sympify(rhs, strict=True)
    assumptions = [(sympify(a, strict=True), canonical(r), sympify(b, strict=True))
                   for a, r, b in assumptions]
    cited = tuple(cited)
    ctx = prepare(lhs, rhs, assumptions, models)
    if _no_value(ctx.lhs) or _no_value(ctx.rhs):
        return StepResult(UNKNOWN, cited, reason=NO_VALUE_REASON, conditions=ctx.conditions)
    result, failed = _verified(ctx, relation, cited)
    return result if result is not None else _failure(ctx, relation, cited, failed)
