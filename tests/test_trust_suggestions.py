"""Suggestions a user can use (issue 16): written in the source's syntax, never at odds with the
chain, and the residual added back only as a labelled last resort.

- ``source``: each suggestion as a ``.deriv`` file writes it (ASCII, expectations braced, the
  checker's bound variables such as ``_j0`` given clean names); parsed back by the ``.deriv``
  parser, in the derivation's context, it is a step the checker verifies. ``latex``: the same
  as LaTeX (the derivation does not record whether it came from a .md or .tex file).
- A suggestion's relation never makes the chain mix <-type and >-type relations.
- The residual added back as the checker writes it is proposed only when nothing nearer holds,
  once, flagged ``last_resort`` and said so in every output.
"""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Add, Product, Sum, Symbol

from elbo_sym.algebra import IndexedVariable
from elbo_sym.checker import VERIFIED, check_derivation, check_step
from elbo_sym.checker.explain import same_expression, suggestions
from elbo_sym.parser import parse_expression, parse_text
from elbo_sym.printing import text
from elbo_sym.printing.report import suggestion_text
from elbo_sym.printing.source import deriv_text, writable
from elbo_sym.relations import UPPER

from conftest import run_cli

BUDGET = None   # no time bound: the same suggestions on any machine
CANDIDATES = 2000   # a bound in candidates checked, the same on any machine


def checked(body):
    """The result of the one derivation of ``body`` (a .deriv text), suggestions searched."""
    return check_derivation(parse_text(body, filename="t.deriv")[0], explain_budget=BUDGET)


def as_file(derivation, previous, relation, source, rules):
    """A .deriv file of ``derivation``'s context (lets, assumptions, models) and the one step
    ``previous relation source by rules``, every expression printed by ``deriv_text``."""
    lines = [f'derivation {derivation.name} "t"']
    for d in derivation.definitions:
        params = f"({', '.join(deriv_text(p) for p in d.params)})" if d.params else ""
        lines.append(f"let {d.name}{params} = {deriv_text(d.body)}")
    for a in derivation.assumptions:
        lines.append(f"assume {deriv_text(a.lhs)} {a.relation} {deriv_text(a.rhs)}")
    for m in derivation.models:
        factors = [f"({deriv_text(f)})" if isinstance(f, Product) else deriv_text(f)
                   for f in m.factors]
        lines.append(f"model {deriv_text(m.joint)} = {' '.join(factors)}")
    lines.append("  " + deriv_text(previous))
    lines.append(f"  {relation} {source}" + (f"   by {', '.join(rules)}" if rules else ""))
    return "\n".join(lines) + "\n"


def read_back(derivation, previous, suggestion, rules, facts):
    """The verdict of the step whose right side is the suggestion's source, read by the
    parser in the derivation's context."""
    assert suggestion.source is not None and suggestion.source.isascii(), suggestion
    parsed = parse_text(as_file(derivation, previous, suggestion.relation, suggestion.source,
                                rules), filename="back.deriv")[0]
    step = parsed.steps[0]
    return check_step(parsed.start, step.relation, step.expr, step.rules, facts,
                      parsed.models).verdict


# The source syntax.

def test_deriv_text_reads_back_to_the_same_expression():
    for written in ["sum_{j=1}^{J} (1 + log(sigma_j^2) - mu_j^2 - sigma_j^2)",
                    "E_{q(z|x)}[log p(x, z) - log q(z | x)] + KL(q(z|x) || p(z))",
                    "-1/2 E_{N(z; mu, sigma^2)}[(z - mu)^2/sigma^2] + H(q(z))",
                    "E_{z_{1:K} ~ q(z|x)}[log p(x, z_1)] + abs(x) + exp(2) + pi + e",
                    "prod_{t=1}^{T} p(x_t | x_{t-1}) + int p(x, z) dz"]:
        e = parse_expression(written)
        assert parse_expression(deriv_text(e)) == e, deriv_text(e)
    assert deriv_text(parse_expression("E_{q(z|x)}[log p(x, z)] - KL(q(z|x) || p(z))")) == \
        "E_{q(z | x)}[log p(x, z)] - KL(q(z | x) || p(z))"
    assert deriv_text(parse_expression("sum_{j=1}^{J} sigma_j^2")) == "sum_{j=1}^{J} sigma_j^2"


