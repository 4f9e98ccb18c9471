"""What is printed is what was checked (issue 8): exact output of the printers for the cases
where an earlier printer showed something other than what the checker proved."""
from dataclasses import replace

import pytest
from sympy import Add, Integer, Mul, Pow, Sum, Symbol, log, symbols
from sympy.core.parameters import evaluate

from elbo_sym.algebra import Density
from elbo_sym.algebra.variables import IndexedVariable
from elbo_sym.checker import UNKNOWN, VERIFIED, StepResult, check_derivation
from elbo_sym.derivations import BUILTINS
from elbo_sym.numeric import NOT_APPLICABLE, Outcome
from elbo_sym.parser import parse_text
from elbo_sym.printing import latex, text
from elbo_sym.printing.document import align, fragment, section
from elbo_sym.printing.report import conclusion, format_derivation, message_parts
from elbo_sym.report_model import derivation_report


def json_derivation(result):
    """A derivation's JSON, as the report model writes it."""
    return derivation_report("", result).to_json()

x, z, i, j, t, v, J = symbols("x z i j t v J")

BETA_VAE = """\
derivation beta-vae "The beta-VAE objective bounds the ELBO"
assume beta >= 1
  E_{q(z|x)}[ log p(x | z) ] - KL(q(z|x) || p(z))
  >= E_{q(z|x)}[ log p(x | z) ] - beta KL(q(z|x) || p(z))      by kl-nonneg, monotonicity
"""

CHAIN = ("E_q(z | x)[log p(x | z)] − KL(q(z | x) ‖ p(z)) ≥ "
         "E_q(z | x)[log p(x | z)] − β KL(q(z | x) ‖ p(z))")


@pytest.fixture(scope="module")
def beta_vae():
    (derivation,) = parse_text(BETA_VAE, "beta.deriv")
    return check_derivation(derivation)


# ------------------------------------------------------------------ 1. assumptions, conditions


def test_text_conclusion_carries_the_assumption(beta_vae):
    report = format_derivation(beta_vae)
    assert report.splitlines()[-1] == (
        f"  conclusion: {CHAIN}, assuming β ≥ 1   (every step verified: 1 verified)")


def test_text_conclusion_carries_assumptions_and_conditions(beta_vae):
    result = replace(beta_vae, conditions=((v, ">", Integer(0)), (Symbol("s"), "!=", Integer(0))))
    assert conclusion(result) == f"{CHAIN}, assuming β ≥ 1, for v > 0 and s ≠ 0"
    assert format_derivation(result).splitlines()[-1] == (
        f"  conclusion: {CHAIN}, assuming β ≥ 1, for v > 0 and s ≠ 0"
        "   (every step verified: 1 verified)")


def test_unconditional_conclusion_has_no_qualifier():
    result = check_derivation(BUILTINS["elbo"])
    assert conclusion(result) == (
        "log p(x) ≥ −KL(q(z | x) ‖ p(z)) + E_q(z | x)[log p(x | z)]")


def test_json_conclusion_and_fields(beta_vae):
    result = replace(beta_vae, conditions=((v, ">", Integer(0)),))
    entry = json_derivation(result)
    assert entry["conclusion"] == f"{CHAIN}, assuming β ≥ 1, for v > 0"
    assert entry["assumptions"] == ["β ≥ 1"]
    assert entry["conditions"] == ["v > 0"]
    # every field of the contract's shape is still there
    assert list(entry) == ["name", "title", "ok", "conclusion", "assumptions", "conditions",
                           "models", "conventions", "steps"]
    assert entry["name"] == "beta-vae" and entry["ok"] is True
    assert set(entry["steps"][0]) >= {"index", "line", "relation", "verdict", "rules_cited",
                                      "rules_used", "message"}


def test_json_fields_are_empty_lists_without_assumptions():
    entry = json_derivation(check_derivation(BUILTINS["elbo"]))
    assert entry["assumptions"] == [] and entry["conditions"] == [] and entry["models"] == []


def test_latex_prints_assumptions_and_conditions_under_the_chain(beta_vae):
    result = replace(beta_vae, conditions=((v, ">", Integer(0)),))
    qualifier = "\\noindent Assuming $\\beta \\ge 1$; for $v > 0$.\\par\n"
    assert section(result).endswith("\\end{align*}\n" + qualifier)
    assert fragment([result]).endswith("\\end{align*}\n" + qualifier)
    assert section(beta_vae).endswith("\\end{align*}\n\\noindent Assuming $\\beta \\ge 1$.\\par\n")


def test_latex_conditions_alone():
    result = replace(check_derivation(BUILTINS["elbo"]), conditions=((v, ">", Integer(0)),))
    assert section(result).endswith("\\end{align*}\n\\noindent For $v > 0$.\\par\n")
    assert "Assuming" not in section(check_derivation(BUILTINS["elbo"]))


