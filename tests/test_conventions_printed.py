"""Conventions are printed (contract, "One meaning or none"): a reading that adds meaning the
row does not write (a bare family resolved to the one density written in full, parameters after
a semicolon read as a subscript, a name applied to a bracket holding itself read as a product, a
Gaussian taking its variable from ``\\sim`` or the density it describes) is printed with its
derivation in every format, escaped; a reading error of a token a macro brought points at the
macro's use."""
import dataclasses
import json
import shutil
import subprocess

import pytest

from conftest import run_cli

BARE = ("$$\n\\begin{aligned}\n\\log p(x) &= \\mathbb{E}_{q}\\left[\\log p(x)\\right] \\\\\n"
        "&= \\mathbb{E}_{q_\\phi(z \\mid x)}\\left[\\log p(x)\\right]\n\\end{aligned}\n$$\n")
SEMICOLON = ("$$\n\\begin{aligned}\n\\log p(x, z; \\theta) &= \\log p(x \\mid z; \\theta) "
             "+ \\log p(z; \\theta)\n\\end{aligned}\n$$\n")
PRODUCT = ("$$\n\\begin{aligned}\n\\bar\\alpha_t (1 - \\bar\\alpha_t) &= \\bar\\alpha_t "
           "- \\bar\\alpha_t^2\n\\end{aligned}\n$$\n")
SIM = ("$$\n\\begin{aligned}\n\\mathbb{E}_{z \\sim \\mathcal{N}(\\mu, \\sigma^2)}[z] &= \\mu \\\\\n"
       "&= \\mu + 0\n\\end{aligned}\n$$\n")
MODEL = "$$\nq(z \\mid x) = \\mathcal{N}(\\mu, \\sigma^2)\n$$\n"
PLAIN = "$$\n\\begin{aligned}\na + b &= b + a \\\\\n&= a + b\n\\end{aligned}\n$$\n"
UNREAD = ("$$\n\\begin{aligned}\n\\log p(x; \\theta) &= \\log p(x; \\theta) + 0 \\\\\n"
          "&= q(z; \\phi) \\nabla \\\\\n&= \\log p(x; \\theta)\n\\end{aligned}\n$$\n")

CONVENTIONS = {
    "bare": (BARE, "reading a bare q as q_phi(z | x), the one density of q the display writes "
                   "in full"),
    "semicolon": (SEMICOLON, "reading p(..; theta) as the density p_theta(..)"),
    "product": (PRODUCT, "reading alphabar_t(..) as a product: alphabar_t is a variable inside "
                         "the bracket"),
    "sim": (SIM, "reading N(mu, sigma^2) as N(z; mu, sigma^2): the variable z from z ~"),
}