def test_checker_names_are_renamed_or_refused():
    j0 = Symbol("_j0", integer=True)
    J, j = Symbol("J"), Symbol("j")
    summed = Sum(IndexedVariable("mu", j0) ** 2, (j0, 1, J))
    # the free j is kept; the bound index takes the next clean name, or the one preferred
    assert deriv_text(writable(Add(summed, j, evaluate=False))) == "sum_{k=1}^{J} mu_k^2 + j"
    assert deriv_text(writable(summed, prefer=["t"])) == "sum_{t=1}^{J} mu_t^2"
    assert deriv_text(writable(summed, avoid=["j"])) == "sum_{k=1}^{J} mu_k^2"
    nested = Sum(Sum(IndexedVariable("a", j0) * IndexedVariable("b", Symbol("_j1")),
                     (Symbol("_j1"), 1, J)), (j0, 1, J))
    assert deriv_text(writable(nested)) == "sum_{j=1}^{J} sum_{k=1}^{J} a_j b_k"
    for free in (j0, Symbol("z'")):   # a name no file can write, free: refused
        try:
            deriv_text(free + 1)
        except ValueError:
            continue
        raise AssertionError(free)


DIAGONAL = """derivation d "t"
  -sum_{j=1}^{J} E_{N(z_j; mu_j, sigma_j^2)}[log N(z_j; mu_j, sigma_j^2) - log N(z_j; 0, 1)]
  = 1/2 sum_{j=1}^{J} (1 + log(sigma_j^2) - mu_j^2)   by gaussian, linearity
"""


def test_a_sum_from_the_residual_is_written_with_a_clean_index():
    result = checked(DIAGONAL)
    found = result.steps[0].suggestions
    assert found
    d = result.derivation
    for f in found:
        assert "ĵ" not in f.source and "ĵ" not in f.edit and "ĵ" not in f.latex, f
        assert "hat" not in f.latex, f
        assert read_back(d, d.start, f, d.steps[0].rules, []) == VERIFIED, f.source
    # the dropped term comes back as the residual's sum, over j as the step writes it
    assert any("sum_{j=1}^{J} sigma_j^2" in f.source for f in found), [f.source for f in found]
    assert all(f.source in suggestion_text(f) for f in found)


def _mutants():
    from elbo_sym.derivations import DERIVATIONS
    from elbo_sym.mutation import mutants

    return [m for d in DERIVATIONS for m in mutants(d)]


MUTANTS = _mutants()


def _explain(m, max_candidates=CANDIDATES):
    step = m.step
    result = check_step(m.previous, step.relation, step.expr, step.rules, m.facts,
                        m.derivation.models)
    if result.verdict == VERIFIED:
        return None
    return suggestions(m.previous, step.relation, step.expr, result, step.rules, m.facts,
                       m.derivation.models, BUDGET, m.derivation.definitions,
                       max_candidates=max_candidates)


def _read_back_all(m, found):
    for f in found:
        verdict = read_back(m.derivation, m.previous, f, m.step.rules, m.facts)
        assert verdict == VERIFIED, (m.kind, m.description, f.source, f.edit)


def test_every_suggestion_for_the_diagonal_gaussian_mutants_reads_back():
    # its dropped terms come back from a residual summed over the checker's index
    ms = [m for m in MUTANTS if m.derivation.name == "gaussian-kl-diagonal" and m.kind == "drop"]
    assert ms
    renamed = 0
    for m in ms:
        found = _explain(m, max_candidates=None)
        if found:
            _read_back_all(m, found)
            renamed += sum("ĵ" in text(f.expression) for f in found)
    assert renamed > 0   # some suggestion held the checker's index, which the source renames


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MUTANTS))
def test_every_suggestion_for_a_mutant_reads_back_verified(m):
    found = _explain(m)
    if not found:
        return
    _read_back_all(m, found)
    if any(f.last_resort for f in found):   # the last resort comes alone
        assert len(found) == 1


# The chain's direction.

ALONE = """derivation d "t"
  E_{q(z|x)}[log p(x | z) + log p(z) - log q(z | x)]
  = E_{q(z|x)}[log p(x | z)] + KL(q(z | x) || p(z))   by kl-definition, linearity
"""
LOWER_CHAIN = """derivation d "t"
  log p(x)
  >= E_{q(z|x)}[log p(x | z) + log p(z) - log q(z | x)]   by kl-nonneg, kl-definition, product-rule, linearity
  = E_{q(z|x)}[log p(x | z)] + KL(q(z | x) || p(z))   by kl-definition, linearity
"""