# ------------------------------------------------------------------ 2. names print injectively


@pytest.mark.parametrize("name, txt, tex", [
    ("lambda", "λ", r"\lambda"),
    ("lamda", "lamda", r"\mathrm{lamda}"),
    ("Lambda", "Λ", r"\Lambda"),
    ("Lamda", "Lamda", r"\mathrm{Lamda}"),
    ("x2", "x2", r"\mathrm{x2}"),
    ("x_2", "x_2", "x_{2}"),
    ("Alpha", "Alpha", r"\mathrm{Alpha}"),
    ("A", "A", "A"),
    ("omicron", "omicron", r"\mathrm{omicron}"),
    ("o", "o", "o"),
    ("xprime", "xprime", r"\mathrm{xprime}"),
    ("xprm", "xprm", r"\mathrm{xprm}"),
    ("xhat", "xhat", r"\mathrm{xhat}"),
    ("a_b_c", "a_b_c", "a_{b,c}"),
    ("a_bc", "a_bc", r"a_{\mathrm{bc}}"),
    ("sigma_z", "σ_z", r"\sigma_{z}"),
    ("q_phi", "q_φ", r"q_{\phi}"),
    ("L_theta", "L_θ", r"L_{\theta}"),
    ("sigmaz", "sigmaz", r"\mathrm{sigmaz}"),
    ("varsigma", "ς", r"\varsigma"),
])
def test_names(name, txt, tex):
    assert text(Symbol(name)) == txt
    assert latex(Symbol(name)) == tex


def test_family_names_use_the_same_name_printer():
    assert latex(Density("p_2", (x,))) == "p_{2}(x)"
    assert latex(Density("p2", (x,))) == r"\mathrm{p2}(x)"
    assert text(Density("lamda", (x,))) == "lamda(x)"


# ------------------------------------------------------------------ 3. text that reads back


def test_negative_power_in_a_denominator_is_bracketed():
    px, pz = Density("p", (x,)), Density("p", (z,))
    with evaluate(False):
        e = Mul(px, Pow(Pow(pz, -1), -1))
        alone = Pow(Pow(pz, -1), -1)
        rational = Mul(x, Pow(Pow(Integer(3), 2), -1))
        fractional = Mul(x, Pow(Pow(z, -2), -1))
    assert text(e) == "p(x)/(1/p(z))"
    assert text(alone) == "1/(1/p(z))"
    assert text(rational) == "x/3^2"
    assert text(fractional) == "x/(1/z^2)"


def test_powers_and_digit_factors_print_as_the_parser_reads_them():
    with evaluate(False):
        assert text(Mul(3, Pow(2, x))) == "3*2^x"
        assert text(Mul(x, Pow(2, z))) == "x*2^z"
        assert text(Pow(x, 2)) == "x^2"
        assert text(Pow(Pow(x, 2), 3)) == "(x^2)^3"
        assert text(Pow(x, Pow(z, 2))) == "x^(z^2)"


def test_a_bracket_after_a_name_is_no_application():
    a, b = Symbol("a"), Symbol("b")
    px = Density("p", (x,))
    with evaluate(False):
        assert text(Mul(a, Add(b, x))) == "a*(b + x)"          # a (b + x) reads as a(b + x)
        assert text(Mul(Symbol("sigma"), Add(b, x))) == "σ*(b + x)"
        assert text(Mul(2, Add(b, x))) == "2 (b + x)"
        assert text(Mul(px, Add(b, x))) == "p(x) (b + x)"
        assert text(Mul(a, log(px), b)) == "a*(log p(x)) b"


def test_a_fraction_inside_a_denominator_product_is_bracketed():
    px = Density("p", (x,))
    with evaluate(False):
        e = Mul(x, Pow(Pow(log(px), -1), -1), Pow(px, -1))
    assert text(e) == "x/((1/log p(x)) p(x))"     # 1/log p(x) p(x) is 1/log(p(x) p(x))


def test_text_where_lines_print_let_names_as_symbols():
    (derivation,) = parse_text(
        "derivation d\nlet L_theta(x) = log p(x)\n  L_theta(x)\n  = log p(x)  by definition\n",
        "d.deriv")
    assert format_derivation(check_derivation(derivation)).splitlines()[1] == (
        "  where L_θ(x) = log p(x)")


# ------------------------------------------------------------------ 4. nested sums


def test_nested_sums_print_outermost_first():
    s = Sum(Integer(1), (j, 1, i), (i, 1, 3))     # sympy: limits innermost first
    assert text(s) == "∑_{i=1}^{3} ∑_{j=1}^{i} 1"
    assert latex(s) == r"\sum_{i=1}^{3} \sum_{j=1}^{i} 1"
    nested = Sum(Sum(Integer(1), (j, 1, i)), (i, 1, 3))
    assert text(nested) == text(s) and latex(nested) == latex(s)


