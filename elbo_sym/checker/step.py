"""One step: ``lhs REL rhs`` with cited rules and assumptions, to a verdict.

Equalities are proven by equal normal forms; inequalities by a certificate. First only the
cited rules (plus algebra) are enabled; if that fails, all of them, and the rules that were
missing from the citation are named. A step is checked where its terms are defined (see
``context``); a term with no value (a division by zero) leaves it unknown.
"""
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Iterable, Optional, Sequence, Tuple

from sympy import Add, Expr, Mul, S, Sum, cancel, log, sympify

from ..algebra import Density, Expectation
from ..algebra.densities import DensityBase
from ..errors import DomainError
from ..relations import (EQ, GE, GT, LE, LT, NE, REFUTED, STRICT, UNKNOWN, VERIFIED, canonical,
                         holds, orient)
from ..rules import RULE_NAMES, TooComplex
from ..rules.bounds import assumed, expected_kls, jensen_gaps, kl_candidates
from . import counterexample
from .certificates import find_certificate
from .context import ChainContext, StepContext, chain_context, remember
from ..printing.text import text
from .normal_form import GROWTH, MAX_BITS, OPAQUE, NormalForm, largest_bits

if TYPE_CHECKING:
    from ..derivation import ModelDeclaration
    from ..numeric.judge import Outcome
    from .explain import Suggestion

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
    numeric: Optional["Outcome"] = None  # the numeric judge's Outcome, when it ran
    inconsistent: bool = False          # the two judges disagree: a bug in elbo-check
    conditions: Tuple[Tuple[Expr, str, Expr], ...] = ()  # where the step's terms are defined
    hint: Optional[str] = None          # what would make a failing step hold, in words
    hint_model: Optional["ModelDeclaration"] = None  # and the model line that says it, if any
    suggestions: Tuple["Suggestion", ...] = ()  # nearby steps that hold (explain), when failing

    @property
    def verified(self) -> bool:
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
    mapping: Dict[Expr, Expr] = {}
    for a, rel, b in ctx.facts.facts:
        if rel != EQ:
            continue
        a, b = nf.of(a), nf.of(b)
        if _rewritable(a):
            mapping.setdefault(a, b)
        elif _rewritable(b):
            mapping.setdefault(b, a)
    if not mapping:
        return None
    # chained equations (a = b, b = 2) are followed one rewrite per round, a bounded number
    for _ in range(len(mapping)):
        rewritten = nf.of(residual.xreplace(mapping))
        if rewritten == residual or rewritten == 0 or cancels(rewritten):
            return rewritten
        residual = rewritten
    return residual


_CANCELS: Dict[Expr, bool] = {}
_CANCELS_KEPT = 4096


def cancels(residual: Expr) -> bool:
    """Whether ``residual`` is 0 as a rational function (sympy's ``cancel``, remembered: the
    answer depends on the expression alone, and a warm process meets the same residuals)."""
    found = _CANCELS.get(residual)
    if found is None:
        found = remember(_CANCELS, residual, cancel(residual) == 0, _CANCELS_KEPT)
    return found


def _rewritable(e):
    """A side of an equation that stands whole in normal forms, so it can be found and
    rewritten: a variable, an expectation or density, or the log of one (log q(z_1))."""
    if e.is_Atom or isinstance(e, OPAQUE):
        return True
    return isinstance(e, log) and isinstance(e.args[0], OPAQUE)


def _equality(ctx, left, right, nf):
    residual = nf.canonical(left - right)
    if residual == 0 or cancels(residual):
        return _Attempt(True, set(nf.fired))
    equations = _equations(ctx, nf)
    if equations:
        found = find_certificate(residual, equations)
        if found is not None and found.rest == 0:
            return _Attempt(True, set(nf.fired))
        rewritten = _rewrite_by_equations(ctx, residual, nf)
        if rewritten is not None and (rewritten == 0 or cancels(rewritten)):
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


def _density_rewrites(facts) -> dict:
    """For each assumed equation with a density alone on one side (``assume q(z | x) =
    p_old(z | x)``, ``assume p(x, z) = p(x) p(z)``), that density mapped to the other side: the
    assumption used as a rewrite, inside expectations and their measures too (equal densities
    are equal as functions of all their variables, so the replacement keeps every value)."""
    mapping: dict = {}
    for a, rel, b in facts:
        if rel != EQ:
            continue
        for one, other in ((a, b), (b, a)):
            if isinstance(one, DensityBase) and one not in mapping and not other.has(one) \
                    and not other.has(*mapping) \
                    and not any(v.has(one) for v in mapping.values()):  # no cycle: q=r, r=q
                mapping[one] = other
                break
    return mapping


def _attempt(ctx: StepContext, relation: str, enabled) -> _Attempt:
    rewrites = _density_rewrites(ctx.facts.facts)
    if rewrites:
        from dataclasses import replace as _replace

        ctx = _replace(ctx, lhs=_rewrite_densities(ctx.lhs, rewrites),
                       rhs=_rewrite_densities(ctx.rhs, rewrites))
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


