r"""Issue 16, reading: one meaning or none. Each construct a Markdown or LaTeX row can hold has one
documented reading, or the row is not read (its steps ``unknown``, with the reason): equation
numbers are labels, unknown words are unknown functions, matrix notation is not scalar algebra,
an equation list is several equations, ``logp`` is no word, a brace keeps its content as
written, an empty row is an unread row, ``\cancel{X}`` keeps X."""
import textwrap

import pytest
from sympy.core.function import AppliedUndef

from elbo_sym.api import check
from elbo_sym.errors import InputError
from elbo_sym.parser import parse_text
from elbo_sym.printing.latex import latex
from elbo_sym.readers import check_reading, read_text, summary_lines


def md(text: str) -> str:
    return textwrap.dedent(text)


def chains(text: str, kind: str = "md"):
    """{derivation name: [(verdict, reason)]} of a document, and the skipped displays."""
    reading = read_text(md(text), "notes.md" if kind == "md" else "notes.tex", kind)
    results = check_reading(reading, numeric=True)
    steps = {r.derivation.name: [(s.verdict, s.reason) for s in r.steps] for r in results}
    return steps, summary_lines(reading)[1:], results


def verdicts(text: str, kind: str = "md"):
    steps, _, _ = chains(text, kind)
    return {name: [v for v, _ in found] for name, found in steps.items()}


# -- 1. equation numbers are labels -----------------------------------------------------------

NUMBERED = r"""
$$
\begin{aligned}
\mathbb{E}_{\mathcal{N}(z; \mu, \sigma^2)}\left[\frac{(z - \mu)^2}{2\sigma^2}\right]
&= \frac{1}{2\sigma^2}\, \mathbb{E}_{\mathcal{N}(z; \mu, \sigma^2)}\left[(z - \mu)^2\right] \qquad (1) \\
&= \frac{1}{%s} \qquad (%s)
\end{aligned}
\label{eq:numbered}
$$
"""


@pytest.mark.parametrize("label", ["2", "3a", "A.1", "2.1"])
def test_an_equation_number_at_a_rows_end_is_a_label_not_a_factor(label):
    assert verdicts(NUMBERED % (4, label)) == {"eq:numbered": ["verified", "refuted"]}
    assert verdicts(NUMBERED % (2, label)) == {"eq:numbered": ["verified", "verified"]}


def test_a_bracketed_number_after_a_group_is_no_guess():
    steps, _, _ = chains(r"""
        $$
        \begin{aligned}
        \log p(x) &= \log p(x, z) - \log p(z \mid x) \\
        &= \frac{1}{4}(2) \\
        &= \log p(x, z) - \log p(z \mid x)
        \end{aligned}
        $$
        """)
    (found,) = steps.values()
    assert [v for v, _ in found] == ["verified", "unknown", "unknown"]
    assert found[1][1].startswith("notes.md:5:15: a number in brackets ends the row")
    # after an operator it is written mathematics
    assert verdicts(r"""
        $$
        \begin{aligned}
        \frac{1}{2} &= \frac{1}{4} \cdot (2)
        \end{aligned}
        $$
        """) == {"line-4": ["verified"]}


# -- 2. unknown words are unknown functions ---------------------------------------------------

@pytest.mark.parametrize("f", [r"\mathrm{ReLU}", r"\operatorname{softplus}", r"\sigma", "f",
                               r"g_\theta", r"\mu_\phi", r"\mu", r"\mathrm{act}"])
def test_a_word_before_a_bracket_is_an_unknown_function(f):
    odd = rf"""
        $$
        {f}\left(-x\right) = -{f}\left(x\right)
        $$
        """
    assert verdicts(odd) == {"line-3": ["unknown"]}
    scale = rf"""
        $$
        {f}(2 z) = 2 {f}(z)
        $$
        """
    assert verdicts(scale) == {"line-3": ["unknown"]}
    every = rf"""
        $$
        \begin{{aligned}}
        {f}(a) + {f}(b) - {f}(a) &= {f}(b) \\
        &= \log \exp\left({f}(b)\right)
        \end{{aligned}}
        $$
        """
    assert verdicts(every) == {"line-4": ["verified", "verified"]}


def test_an_unknown_function_is_an_applied_undefined_function_printed_as_an_operator():
    report = check(r"""
$$
\begin{aligned}
\mathrm{ReLU}\left(z - b\right) + \mathrm{ReLU}(b) - \mathrm{ReLU}(b) &= \mathrm{ReLU}(z - b)
\end{aligned}
$$
""", source="md")
    (result,) = report.results
    end = result.derivation.steps[0].expr
    assert isinstance(end, AppliedUndef) and end.func.__name__ == "ReLU"
    assert latex(end) == r"\operatorname{ReLU}\left(z - b\right)"
    assert report.verdicts == ["verified"]