# ------------------------------------------------------------------ 5. indexed variables


@pytest.mark.parametrize("var, txt, tex", [
    (IndexedVariable("z", 1), "z_1", "z_{1}"),
    (IndexedVariable("z", j), "z_j", "z_{j}"),
    (IndexedVariable("x", t - 1), "x_{t-1}", "x_{t-1}"),
    (IndexedVariable("x", t + 1), "x_{t+1}", "x_{t+1}"),
    (IndexedVariable("sigma", j), "σ_j", r"\sigma_{j}"),
    (IndexedVariable("sigma", j)**2, "σ_j^2", r"\sigma_{j}^{2}"),
    (IndexedVariable("lamda", j), "lamda_j", r"\mathrm{lamda}_{j}"),
    (IndexedVariable("mu_z", j), "μ_z_j", r"{\mu_{z}}_{j}"),
])
def test_indexed_variables(var, txt, tex):
    assert text(var) == txt
    assert latex(var) == tex


def test_indexed_variable_in_a_density():
    d = Density("q", (IndexedVariable("x", t),), (IndexedVariable("x", t - 1),))
    assert text(d) == "q(x_t | x_{t-1})"
    assert latex(d) == r"q(x_{t} \mid x_{t-1})"


# ------------------------------------------------------------------ 6. summand brackets


def test_gaussian_kl_diagonal_last_step_brackets_its_summand():
    result = check_derivation(BUILTINS["gaussian-kl-diagonal"])
    last = align(result).splitlines()[-2]
    assert last.startswith(
        r" &= \frac{\sum_{j=1}^{J} \left(1 + \log{\left(\sigma_{j}^{2} \right)} - \mu_{j}^{2} "
        r"- \sigma_{j}^{2}\right)}{2}")
    assert text(result.derivation.end) == "1/2 ∑_{j=1}^{J} (1 + log(σ_j^2) − μ_j^2 − σ_j^2)"


def test_summand_that_starts_with_a_sign_is_bracketed():
    a = Symbol("a")
    with evaluate(False):
        body = Mul(-1, a)
        plain = Mul(2, a)
        s = Sum(Add(a, x), (j, 1, J))     # sympy wraps the body: Mul(1, a + x)
    assert text(Sum(body, (j, 1, J))) == "∑_{j=1}^{J} (−a)"
    assert latex(Sum(body, (j, 1, J))) == r"\sum_{j=1}^{J} \left(- a\right)"
    assert text(Sum(plain, (j, 1, J))) == "∑_{j=1}^{J} 2 a"
    assert latex(Sum(plain, (j, 1, J))) == r"\sum_{j=1}^{J} 2 a"
    assert text(s) == "∑_{j=1}^{J} (a + x)"
    assert latex(s) == r"\sum_{j=1}^{J} \left(a + x\right)"


# ------------------------------------------------------------------ 7. numeric not applicable


def test_not_applicable_numeric_judge_is_reported():
    outcome = Outcome(NOT_APPLICABLE, 0, None, "not applicable: no density of x")
    result = StepResult(UNKNOWN, ("algebra",), reason="not shown", numeric=outcome)
    assert message_parts(result) == ["not shown", "numeric judge: not applicable: no density of x"]


def test_not_applicable_without_the_prefix_gets_it():
    outcome = Outcome(NOT_APPLICABLE, 0, None, "only 1 of 32 instances could be evaluated")
    result = StepResult(UNKNOWN, (), reason="not shown", numeric=outcome)
    assert message_parts(result)[-1] == (
        "numeric judge: not applicable: only 1 of 32 instances could be evaluated")


def test_verified_step_does_not_mention_the_numeric_judge():
    outcome = Outcome(NOT_APPLICABLE, 0, None, "not applicable: no density of x")
    assert message_parts(StepResult(VERIFIED, (), numeric=outcome)) == []


def test_not_applicable_shows_in_a_checked_report():
    # a step the numeric judge cannot evaluate (10^400 overflows): the report says so
    (derivation,) = parse_text("derivation d\n  x\n  <= x + 10^400 y\n", "d.deriv")
    result = check_derivation(derivation, numeric=True)
    assert result.steps[0].verdict == UNKNOWN
    assert result.steps[0].numeric.status == NOT_APPLICABLE
    lines = format_derivation(result).splitlines()
    assert lines[3] == "  ≤ x + 10^400 y     ? unknown  line 3"
    assert lines[6].startswith("      numeric judge: not applicable: ")
    assert lines[6] == "      numeric judge: " + result.steps[0].numeric.message
