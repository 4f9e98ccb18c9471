"""A chain prepares its assumptions and models once (``ChainContext``): each step sees exactly
what preparing them again for it alone would give, and they are built once per chain, not once
per step (issue 18)."""
from elbo_sym.checker import assumptions as assumptions_mod
from elbo_sym.checker import check_derivation, check_step
from elbo_sym.checker.context import ChainContext
from elbo_sym.parser import parse_text

FILLER = "".join(f"assume w_{{{i}}} > 0\n" for i in range(40))

# steps whose own terms change how the assumptions are read: a count (K), a density's
# variable and a bound variable (z), a condition that gives y a sign (log y) inside an
# assumption (x + y > 1), an assumed equation, a failing inequality and two refuted steps
MIXED = FILLER + """assume K >= 2
assume x + y > 1
assume z > 0
assume a > 0
assume b = c + 1
model p(u, v) = p(u | v) p(v)

derivation mixed "Steps whose own terms change how the assumptions are read"
  log p(x)
  = log p(x, z) - log p(z | x)    by product-rule
  = log p(x) + sum_{k=1}^{K} 1 - K    by product-rule
  = log p(x) + log(y) - log(y)    by algebra
  = log p(x) + E_{q(z)}[ z ] - E_{q(z)}[ z ]    by algebra
  = log p(x) + b - c - 1    by algebra
  >= log p(x) + y - x - 2    by monotonicity
  = log p(x) + a    by algebra
  = log p(x) + log(x) - a    by algebra
  = log p(x) + log(x) - a + log p(u, v) - log p(u | v) - log p(v)    by model
"""


def _derivation(text):
    (d,) = parse_text(text, "chain.deriv")
    return d


def _facts(d):
    return [(a.lhs, a.relation, a.rhs) for a in d.assumptions]


def _seen(result):
    return (result.verdict, str(result.residual), tuple(map(str, result.counterexample)),
            tuple(map(str, result.conditions)), result.reason, result.rules_used, result.missing)


def test_a_chain_gives_each_step_what_preparing_it_alone_gives():
    d = _derivation(MIXED)
    chain = check_derivation(d, explain=False)
    shared = ChainContext(_facts(d), d.models)
    previous = d.start
    for step, result in zip(d.steps, chain.steps):
        alone = check_step(previous, step.relation, step.expr, step.rules, _facts(d), d.models)
        again = check_step(previous, step.relation, step.expr, step.rules, context=shared)
        assert _seen(result) == _seen(alone) == _seen(again)
        previous = step.expr


def test_the_verdicts_residuals_and_counterexamples_of_a_chain_with_many_assumptions():
    steps = check_derivation(_derivation(MIXED), explain=False).steps
    assert [s.verdict for s in steps] == ["verified"] * 5 + ["unknown", "refuted", "refuted",
                                                            "verified"]
    assert [str(c) for s in steps for c in s.conditions] == ["(y, '>', 0)", "(y, '>', 0)",
                                                            "(x, '>', 0)", "(x, '>', 0)"]
    assert str(steps[5].residual) == "b - c + x - y + 1"
    assert str(steps[6].residual) == "-a - x + y - 2"
    assert str(steps[6].counterexample) == "((a, 8/5), (x, 1/5), (y, 17/10))"
    assert str(steps[7].residual) == "2*a - log(x)"
    assert str(steps[7].counterexample) == "((a, 14/5), (x, 13/10), (y, 3/5))"


def test_a_step_prepared_after_others_is_the_step_prepared_alone():
    d = _derivation(MIXED)
    shared = ChainContext(_facts(d), d.models)
    previous = d.start
    for step in d.steps:
        assert shared.prepare(previous, step.expr) == \
            ChainContext(_facts(d), d.models).prepare(previous, step.expr)
        previous = step.expr


CHAIN = FILLER + """assume s > 0

derivation many "Many steps over the same assumptions"
  log p(x)
""" + "".join(f"  = log p(x, z_{{{i}}}) - log p(z_{{{i}}} | x)    by product-rule\n"
              f"  = log p(x)    by bayes-rule\n" for i in range(4))


def _counting_builds(monkeypatch):
    """The calls of assumptions.build from now on, from cold: contexts are shared across checks
    of one process, so an earlier test's chain must not have prepared these assumptions."""
    from elbo_sym.checker import clear_caches

    clear_caches()
    calls = []
    real = assumptions_mod.build

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(assumptions_mod, "build", spy)
    return calls


def test_the_assumptions_are_built_once_per_chain(monkeypatch):
    calls = _counting_builds(monkeypatch)
    result = check_derivation(_derivation(CHAIN), explain=False)
    assert [s.verdict for s in result.steps] == ["verified"] * 8
    assert len(calls) == 1


def test_a_step_that_reads_an_assumption_differently_has_its_own_build(monkeypatch):
    # K is a count only in the step with the sum: there K >= 2 makes K = 2 + K_shift whole
    calls = _counting_builds(monkeypatch)
    text = CHAIN.replace("assume s > 0", "assume K >= 2").replace(
        "  = log p(x)    by bayes-rule\n",
        "  = log p(x) + sum_{k=1}^{K} 1 - K    by bayes-rule\n  = log p(x)    by algebra\n", 1)
    result = check_derivation(_derivation(text), explain=False)
    assert [s.verdict for s in result.steps] == ["verified"] * 9
    assert len(calls) == 2
