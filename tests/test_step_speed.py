"""What a warm process remembers between checks (issue 18): a chain's prepared assumptions
and steps, the residuals that cancel, the numeric judge's outcomes. Each is keyed on exactly
what it depends on, is computed once per key across checks, and never changes a verdict,
a residual, a counterexample or a numeric outcome."""
from pathlib import Path

import pytest

import elbo_sym.numeric as numeric
from elbo_sym.checker import check_derivation, clear_caches
from elbo_sym.checker import context as context_mod
from elbo_sym.checker import numeric_pass
from elbo_sym.checker import step as step_mod
from elbo_sym.checker.limits import StepTimeout
from elbo_sym.parser import parse_text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

CHAIN = """assume s > 0
assume b = c + 1

derivation warm "A chain checked twice"
  log p(x)
  = log p(x, z) - log p(z | x)    by product-rule
  = log p(x) + b - c - 1    by bayes-rule
  = log p(x) + (s^2 - 1) / (s - 1) - s - 1    by algebra
  = log p(x)    by algebra
  >= log p(x) - KL(q(z | x) || p(z | x))    by kl-nonneg
"""

WRONG = """assume s > 0

derivation wrong "A false step"
  log p(x)
  = log p(x, z) - log p(x | z)    by product-rule
"""


@pytest.fixture(autouse=True)
def _cold():
    clear_caches()
    yield
    clear_caches()


def _check(text, **options):
    (d,) = parse_text(text, "chain.deriv")
    return check_derivation(d, numeric=True, **options)


def _spy(monkeypatch, owner, name):
    calls = []
    real = getattr(owner, name)

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return calls


def _steps(result):
    return [(s.verdict, s.rules_used, s.missing, s.reason, s.residual, s.counterexample,
             s.numeric, s.conditions, s.hint, s.suggestions) for s in result.steps]


def test_a_second_check_of_the_same_text_prepares_no_step_again(monkeypatch):
    prepared = _spy(monkeypatch, context_mod.ChainContext, "_prepare")
    first = _check(CHAIN, explain=False)
    assert [s.verdict for s in first.steps] == ["verified"] * 5
    assert len(prepared) == 5
    second = _check(CHAIN, explain=False)
    assert len(prepared) == 5
    assert _steps(second) == _steps(first)


def test_other_assumptions_have_their_own_context(monkeypatch):
    prepared = _spy(monkeypatch, context_mod.ChainContext, "_prepare")
    _check(CHAIN, explain=False)
    other = _check(CHAIN.replace("assume s > 0", "assume s > 2"), explain=False)
    assert len(prepared) == 10
    assert [s.verdict for s in other.steps] == ["verified"] * 5


def test_a_residual_is_cancelled_once_across_checks(monkeypatch):
    cancelled = _spy(monkeypatch, step_mod, "cancel")
    (d,) = parse_text(CHAIN, "chain.deriv")
    check_derivation(d, numeric=False, explain=False)
    first = [str(args[0]) for args in cancelled]
    assert first, "the algebra step's residual is cancelled"
    check_derivation(d, numeric=False, explain=False)
    assert [str(args[0]) for args in cancelled] == first
    assert len(set(first)) == len(first)


def test_the_numeric_judge_runs_once_per_step_across_two_checks(monkeypatch):
    judged = _spy(monkeypatch, numeric, "judge")
    first = _check(WRONG, explain=False)
    assert [s.verdict for s in first.steps] == ["refuted"]
    assert len(judged) == 1
    second = _check(WRONG, explain=False)
    assert len(judged) == 1
    assert second.steps[0].numeric == first.steps[0].numeric
    assert second.steps[0].numeric.counterexample == first.steps[0].numeric.counterexample


def test_another_seed_is_judged_again(monkeypatch):
    judged = _spy(monkeypatch, numeric, "judge")
    _check(WRONG, explain=False, seed=0)
    _check(WRONG, explain=False, seed=0)
    again = _check(WRONG, explain=False, seed=1)
    assert len(judged) == 2
    assert again.steps[0].verdict == "refuted"


def test_an_outcome_cut_short_by_a_time_limit_is_not_remembered(monkeypatch):
    real = numeric.judge
    calls = []

    def once_too_slow(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise StepTimeout("the time limit ran out")
        return real(*args, **kwargs)

    monkeypatch.setattr(numeric, "judge", once_too_slow)
    (d,) = parse_text(WRONG, "chain.deriv")
    step = d.steps[0]
    with pytest.raises(StepTimeout):
        numeric_pass.judged(d.start, step.relation, step.expr)
    outcome = numeric_pass.judged(d.start, step.relation, step.expr)
    assert (outcome.status, len(calls)) == ("violated", 2)
    assert numeric_pass.judged(d.start, step.relation, step.expr) is outcome
    assert len(calls) == 2


@pytest.mark.parametrize("name", ["vae-elbo.deriv", "gaussian-kl.deriv", "bayes.deriv"])
def test_the_caches_never_change_a_result(monkeypatch, name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    derivations = parse_text(text, name)
    cold = [_steps(check_derivation(d, numeric=True)) for d in derivations]
    judged = _spy(monkeypatch, numeric, "judge")
    prepared = _spy(monkeypatch, context_mod.ChainContext, "_prepare")
    warm = [_steps(check_derivation(d, numeric=True)) for d in derivations]
    assert warm == cold
    assert (judged, prepared) == ([], [])      # all of it remembered, none of it changed


def test_a_wrong_step_keeps_its_verdict_and_counterexample_when_remembered(monkeypatch):
    cold = _check(WRONG)
    judged = _spy(monkeypatch, numeric, "judge")
    warm = _check(WRONG)
    assert _steps(warm) == _steps(cold)
    assert warm.steps[0].verdict == "refuted"
    assert warm.steps[0].numeric.status == "violated"
    assert judged == []