def _file(tmp_path, text, name="notes.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _json(path):
    r = run_cli("check", "--json", path)
    return r.exit_code, json.loads(r.stdout)


@pytest.mark.parametrize("which", sorted(CONVENTIONS))
def test_each_convention_is_printed_in_the_text_report(tmp_path, which):
    text, convention = CONVENTIONS[which]
    r = run_cli("check", _file(tmp_path, text))
    assert r.exit_code == 0, r.stdout
    assert f"\n  convention: {convention}\n" in r.stdout


@pytest.mark.parametrize("which", sorted(CONVENTIONS))
def test_each_convention_is_in_the_json_and_it_follows_the_schema(tmp_path, which):
    jsonschema = pytest.importorskip("jsonschema")
    from elbo_sym.report_model import schema

    text, convention = CONVENTIONS[which]
    code, data = _json(_file(tmp_path, text))
    assert code == 0
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    assert [d["conventions"] for d in data["files"][0]["derivations"]] == [[convention]]


def test_a_gaussian_that_takes_its_variable_from_the_density_it_describes_is_printed(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    from elbo_sym.report_model import schema

    path = _file(tmp_path, MODEL + "\n" + PLAIN)
    convention = ("reading N(mu, sigma^2) as N(z; mu, sigma^2): the variable z from the density "
                  "it describes")
    r = run_cli("check", path)
    assert f"  declared {path}:2: model q(z | x) = N(z; μ, σ^2)\n    convention: {convention}\n" \
        in r.stdout
    code, data = _json(path)
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    assert data["files"][0]["displays"]["declared"] == [
        {"line": 2, "text": "model q(z | x) = N(z; μ, σ^2)", "conventions": [convention]}]
    assert f"    convention: {convention}" in data["files"][0]["notes"]


def test_a_display_with_no_convention_prints_none(tmp_path):
    path = _file(tmp_path, PLAIN)
    r = run_cli("check", path)
    assert r.exit_code == 0 and "convention:" not in r.stdout
    assert _json(path)[1]["files"][0]["derivations"][0]["conventions"] == []
    for fmt in ("markdown", "html"):
        assert "onvention:" not in run_cli("check", "--format", fmt, path).stdout
    assert "onvention:" not in run_cli("latex", path).stdout


def test_the_convention_of_a_row_not_read_is_not_printed(tmp_path):
    r = run_cli("check", _file(tmp_path, UNREAD))
    assert "\\nabla has no reading" in r.stdout
    assert r.stdout.count("convention:") == 1
    assert "\n  convention: reading p(..; theta) as the density p_theta(..)\n" in r.stdout


def test_conventions_in_markdown_and_html_are_escaped(tmp_path):
    path = _file(tmp_path, BARE)
    md = run_cli("check", "--format", "markdown", path).stdout
    assert ("\nconvention: reading a bare q as q\\_phi(z \\| x), the one density of q the "
            "display writes in full  \n") in md
    page = run_cli("check", "--format", "html", path).stdout
    assert ('<p class="convention">convention: reading a bare q as q_phi(z | x), the one '
            "density of q the display writes in full</p>") in page


def test_a_convention_holding_markup_reaches_no_format_as_markup(tmp_path):
    from elbo_sym.api import check
    from elbo_sym.printing import document as doc
    from elbo_sym.printing.html import derivation_html
    from elbo_sym.printing.markdown import derivation_markdown
    from elbo_sym.printing.report import format_derivation

    report = check(PLAIN, "md").model.derivations[0]
    evil = dataclasses.replace(report, conventions=("<script>x</script> \\input{y} $z$ *w*",))
    assert "<script>" not in derivation_html(evil)
    assert "&lt;script&gt;x&lt;/script&gt;" in derivation_html(evil)
    md = derivation_markdown(evil)
    assert "<script>" not in md and "\\input{y}" not in md and "*w*" not in md
    tex = doc.body(evil)
    assert ("\\noindent\\textit{Convention:} <script>x</script> \\textbackslash{}input\\{y\\} "
            "\\$z\\$ *w*\\par\n") in tex
    assert "  convention: <script>x</script> \\input{y} $z$ *w*" in format_derivation(evil)


def test_the_latex_document_prints_the_convention(tmp_path):
    path = _file(tmp_path, BARE)
    r = run_cli("latex", path)
    assert r.exit_code == 0
    assert ("\\noindent\\textit{Convention:} reading a bare q as q\\_phi(z | x), the one density "
            "of q the display writes in full\\par\n") in r.stdout


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_latex_document_with_conventions_compiles(tmp_path):
    path = _file(tmp_path, BARE + "\n" + SEMICOLON + "\n" + PRODUCT + "\n" + SIM)
    r = run_cli("latex", path)
    assert r.stdout.count("\\textit{Convention:}") == 4
    (tmp_path / "proof.tex").write_text(r.stdout, encoding="utf-8")
    p = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "proof.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-3000:]


MACRO_USE = ("\\documentclass{article}\n\\newcommand{\\bad}{x^12}\n"
             "\\newcommand{\\sg}{\\operatorname{softplus}}\n\\begin{document}\n"
             "\\begin{align}\n\\sg(a + b) &= \\sg(b + a) \\\\\n  &= \\bad + a - x^{12}\n"
             "\\end{align}\n\\end{document}\n")


def test_a_reading_error_in_a_macro_points_at_its_use(tmp_path):
    path = _file(tmp_path, MACRO_USE, "paper.tex")
    r = run_cli("check", path)
    assert r.exit_code == 1
    assert f"{path}:7:6: '^12' is ^1 followed by 2 in TeX: write ^{{..}}" in r.stdout
    assert f"{path}:2:" not in r.stdout


def test_a_macro_read_as_written_keeps_its_own_text(tmp_path):
    # \operatorname{..} is read from the source as written: the macro's definition, not its use
    r = run_cli("check", _file(tmp_path, MACRO_USE, "paper.tex"))
    assert "\n      softplus(a + b)\n  = softplus(b + a)" in r.stdout