def test_the_relu_trap_does_not_verify():
    assert verdicts(r"""
        $$
        \begin{aligned}
        \mathbb{E}_{q(z \mid x)}\left[\mathrm{ReLU}(z - b)\right]
          &= \mathbb{E}_{q(z \mid x)}\left[\mathrm{ReLU}(z) - \mathrm{ReLU}(b)\right] \\
          &= \mathbb{E}_{q(z \mid x)}\left[\mathrm{ReLU}(z)\right] - \mathrm{ReLU}(b)
        \end{aligned}
        $$
        """) == {"line-4": ["unknown", "verified"]}


def test_a_name_used_as_a_function_and_as_a_variable_has_no_reading():
    steps, skipped, _ = chains(r"""
        $$
        \begin{aligned}
        \log p(x) &= \log p(x, z) - \log p(z \mid x) \\
        &= \sigma(a + b) \\
        &= \sigma a + \sigma b
        \end{aligned}
        $$
        """)
    (found,) = steps.values()
    assert [v for v, _ in found] == ["verified", "unknown", "unknown"]
    assert found[1][1] == ("notes.md:5:4: 'sigma' is used both as a function, sigma(..), and "
                           "as a variable: it has no single meaning")


def test_the_file_language_declares_unknown_functions_and_refuses_them_undeclared():
    text = "function ReLU, g_theta\nReLU(x - b)\n= ReLU(x) - ReLU(b)\n"
    (d,) = parse_text(text, "f.deriv")
    assert isinstance(d.start, AppliedUndef)
    assert check(text).verdicts == ["unknown"]
    with pytest.raises(InputError) as info:
        parse_text("ReLU(x)\n= 1\n", "f.deriv")
    assert "no declared function ('function ReLU')" in info.value.message
    with pytest.raises(InputError) as info:
        parse_text("function ReLU\nReLU\n= 1\n", "f.deriv")
    assert info.value.message == "'ReLU' is declared a function ('function ReLU'): apply it, " \
                                 "ReLU(...)"
    with pytest.raises(InputError):
        parse_text("function p\nx\n= 1\n", "f.deriv")


# -- 3. matrix notation is not read as scalars ------------------------------------------------

@pytest.mark.parametrize("row, shown", [
    (r"\mathrm{tr}\left(\Sigma\right)", "tr"),
    (r"\operatorname{tr}(A B)", "tr"),
    (r"\mathrm{trace}(A)", "trace"),
    (r"\det \Sigma", r"\det"),
    (r"\left|\Sigma\right|", "|Sigma|"),
    (r"x^T y", "^T"),
    (r"x^\top y", r"^\top"),
    (r"x^{\mathsf{T}} y", r"^{\mathsf{T}}"),
    (r"x^\intercal y", r"^\intercal"),
    (r"(x - \mu)^T (x - \mu)", "^T"),
    (r"\Sigma^{-1} x", "^{-1}"),
    (r"A^{-1} x", "^{-1}"),
    (r"\mathbf{x}^{-1}", "^{-1}"),
    (r"(A B)^{-1}", "^{-1}"),
    (r"a \odot b", r"\odot"),
    (r"a \otimes b", r"\otimes"),
    (r"\mathbf{I} x", r"\mathbf{I}"),
])
def test_matrix_notation_is_not_read(row, shown):
    steps, _, _ = chains(rf"""
        $$
        \begin{{aligned}}
        \log p(x) &= \log p(x, z) - \log p(z \mid x) \\
        &= {row} \\
        &= \log p(x, z) - \log p(z \mid x)
        \end{{aligned}}
        $$
        """)
    (found,) = steps.values()
    assert [v for v, _ in found] == ["verified", "unknown", "unknown"]
    assert found[1][1].endswith(f"matrix notation ({shown}) is not read yet")


@pytest.mark.parametrize("claim", [
    r"\mathrm{tr}\left(\Sigma_2^{-1} (x - \mu)^T (x - \mu)\right) = (x - \mu)^T \Sigma_2^{-1} (x - \mu)",
    r"\mathrm{tr}(ABC) = \mathrm{tr}(CBA)",
    r"\operatorname{tr}(ABC) = \operatorname{tr}(CBA)",
])
def test_scalar_readings_of_matrix_identities_are_gone(claim):
    steps, skipped, _ = chains(f"$$\n{claim}\n$$\n")
    assert steps == {}
    assert "matrix notation" in skipped[0]


# -- 4. an equation list is several equations -------------------------------------------------

