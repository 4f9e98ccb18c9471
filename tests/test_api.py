"""The Python API: elbo_sym.check / derive and the Report they return."""
import re
import subprocess
import sys

import pytest

import elbo_sym
from elbo_sym import InputError, Report

WRONG = ('derivation swapped "Swapped conditional"\n  log p(x)\n'
         '  = log p(x, z) - log p(z | x)    by product-rule\n'
         '  = log p(x, z) - log p(x | z)    by bayes-rule\n')
MARKDOWN = ("Notes.\n\n$$\n\\log p(x) = \\log p(x, z) - \\log p(z \\mid x)\n$$\n")
TEX = ("\\begin{equation}\n\\log p(x) = \\log p(x, z) - \\log p(z \\mid x)\n\\end{equation}\n")


def test_check_a_deriv_text():
    report = elbo_sym.check(WRONG)
    assert isinstance(report, Report)
    assert report.ok is False and report.exit_code == 1
    assert report.verdicts == ["verified", "refuted"]
    step = report.steps[1]
    assert (step.derivation, step.index, step.line, step.relation) == ("swapped", 2, 4, "=")
    assert step.residual == "−log p(z) + log p(x)" and set(step.counterexample) == {"x", "z"}
    assert report.located() == [
        "<string>:4:3: refuted: swapped, step 2: " + step.message]
    assert repr(report) == "<Report <string>: swapped: 1 verified, 1 refuted>"
    assert str(report).startswith("<string>: swapped: Swapped conditional\n")
    assert report.to_json()["derivations"][0]["steps"][1]["verdict"] == "refuted"


@pytest.mark.parametrize("text, source", [(MARKDOWN, "md"), (TEX, "tex")])
def test_check_markdown_and_latex(text, source):
    report = elbo_sym.check(text, source=source)
    assert report.ok and report.verdicts == ["verified"]


def test_bad_input_raises_a_located_input_error():
    with pytest.raises(InputError) as caught:
        elbo_sym.check("log p(x)\n= log p(x,, z)\n", name="bad.deriv")
    assert caught.value.line == 2 and str(caught.value).startswith("bad.deriv:2:")
    with pytest.raises(ValueError):
        elbo_sym.check(WRONG, source="docx")


def test_derive_a_builtin_and_an_unknown_name():
    report = elbo_sym.derive("elbo")
    assert report.ok and len(report.verdicts) == 7
    assert "elbo" in elbo_sym.builtins() and "kl-nonneg" in elbo_sym.rule_catalogue()
    with pytest.raises(KeyError):
        elbo_sym.derive("elbow")


def test_reports_display_themselves():
    report = elbo_sym.check(WRONG)
    tex = report._repr_latex_()
    assert re.fullmatch(r"\$\$\\begin\{aligned\}\n.*\n\\end\{aligned\}\$\$", tex, re.S)
    assert "&& \\times\\ \\text{bayes-rule}" in tex
    html = report._repr_html_()
    assert '<span class="verdict refuted">✗ refuted</span>' in html and "<math" in html
    md = report._repr_markdown_()
    assert md.startswith("### swapped: Swapped conditional") and "$$\n\\begin{aligned}" in md
    assert report.html().startswith("<!DOCTYPE html>")
    assert report.latex().startswith("\\documentclass")


def test_the_repr_latex_renders_with_katex():
    from test_formats import _katex_errors

    tex = elbo_sym.derive("gaussian-kl-diagonal")._repr_latex_() + elbo_sym.check(WRONG)._repr_latex_()
    blocks = re.findall(r"\$\$(.*?)\$\$", tex, re.S)
    assert len(blocks) == 2
    assert _katex_errors([(b, True) for b in blocks]) == ["", ""]


def test_import_elbo_sym_loads_neither_the_checker_nor_numpy():
    code = ("import sys, elbo_sym\n"
            "bad = [m for m in ('numpy', 'lark', 'elbo_sym.api', 'elbo_sym.checker') "
            "if m in sys.modules]\nassert not bad, bad\n"
            "assert callable(elbo_sym.check) and 'elbo_sym.api' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)


def test_mypy_accepts_the_public_api():
    """The modules a user imports type-check under the package's settings (the modules they
    use are read, their errors silenced); the whole package is CI's `python -m mypy`."""
    mypy = pytest.importorskip("mypy.api")
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    public = [str(root / "elbo_sym" / name) for name in ("__init__.py", "api.py", "errors.py")]
    out, err, status = mypy.run(["--config-file", str(root / "pyproject.toml"),
                                 "--no-incremental", "--cache-dir", "/dev/null", *public])
    assert status == 0, out + err
