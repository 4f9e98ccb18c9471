r"""Issue 19, items 3, 4, 8, 10: documents as people write them. Markdown escaped for
Jekyll/kramdown, macros the document defines (expanded as tokens, never run, bounded), the
Markdown cells of a notebook at the notebook's lines, a remark set in \scriptstyle, and a name
given at a chain's end. A true and a false variant of each: the false step is never verified."""
import json
import textwrap

from elbo_sym.readers import check_reading, read_text, summary_lines
from elbo_sym.readers.macros import Macros, document_macros
from elbo_sym.readers.tokens import tokenize

from conftest import run_cli


def verdicts(text: str, kind: str = "md", name: str = "notes"):
    reading = read_text(textwrap.dedent(text), f"{name}.{kind}", kind)
    results = check_reading(reading, numeric=True)
    return ({r.derivation.name: [s.verdict for s in r.steps] for r in results},
            summary_lines(reading))


# -- Markdown as static-site generators need it ------------------------------------------------

KRAMDOWN = r"""
$$
\begin{align\*}
\log p\_\theta(x) &= \log \int p\_\theta(x, z) \, dz \\\\
&= \log \mathbb{E}\_{q\_\phi(z \vert x)} \left[ \frac{p\_\theta(x, z)}{q\_\phi(z \vert x)} \right]
\label{eq:k}
\end{align\*}
$$
"""


def test_kramdown_escapes_are_read_back():
    found, _ = verdicts(KRAMDOWN)
    assert found == {"eq:k": ["verified", "verified"]}


def test_kramdown_false_step_is_not_verified():
    found, _ = verdicts(KRAMDOWN.replace(r"\log \int p\_\theta(x, z)", r"\int \log p\_\theta(x, z)"))
    # ∫ log p(x, z) dz over the whole space has no value for most densities (a Gaussian's
    # diverges), so neither the changed step nor the next one is refuted
    assert found == {"eq:k": ["unknown", "unknown"]}


# -- macros ------------------------------------------------------------------------------------

MACROS_TEX = r"""
\documentclass{article}
\newcommand{\E}{\mathbb{E}}
\newcommand{\KL}[2]{D_{\mathrm{KL}}\left(#1 \,\|\, #2\right)}
\newcommand{\qz}[1][x]{q_\phi(z \mid #1)}
\DeclareMathOperator{\Ent}{H}
\begin{document}
\begin{align}
\E_{\qz}\left[\log p_\theta(x, z)\right] + \Ent(\qz)
  &= \E_{\qz[x]}\left[\log p_\theta(x, z) - \log \qz\right] \nonumber \\
  &= \log p_\theta(x) - \KL{\qz}{p_\theta(z \mid x)} \label{eq:m}
\end{align}
\end{document}
"""


def test_macros_with_arguments_and_defaults_are_expanded():
    found, _ = verdicts(MACROS_TEX, "tex")
    assert found == {"eq:m": ["verified", "verified"]}


def test_a_macro_whose_arguments_are_swapped_is_not_verified():
    swapped = MACROS_TEX.replace(r"\left(#1 \,\|\, #2\right)", r"\left(#2 \,\|\, #1\right)")
    found, _ = verdicts(swapped, "tex")
    assert found == {"eq:m": ["verified", "refuted"]}


def test_renewcommand_and_def_in_a_mathjax_display():
    text = r"""
    $$
    \newcommand{\E}{\mathbb{E}}
    \renewcommand{\d}{\mathrm{d}}
    \def\vx{\mathbf{x}}
    \def\vz{\mathbf{z}}
    $$

    $$
    \log p(\vx) = \log \int p(\vx, \vz) \, \d\vz = \log \E_{q(\vz \mid \vx)}\left[\frac{p(\vx, \vz)}{q(\vz \mid \vx)}\right]
    $$
    """
    found, notes = verdicts(text)
    assert list(found.values()) == [["verified", "verified"]]
    assert notes == ["notes.md: 1 display checked, 0 declared, 0 skipped"]


def test_a_macro_is_used_only_after_its_definition():
    text = r"""
    $$
    \log p(x) = \log \int p(x, z) \, dz = \E_q[x]
    $$

    $$
    \newcommand{\E}{\mathbb{E}}
    $$
    """
    found, _ = verdicts(text)
    assert found == {"line-3": ["verified", "unknown"]}


def test_a_recursive_macro_skips_its_display_with_a_located_reason():
    text = "\\newcommand{\\loop}{\\loop x}\n\\begin{equation}\na = \\loop = b\n\\end{equation}\n"
    reading = read_text(text, "r.tex", "tex")
    assert reading.chains == []
    (skipped,) = reading.blocks
    assert (skipped.line, skipped.column) == (3, 5)
    assert "the macro \\loop expands without end" in skipped.reason


def test_a_recursive_macro_through_the_cli(tmp_path):
    path = tmp_path / "r.tex"
    path.write_text("\\def\\a{\\a\\a}\n\\[\nx = \\a\n\\]\n", encoding="utf-8")
    r = run_cli("check", str(path))
    assert r.exit_code == 1
    assert "expands without end" in r.stdout + r.stderr


def test_macros_are_substituted_tokens_never_run():
    text = r"\def\x#1.{#1}\newcommand{\y}[2]{#2#1} \y{a}{b}\x c."
    macros = document_macros(text)
    out = macros.expand(tokenize(text, text.index(" ") + 1))
    assert "".join(t.text for t in out) == r"ba\x c."      # a delimited \def stays unread
    assert Macros().expand(tokenize("a")) == tokenize("a")


# -- notebooks ---------------------------------------------------------------------------------