def test_each_row_of_an_equation_list_is_its_own_equation():
    assert verdicts(r"""
        \begin{align}
        \log p(x) &= \log p(x, z) - \log p(z \mid x) \label{eq:evidence} \\
        \log p(z \mid x) &= \log p(x \mid z) + \log p(z) - \log p(x) \label{eq:bayes} \\
        \mathbb{E}_{q(z \mid x)}\left[\log p(x)\right] &= \log p(x) \label{eq:constant}
        \end{align}
        """, kind="tex") == {"eq:evidence": ["verified"], "eq:bayes": ["verified"],
                             "eq:constant": ["verified"]}
    # a row that begins with an operator continues the expression above it
    assert verdicts(r"""
        $$
        \begin{aligned}
        \log p(x) &= \log p(x, z) \\
        &\quad - \log p(z \mid x) = \log p(x \mid z) + \log p(z) - \log p(z \mid x)
        \end{aligned}
        $$
        """) == {"line-4": ["verified", "verified"]}


def test_rightarrow_starts_a_new_claim():
    assert verdicts(r"""
        $$
        \begin{aligned}
        \log p(x) - \log p(x, z) &= - \log p(z \mid x) \\
        \Rightarrow \quad \log p(x) &= \log p(x, z) - \log p(z \mid x)
        \end{aligned}
        \label{eq:implies}
        $$
        """) == {"eq:implies": ["verified"], "line-5": ["verified"]}


# -- 5. a known word glued to more letters ----------------------------------------------------

def test_logp_has_no_single_reading():
    steps, _, _ = chains(r"""
        $$
        \begin{aligned}
        \log p(x) &= \log p(x, z) - \log p(z \mid x) \\
        &= logp_\theta(x) \\
        &= \log p(x, z) - \log p(z \mid x)
        \end{aligned}
        $$
        """)
    (found,) = steps.values()
    assert [v for v, _ in found] == ["verified", "unknown", "unknown"]
    assert found[1][1].startswith("notes.md:5:4: 'logp' has no single reading")


# -- 6. a brace keeps its content as written; its label is a side claim ------------------------

def test_an_underbrace_is_spliced_into_its_row_and_its_label_is_checked():
    assert verdicts(r"""
        $$
        \begin{aligned}
        \log p(x, z) &= \log p(z) \underbrace{- \log q(z) + \log q(z)}_{=0} + \log p(x \mid z) \\
        &= \log p(z) + \log p(x \mid z)
        \end{aligned}
        \label{eq:brace}
        $$
        """) == {"eq:brace": ["verified", "verified"], "eq:brace-brace-1": ["verified"]}


def test_a_false_brace_label_is_refuted_as_its_own_step():
    assert verdicts(r"""
        $$
        \begin{aligned}
        \log p(x, z) &= \log p(x \mid z) + \underbrace{\log p(z)}_{= \log q(z)}
        \end{aligned}
        \label{eq:brace}
        $$
        """) == {"eq:brace": ["verified"], "eq:brace-brace-1": ["refuted"]}
    # a label in words claims nothing
    assert verdicts(r"""
        $$
        \log p(x, z) = \log p(x \mid z) + \underbrace{\log p(z)}_{\text{prior}}
        $$
        """) == {"line-3": ["verified"]}


# -- 7. an empty row ---------------------------------------------------------------------------

def test_an_empty_row_is_unread_and_later_steps_keep_their_lines():
    steps, _, results = chains(r"""
        $$
        \begin{aligned}
        \log p(x) &= \log p(x, z) - \log p(z \mid x) \\
        &= \text{see above} \\
        &= \log p(x \mid z) + \log p(z) - \log p(z \mid x) \\
        &= \log p(x, z) - \log p(x \mid z)
        \end{aligned}
        $$
        """)
    (found,) = steps.values()
    assert [v for v, _ in found] == ["verified", "unknown", "unknown", "refuted"]
    assert found[1][1] == ("notes.md:5:2: an empty row: nothing after its relation is "
                           "mathematics")
    assert [s.line for s in results[0].derivation.steps] == [4, 5, 6, 7]


# -- 8. \cancel keeps what it crosses out ----------------------------------------------------

def test_cancel_keeps_the_crossed_out_factor():
    assert verdicts(r"""
        $$
        \begin{aligned}
        \log \frac{\cancel{p(z)}\, p(x \mid z)}{q(z \mid x)} &= \log \frac{p(x \mid z)}{q(z \mid x)}
        \end{aligned}
        $$
        """) == {"line-4": ["refuted"]}
    assert verdicts(r"""
        $$
        \begin{aligned}
        \frac{p(x \mid z)\, \cancel{p(z)}}{p(x)\, \cancel{p(z)}} &= \frac{p(x \mid z)}{p(x)}
        \end{aligned}
        $$
        """) == {"line-4": ["verified"]}
