"""The checker under declared models (issue 9): d-separation, the tower property, ranges,
telescoping sums, i.i.d. draws, equations as assumptions, hints, and the shape of residuals.
Steps are read by the parser, so they are written as users write them."""
import pytest

from elbo_sym.checker import REFUTED, UNKNOWN, VERIFIED, check_derivation
from elbo_sym.parser import parse_text


def verdicts(text, numeric=False):
    return [[s.verdict for s in check_derivation(d, numeric=numeric).steps]
            for d in parse_text(text)]


def only(text, **kw):
    (d,) = parse_text(text)
    return check_derivation(d, **kw)


CHAIN = "model q(x_{1:T} | x_0) = prod_{t=1}^{T} q(x_t | x_{t-1})\nassume T >= 3\n"
HIER = "model p(x, z_1, z_2) = p(x | z_1) p(z_1 | z_2) p(z_2)\n"


def test_a_conditional_drops_what_the_graph_makes_irrelevant():
    assert verdicts(HIER + "log p(x | z_1, z_2)\n= log p(x | z_1)   by model\n") == [[VERIFIED]]
    # z_1 given z_2 still depends on its child x
    assert verdicts(HIER + "log p(z_1 | z_2)\n= log p(z_1 | x, z_2)\n") == [[UNKNOWN]]
    # without the model nothing is independent
    assert verdicts("log p(x | z_1, z_2)\n= log p(x | z_1)\n") == [[UNKNOWN]]


def test_a_markov_chain_for_a_symbolic_index():
    step = "sum_{t=2}^{T} log q(x_t | x_{t-1}, x_0)\n= sum_{t=2}^{T} log q(x_t | x_{t-1})   by model\n"
    assert verdicts(CHAIN + step) == [[VERIFIED]]
    backwards = "sum_{t=2}^{T} log q(x_{t-1} | x_t, x_0)\n= sum_{t=2}^{T} log q(x_{t-1} | x_t)\n"
    assert verdicts(CHAIN + backwards) == [[UNKNOWN]]
    assert verdicts(CHAIN + backwards, numeric=True) == [[REFUTED]]


def test_telescoping_needs_the_right_end_terms_and_the_range():
    good = "sum_{t=2}^{T} log q(x_{t-1} | x_0) / q(x_t | x_0)\n= log q(x_1 | x_0) - log q(x_T | x_0)\n"
    wrong = good.replace("q(x_1 | x_0)", "q(x_2 | x_0)")
    assert verdicts(CHAIN + good) == [[VERIFIED]]
    assert verdicts(CHAIN + wrong) == [[UNKNOWN]]
    assert verdicts(CHAIN + wrong, numeric=True) == [[REFUTED]]


def test_the_tower_property_and_its_converse():
    text = ("model q(z_1, z_2 | x) = q(z_1 | x) q(z_2 | z_1)\n"
            "E_{q(z_1, z_2 | x)}[ log p(z_2) ]\n"
            "= E_{q(z_1 | x)}[ E_{q(z_2 | z_1)}[ log p(z_2) ] ]   by tower, model\n"
            "= E_{q(z_2 | x)}[ log p(z_2) ]                      by tower\n")
    assert verdicts(text) == [[VERIFIED, VERIFIED]]
    # integrating out a variable the integrand uses is no tower step
    assert verdicts("E_{q(z_1, z_2)}[ z_1 z_2 ]\n= E_{q(z_1)}[ z_1 ] E_{q(z_2)}[ z_2 ]\n") == [[UNKNOWN]]


def test_iid_draws_reduce_to_the_one_a_term_uses():
    iwae = ("assume K >= 1\nlog p(x)\n"
            "= log E_{z_{1:K} ~ q(z | x)}[ 1/K sum_{k=1}^{K} p(x, z_k) / q(z_k | x) ]\n"
            ">= E_{z_{1:K} ~ q(z | x)}[ log 1/K sum_{k=1}^{K} p(x, z_k) / q(z_k | x) ]  by jensen\n")
    assert verdicts(iwae) == [[VERIFIED, VERIFIED]]
    summed = iwae.replace("1/K sum", "sum").replace("assume K >= 1", "assume K >= 2")
    assert verdicts(summed)[0][0] == REFUTED


def test_an_assumed_equation_rewrites_in_both_directions():
    text = ("model q(z_1, z_2) = q(z_1) q(z_2)\n"
            "assume log q(z_1) = E_{q(z_2)}[ log p(x, z_1, z_2) ] + c\n"
            "E_{q(z_1)}[ E_{q(z_2)}[ log p(x, z_1, z_2) ] ] - E_{q(z_1)}[ log q(z_1) ]\n"
            "= -c\n")
    assert verdicts(text) == [[VERIFIED]]
    # refuted would be right (the step says c = 0): unknown is a known limit
    assert verdicts(text.replace("= -c", "= c")) == [[UNKNOWN]]


def test_a_missing_declaration_is_named():
    result = only("E_{q(z | x)}[ log p_theta(x, z) - log q(z | x) ]\n"
                  "= E_{q(z | x)}[ log p_theta(x | z) ] - KL(q(z | x) || p(z))\n")
    step = result.steps[0]
    assert step.verdict == UNKNOWN     # the numeric judge refutes it (below)
    assert "p and p_theta are one family" in step.hint
    from elbo_sym.printing.text import model_text
    assert model_text(step.hint_model) == "p_θ(x, z) = p_θ(x | z) p(z)"
    fixed = only("model p_theta(x, z) = p_theta(x | z) p(z)\n"
                 "E_{q(z | x)}[ log p_theta(x, z) - log q(z | x) ]\n"
                 "= E_{q(z | x)}[ log p_theta(x | z) ] - KL(q(z | x) || p(z))\n")
    assert fixed.steps[0].verdict == VERIFIED
    assert only("E_{q(z | x)}[ log p_theta(x, z) - log q(z | x) ]\n"
                "= E_{q(z | x)}[ log p_theta(x | z) ] - KL(q(z | x) || p(z))\n",
                numeric=True).steps[0].verdict == REFUTED


def test_a_missing_independence_is_named():
    step = only("log q(x_2 | x_1, x_0)\n= log q(x_2 | x_1)\n").steps[0]
    assert step.verdict == UNKNOWN
    assert only("log q(x_2 | x_1, x_0)\n= log q(x_2 | x_1)\n",
                numeric=True).steps[0].verdict == REFUTED
    assert "independent of x_0 given x_1" in step.hint.replace("x[0]", "x_0").replace("x[1]", "x_1")


def test_residuals_are_shown_in_conditionals():
    from elbo_sym.printing.text import text
    step = only("log p(x)\n= log p(x, z) - log p(x | z) + log p(x, z)\n").steps[0]
    assert text(step.residual) in ("−log p(z) − log p(z | x)", "−log p(z | x) − log p(z)")


def test_a_false_assumption_about_numbers_makes_steps_vacuous():
    result = only("assume log(pi) <= 1/7\nlog y\n= 2\n", numeric=True)
    assert result.steps[0].verdict == UNKNOWN
    assert "cannot all hold" in result.steps[0].reason


@pytest.mark.parametrize("name", ["hvae", "ddpm", "iwae", "elbo-surgery", "kl-chain-rule"])
def test_structured_builtins_verify_with_exactly_their_rules(name):
    from elbo_sym.derivations import BUILTINS
    result = check_derivation(BUILTINS[name])
    assert [s.verdict for s in result.steps] == [VERIFIED] * len(result.steps)
    assert all(not s.missing for s in result.steps), [s.missing for s in result.steps]
