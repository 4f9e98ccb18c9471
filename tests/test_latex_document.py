"""The LaTeX document: its structure, and that pdflatex compiles it."""
import shutil
import subprocess

import pytest

from dataclasses import replace

from sympy import Integer, Symbol

from elbo_sym.checker import check_derivation
from elbo_sym.derivations import BUILTINS, DERIVATIONS
from elbo_sym.parser import parse_text
from elbo_sym.printing.document import align, document, escape, fragment, section

GREEK_FILE = """\
derivation greek "KL of N(μ, σ²) ≥ 0 — Ħ, ∑ and ☃ in a title"
let L_theta(x) = E_{q_phi(z|x)}[ log p(x, z) - log q_phi(z | x) ]
assume beta >= 1
  log p(x)
  = KL(q_phi(z|x) || p(z|x)) + L_theta(x)             by product-rule, linearity, kl-definition, definition, expectation-of-constant
  >= L_theta(x)                                       by kl-nonneg
"""


def greek_result():
    (derivation,) = parse_text(GREEK_FILE, "greek.deriv")
    return replace(check_derivation(derivation), conditions=((Symbol("v"), ">", Integer(0)),))


def test_escape_plain_text():
    assert escape("a_b & 50% #1 {x}") == r"a\_b \& 50\% \#1 \{x\}"


def test_escape_unicode():
    assert escape("N(μ, σ²)") == r"N($\mu$, $\sigma$²)"
    assert escape("λ Λ φ ε Α ο") == r"$\lambda$ $\Lambda$ $\varphi$ $\varepsilon$ A o"
    assert escape("≥ − ∑ ‖") == r"$\ge$ $-$ $\sum$ $\|$"
    assert escape("Kullback–Leibler, Gödel, Łukasiewicz") == "Kullback–Leibler, Gödel, Łukasiewicz"
    assert escape("Ħ ☃") == r"\texttt{[U+0126]} \texttt{[U+2603]}"


def test_section_escapes_the_title_and_prints_let_names_as_symbols():
    out = section(greek_result())
    assert out.startswith("\\section*{KL of N($\\mu$, $\\sigma$²) $\\ge$ 0 — "
                          "\\texttt{[U+0126]}, $\\sum$ and \\texttt{[U+2603]} in a title}\n")
    assert ("\\noindent where $\\displaystyle L_{\\theta}(x) = \\mathbb{E}_{q_{\\phi}(z \\mid x)}"
            "\\left[ \\log p(x, z) - \\log q_{\\phi}(z \\mid x) \\right]$.\\par\n") in out
    assert out.endswith("\\end{align*}\n\\noindent Assuming $\\beta \\ge 1$; for $v > 0$.\\par\n")


def test_fragment_keeps_where_lines_and_assumptions():
    out = fragment([greek_result()])
    assert out.startswith("\\noindent where $\\displaystyle L_{\\theta}(x) = ")
    assert "\\begin{align*}\n\\log p(x) &= " in out
    assert out.endswith("\\end{align*}\n\\noindent Assuming $\\beta \\ge 1$; for $v > 0$.\\par\n")
    assert "\\documentclass" not in out and "\\section" not in out


def test_align_has_one_line_per_step_with_its_rules():
    result = check_derivation(BUILTINS["kl-nonneg"])
    text = align(result)
    assert text.startswith("\\begin{align*}\n- \\operatorname{KL}")
    assert text.count("\\\\\n") == len(result.steps) - 1
    assert "&& \\checkmark\\ \\text{jensen}" in text
    assert text.endswith("\\end{align*}\n")


def test_document_has_a_section_per_derivation():
    doc = document([check_derivation(d) for d in DERIVATIONS])
    assert doc.startswith("\\documentclass")
    assert doc.count("\\section*{") == len(DERIVATIONS)
    assert doc.rstrip().endswith("\\end{document}")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_document_compiles_with_pdflatex(tmp_path):
    # the built-ins, and a title with Greek letters, math signs and characters that inputenc
    # does not know (each once stopped pdflatex: "Unicode character μ not set up")
    results = [check_derivation(d) for d in DERIVATIONS] + [greek_result()]
    (tmp_path / "proof.tex").write_text(document(results), encoding="utf-8")
    p = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "proof.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-3000:]
    pdf = tmp_path / "proof.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
