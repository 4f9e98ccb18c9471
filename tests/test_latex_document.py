"""The LaTeX document: its structure, and that pdflatex compiles it."""
import shutil
import subprocess

import pytest

from elbo_sym.checker import check_derivation
from elbo_sym.derivations import BUILTINS, DERIVATIONS
from elbo_sym.printing.document import align, document, escape


def test_escape_plain_text():
    assert escape("a_b & 50% #1 {x}") == r"a\_b \& 50\% \#1 \{x\}"


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
    (tmp_path / "proof.tex").write_text(document([check_derivation(d) for d in DERIVATIONS]),
                                        encoding="utf-8")
    p = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "proof.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-3000:]
    pdf = tmp_path / "proof.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