def notebook(*cells):
    return json.dumps({"cells": [{"cell_type": kind, "metadata": {},
                                  "source": [line + "\n" for line in src.split("\n")]}
                                 for kind, src in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_a_notebook_reads_its_markdown_cells_at_the_notebooks_lines(tmp_path):
    text = notebook(("code", 'print("$$ a = b $$")'),
                    ("markdown", "# Bound\n$$\n\\log p(x) = \\log \\int p(x, z) \\, dz\n"
                                 "= \\log \\int p(z) \\, dz\n$$"))
    path = tmp_path / "nb.ipynb"
    path.write_text(text, encoding="utf-8")
    r = run_cli("check", "--json", str(path))
    steps = json.loads(r.stdout)["files"][0]["derivations"][0]["steps"]
    assert [s["verdict"] for s in steps] == ["verified", "refuted"]
    lines = text.split("\n")
    assert lines[steps[1]["line"] - 1].lstrip().startswith('"= \\\\log \\\\int p(z)')


def test_a_notebook_error_is_located_in_the_ipynb(tmp_path):
    text = notebook(("markdown", "intro\n<!-- elbo-check: assume ) -->"))
    path = tmp_path / "bad.ipynb"
    path.write_text(text, encoding="utf-8")
    r = run_cli("check", str(path))
    assert r.exit_code == 2
    line = next(k for k, s in enumerate(text.split("\n"), 1) if "assume )" in s)
    assert f"bad.ipynb:{line}:" in r.stderr
    col = int(r.stderr.split(f"bad.ipynb:{line}:")[1].split(":")[0])
    assert text.split("\n")[line - 1][col - 1] == ")"


def test_a_file_that_is_no_notebook_is_a_located_input_error(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [\n  {"cell_type": "markdown",, }]}', encoding="utf-8")
    r = run_cli("check", str(path))
    assert r.exit_code == 2
    assert "broken.ipynb:2:" in r.stderr and "not a notebook" in r.stderr


# -- a remark in a column of its own -----------------------------------------------------------

SCRIPTSTYLE = r"""
$$
\begin{aligned}
D_{KL}(q(z|x) \| p(z|x)) &= \mathbb{E}_{q(z|x)}\left[\log q(z|x) - \log p(z|x)\right] & \\
&= \mathbb{E}_{q(z|x)}\left[\log q(z|x) - \log p(z,x)\right] + \log p(x) & \scriptstyle{\text{; because } p(z|x)=p(z,x)/p(x)}
\end{aligned}
\label{eq:s}
$$
"""


def test_a_scriptstyle_remark_is_no_mathematics():
    found, _ = verdicts(SCRIPTSTYLE)
    assert found == {"eq:s": ["verified", "verified"]}


def test_a_false_step_beside_a_scriptstyle_remark_is_not_verified():
    found, _ = verdicts(SCRIPTSTYLE.replace(r"+ \log p(x) &", r"- \log p(x) &"))
    assert found == {"eq:s": ["verified", "refuted"]}


# -- a name given at the chain's end -----------------------------------------------------------

NAMED = r"""
\begin{equation}
\log p(x) \geq \mathbb{E}_{q(z \mid x)}\left[\log p(x \mid z)\right]
  - D_{\mathrm{KL}}\left(q(z \mid x) \,\|\, p(z)\right) \equiv \mathcal{L}(x)
\label{eq:bound}
\end{equation}
\begin{equation}
\log p(x) - \mathcal{L}(x) = D_{\mathrm{KL}}\left(q(z \mid x) \,\|\, p(z \mid x)\right)
\label{eq:gap}
\end{equation}
"""


def test_a_name_at_the_chains_end_is_a_definition():
    found, _ = verdicts(NAMED, "tex")
    assert found == {"eq:bound": ["verified", "verified"], "eq:gap": ["verified"]}


def test_a_false_use_of_a_name_given_at_the_end_is_not_verified():
    found, _ = verdicts(NAMED.replace(r"\log p(x) - \mathcal{L}(x)", r"\log p(x) + \mathcal{L}(x)"),
                        "tex")
    assert found == {"eq:bound": ["verified", "verified"], "eq:gap": ["refuted"]}


def test_a_name_used_elsewhere_in_the_display_is_compared_not_defined():
    text = r"""
    $$
    L = \log p(x) - \log p(x) = L
    $$
    """
    found, _ = verdicts(text)
    assert found == {"line-3": ["refuted", "refuted"]}


# -- step structure ----------------------------------------------------------------------------

def test_liquid_math_tags_are_a_display():
    text = r"""
    {% math %}
    \log p(x) = \log \int p(x, z) \, dz = \log \int p(z) \, dz
    {% endmath %}
    """
    found, _ = verdicts(text)
    assert found == {"line-3": ["verified", "refuted"]}


DOTS = r"""
$$
\begin{aligned}
\log p(x) &= \log \int p(x, z) \, dz = \\
&\quad \log \int q(z \mid x) \frac{p(x, z)}{q(z \mid x)} \, dz \\
&= \dots \\
&\geq \mathbb{E}_{q(z \mid x)}\left[\log p(x, z) - \log q(z \mid x)\right]
\end{aligned}
$$
"""


def test_a_row_of_dots_leaves_steps_out_and_a_relation_may_end_a_row():
    found, _ = verdicts(DOTS)
    assert found == {"line-4": ["verified", "verified", "verified"]}


def test_a_false_claim_across_dots_is_not_verified():
    found, _ = verdicts(DOTS.replace(r"&\geq \mathbb", r"&\leq \mathbb"))
    assert found == {"line-4": ["verified", "verified", "refuted"]}