def _rewrite_densities(expr: Expr, rewrites: dict) -> Expr:
    """``expr`` with the assumed densities replaced until nothing changes (a bounded number of
    rounds: one per rewrite, so that chained assumptions q = r, r = s reach s)."""
    for _ in range(len(rewrites)):
        new = expr.xreplace(rewrites)
        if new == expr:
            break
        expr = new
    return expr


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


def as_conditionals(expr: Expr) -> Expr:
    r"""``expr`` with c log F(S) - c log F(T), T inside S, written back as c log F(S \ T | T):
    a residual in the user's conditionals (log q(z | x)), not in the joints the normal form
    keeps (log q(x, z) - log q(x)). The same value, for reading only."""
    if isinstance(expr, Expectation):
        return Expectation(as_conditionals(expr.integrand), expr.density)
    if isinstance(expr, Sum):
        return Sum(as_conditionals(expr.function), *expr.limits)
    if not isinstance(expr, Add):
        return expr.func(*[as_conditionals(a) for a in expr.args]) if expr.args and \
            isinstance(expr, Mul) else expr
    logs, rest = [], []
    for term in Add.make_args(expr):
        coeff, factor = term.as_coeff_Mul()
        if isinstance(factor, log) and isinstance(factor.args[0], Density) \
                and not factor.args[0].is_conditional:
            logs.append([coeff, factor.args[0]])
        else:
            rest.append(as_conditionals(term))
    logs.sort(key=lambda item: -len(item[1].variables))
    used = set()
    for i, (c, big) in enumerate(logs):
        if i in used:
            continue
        best = None
        for j, (d, small) in enumerate(logs):
            if j in used or j == i or d != -c or small.family != big.family:
                continue
            if set(small.variables) < set(big.variables) and \
                    (best is None or len(small.variables) > len(logs[best][1].variables)):
                best = j
        if best is not None:
            used |= {i, best}
            small = logs[best][1]
            left = [v for v in big.variables if v not in small.variables]
            rest.append(c * log(Density(big.args[0], left, small.variables)))
    rest += [c * log(d) for k, (c, d) in enumerate(logs) if k not in used]
    return Add(*rest)


def _densities(ctx):
    return sorted({d for e in (ctx.lhs, ctx.rhs) for d in e.atoms(Density)}, key=str)


def _holds_with(ctx, relation, mapping):
    from dataclasses import replace as _replace

    trial = _replace(ctx, lhs=ctx.lhs.xreplace(mapping), rhs=ctx.rhs.xreplace(mapping))
    return _attempt(trial, relation, frozenset(RULE_NAMES)).holds


def _hint(ctx, relation):
    """(words, model) when the step would hold if two families were one, or if a conditioning
    variable could be dropped (an independence the user has not declared)."""
    from ..derivation import ModelDeclaration

    densities = _densities(ctx)
    families = sorted({d.family for d in densities})
    for f, g in ((f, g) for f in families for g in families if f < g):
        if f in ctx.model_map and g in ctx.model_map:
            continue
        mapping = {d: Density(f, d.variables, d.given) for d in densities if d.family == g}
        if not _holds_with(ctx, relation, mapping):
            continue
        words = f"the step holds if {f} and {g} are one family: declare how they relate"
        ours = {v for d in densities if d.family == f for v in d.variables + d.given}
        theirs = {v for d in densities if d.family == g for v in d.variables + d.given}
        if len(theirs) > len(ours):          # the model is written for the larger family
            f, g, ours, theirs = g, f, theirs, ours
        left = sorted(ours - theirs, key=str)
        if len(theirs) == 1 and len(left) == 1 and theirs < ours:
            (a,), (b,) = sorted(theirs, key=str), left
            model = ModelDeclaration(Density(f, (a, b)), (Density(f, (b,), (a,)), Density(g, (a,))))
            return words, model
        return words, None
    for d in densities:
        if len(d.given) < 2 or d.family in ctx.model_map:
            continue
        for b in d.given:
            rest = [g for g in d.given if g != b]
            if _holds_with(ctx, relation, {d: Density(d.args[0], d.variables, rest)}):
                shown = lambda vs: ", ".join(str(v.xreplace(ctx.restore)) for v in vs)  # noqa: E731
                return (f"the step holds if, under {d.family}, {shown(d.variables)} is independent "
                        f"of {shown([b])} given {shown(rest)}: declare a model that implies it "
                        f"(a factor {d.family}({shown(d.variables)} | {shown(rest)}))"), None
    return None, None