def test_a_suggestion_never_mixes_the_chains_directions():
    alone = checked(ALONE).steps[0].suggestions   # alone, the step holds with <=
    assert alone[0].relation == "<=" and alone[0].kind == "relation"
    result = checked(LOWER_CHAIN)
    assert result.steps[0].verdict == VERIFIED
    found = result.steps[1].suggestions
    assert found and all(f.relation not in UPPER for f in found), found
    assert found[0].source == "E_{q(z | x)}[log p(x | z)] - KL(q(z | x) || p(z))"
    assert found[0].edit == "the sign of KL(q(z | x) ‖ p(z)) flipped"
    # as check_derivation passes it: the relations of the chain's other steps
    d = parse_text(ALONE, filename="t.deriv")[0]
    s = d.steps[0]
    result = check_step(d.start, s.relation, s.expr, s.rules)
    for chain, banned in (((">=",), UPPER), (("<",), (">=", ">"))):
        found = suggestions(d.start, s.relation, s.expr, result, s.rules, budget=BUDGET,
                            chain=chain)
        assert found and all(f.relation not in banned for f in found), (chain, found)


# The residual added back: a labelled last resort.

TURNED = """derivation d "t"
  -KL(q(z | x) || p(z | x))
  = E_{q(x | z)}[log(p(z | x)/q(x | z))]   by kl-definition, linearity
"""
ONLY_RESIDUAL = """derivation d "t"
  assume sigma > 0
  -E_{N(z; mu, sigma^2)}[log N(z; mu, sigma^2) - log N(z; 0, 1)]
  = -E_{N(z; mu, sigma^2)}[1/2 log(2 pi) - 1/2 log(2 pi sigma^2) + 1/2 z^2 - mu^2/(2 sigma^2)]   by gaussian
"""


def test_no_residual_beside_a_nearer_step():
    found = checked(TURNED).steps[0].suggestions
    assert found[0].edit == "q(x | z) turned around (everywhere)"
    assert found[0].source == "E_{q(z | x)}[log(p(z | x)/q(z | x))]"
    # the residual (eight terms in normal form) is not proposed beside it
    assert not any(f.last_resort for f in found)
    assert all(len(Add.make_args(f.expression)) <= 2 for f in found), [f.source for f in found]


def test_the_residual_alone_is_a_labelled_last_resort():
    result = checked(ONLY_RESIDUAL)
    found = result.steps[0].suggestions
    assert len(found) == 1
    last = found[0]
    assert last.last_resort and last.kind == "add"
    assert last.edit.startswith("the residual added back")
    assert last.edit.endswith("; no nearer step found")
    assert suggestion_text(last).startswith("did you mean (last resort): = -E_{N(z; mu, sigma^2)}[")
    d = result.derivation
    facts = [(a.lhs, a.relation, a.rhs) for a in d.assumptions]
    assert read_back(d, d.start, last, d.steps[0].rules, facts) == VERIFIED


# Every output.

WRONG = """derivation swapped "Swapped conditional"
  log p(x)
  = log p(x, z) - log p(z | x)          by product-rule
  = log p(x, z) - log p(x | z)          by bayes-rule
"""


run = run_cli   # the command in this process


def test_outputs_carry_the_source(tmp_path):
    f = tmp_path / "swapped.deriv"
    f.write_text(WRONG, encoding="utf-8")
    out = run("check", "--no-numeric", str(f))
    assert out.exit_code == 1
    assert "      did you mean: = log p(x, z) - log p(z | x)   (p(x | z) turned around; " \
           "verified by bayes-rule)" in out.stdout.splitlines()
    doc = json.loads(run("check", "--no-numeric", "--json", str(f)).stdout)
    first = doc["files"][0]["derivations"][0]["steps"][1]["suggestions"][0]
    assert first == {"expression": "log p(x, z) − log p(z | x)",
                     "source": "log p(x, z) - log p(z | x)",
                     "latex": r"\log p(x, z) - \log p(z \mid x)",
                     "relation": "=", "edit": "p(x | z) turned around", "rules": ["bayes-rule"],
                     "last_resort": False}
    import elbo_sym
    from elbo_sym.mcp_server import check_derivation as tool

    view = elbo_sym.check(WRONG, numeric=False).steps[1]
    assert view.suggestions[0]["source"] == "log p(x, z) - log p(z | x)"
    assert view.suggestions[0]["last_resort"] is False
    mcp = tool(WRONG)["derivations"][0]["steps"][1]["suggestions"][0]
    assert mcp["source"] == "log p(x, z) - log p(z | x)" and mcp["last_resort"] is False


def test_source_parses_back_to_the_suggested_expression():
    result = checked(WRONG)
    for f in result.steps[1].suggestions:
        assert same_expression(parse_expression(f.source), f.expression), f.source
