"""The notebook examples/notebook.ipynb, executed headlessly (nbclient, a real ipykernel): the
API's reports display as HTML, LaTeX and Markdown, and sympy prints the algebra as the CLI."""
import ast
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "notebook.ipynb"


def test_the_notebook_runs_and_its_reports_display_themselves(tmp_path):
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [cell.get("outputs", []) for cell in nb.cells if cell.cell_type == "code"]
    assert not [o for cell in outputs for o in cell if o.get("output_type") == "error"]

    elbo = outputs[0][0]["data"]
    assert '<span class="verdict verified">✓ verified</span>' in elbo["text/html"]
    assert "<math" in elbo["text/html"] and "<script" not in elbo["text/html"]
    assert elbo["text/latex"].startswith("$$\\begin{aligned}\n\\log p(x) &= ")
    assert "\\begin{align*}" not in elbo["text/latex"]
    assert elbo["text/markdown"].startswith("### elbo: The evidence lower bound")
    assert elbo["text/plain"] == "<Report elbo: elbo: 7 verified>"

    swapped = outputs[1][0]["data"]
    assert '<span class="verdict refuted">✗ refuted</span>' in swapped["text/html"]
    assert "residual in normal form: <math" in swapped["text/html"]
    assert "numerically violated at" in swapped["text/html"]

    assert outputs[2][0]["data"]["text/plain"] == "(False, ['verified', 'refuted'])"
    verdict, residual, counterexample = ast.literal_eval(outputs[3][0]["data"]["text/plain"])
    assert (verdict, residual, sorted(counterexample)) == ("refuted", "−log p(z) + log p(x)",
                                                          ["x", "z"])
    tex, text, sympy_tex = ast.literal_eval(outputs[4][0]["data"]["text/plain"])
    assert tex == ("\\mathbb{E}_{q(z \\mid x)}\\left[ \\log p(x, z) - \\log p(z \\mid x) \\right]")
    assert text == "E_q(z | x)[log p(x, z) − log p(z | x)]"
    # sympy's own printer prints the expectation's notation and its arguments sympy's way
    assert sympy_tex == ("\\mathbb{E}_{q(z \\mid x)}\\left[ - \\log{\\left(p(z \\mid x) \\right)} "
                         "+ \\log{\\left(p(x, z) \\right)} \\right]")