def _failure(ctx, relation, cited, attempt):
    """The verdict on a step no attempt proved: refuted by a constant residual of the wrong
    sign or by a counterexample that respects every fact, else unknown."""
    residual = attempt.residual
    restore = ctx.restore
    shown = as_conditionals(residual).xreplace(restore) if residual is not None else None
    base = dict(rules_cited=cited, reason=attempt.reason, residual=shown, conditions=ctx.conditions)
    if residual is not None and residual.is_number and \
            counterexample.sign_breaks(counterexample.sign_of(residual), relation):
        return StepResult(REFUTED, **{**base, "reason": f"{attempt.reason}; it is the constant {text(shown)}"})
    if residual is not None:
        found = counterexample.search(residual, relation, ctx.facts.facts, terms=(ctx.lhs, ctx.rhs))
        if found:
            words, model = _hint(ctx, relation)
            return StepResult(REFUTED, counterexample=_as_written(ctx, dict(found)), hint=words,
                              hint_model=model, **base)
    words, model = _hint(ctx, relation) if residual is not None else (None, None)
    return StepResult(UNKNOWN, hint=words, hint_model=model, **base)


def _false_fact(ctx):
    """An assumed fact about numbers alone that is false (``assume log(pi) <= 1/7``): under it
    every step is vacuous, and no counterexample could satisfy it."""
    for fact in ctx.facts.facts:
        if _remembered(ctx, _is_false, fact):
            lhs, rel, rhs = fact
            return f"{text(lhs.xreplace(ctx.restore))} {rel} {text(rhs.xreplace(ctx.restore))}"
    return None


def _remembered(ctx, test, fact) -> bool:
    """``test(*fact)``, remembered for the chain (it depends on the applied fact alone)."""
    key = (test, fact)
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = test(*fact)
    return found


def _is_false(lhs, rel, rhs) -> bool:
    d = lhs - rhs
    if d.free_symbols or d.has(*OPAQUE):
        return False
    try:
        value = complex(d.evalf(30))
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    return abs(value.imag) <= 1e-12 and not holds(value.real, rel, 1e-12 if rel == EQ else 0.0)


def _impossible_fact(ctx):
    """An assumption or domain condition that the others make impossible (``assume x > 0`` with
    ``assume x < 0``; ``assume x < 0`` with ``log(x)`` in the step): sympy, knowing the signs
    the other facts gave, decides it false. Under such facts every step is vacuous."""
    for fact in ctx.facts.facts:
        if _remembered(ctx, _is_impossible, fact):
            lhs, rel, rhs = fact
            restored = (lhs.xreplace(ctx.restore), rhs.xreplace(ctx.restore))
            return f"{text(restored[0])} {rel} {text(restored[1])}"
    return None


def _is_impossible(lhs, rel, rhs) -> bool:
    d = lhs - rhs
    return bool(d.free_symbols) and not d.has(*OPAQUE) and _cannot_hold(d, rel)


def _cannot_hold(d, rel) -> bool:
    """Whether ``d REL 0`` is false for every value sympy allows ``d``'s symbols."""
    if rel == EQ:
        return d.is_zero is False
    if rel == NE:
        return d.is_zero is True
    known = {GT: d.is_extended_nonpositive, GE: d.is_extended_negative,
             LT: d.is_extended_nonnegative, LE: d.is_extended_positive}[rel]
    return known is True


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


def check_step(lhs: Expr, relation: str, rhs: Expr, cited: Iterable[str] = (),
               assumptions: Iterable[Tuple[Expr, str, Expr]] = (),
               models: Sequence["ModelDeclaration"] = (), *,
               context: Optional[ChainContext] = None) -> StepResult:
    """The verdict on ``lhs relation rhs``; ``assumptions`` are (lhs, rel, rhs) triples,
    ``models`` the declared ``ModelDeclaration``s in force. ``context``: the chain's
    assumptions and models prepared once (``ChainContext``), used instead of the two."""
    relation = canonical(relation)
    lhs, rhs = sympify(lhs, strict=True), sympify(rhs, strict=True)
    cited = tuple(cited)
    if context is None:
        context = chain_context(assumptions, models)
    ctx = context.prepare(lhs, rhs)
    false = _false_fact(ctx)
    if false is not None:
        return StepResult(UNKNOWN, cited, reason="the assumptions cannot all hold: "
                          f"{false} is false, so the step says nothing", conditions=ctx.conditions)
    impossible = _impossible_fact(ctx)
    if impossible is not None:
        return StepResult(UNKNOWN, cited, reason="the assumptions and the conditions where the "
                          f"step's terms are defined cannot all hold: {impossible} contradicts "
                          "the others, so the step says nothing", conditions=ctx.conditions)
    if ctx.no_value or _no_value(ctx.lhs) or _no_value(ctx.rhs):
        return StepResult(UNKNOWN, cited, reason=NO_VALUE_REASON, conditions=ctx.conditions)
    result, failed = _verified(ctx, relation, cited)
    return result if result is not None else _failure(ctx, relation, cited, failed)
