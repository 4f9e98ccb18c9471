"""Every report format is printed from the report model (``report_model.DocumentReport``):
the text, Markdown, HTML and LaTeX renderers read plain data, which survives pickling (the
worker processes of ``--jobs N`` send it back), and need neither the checker nor click."""
import pickle
import subprocess
import sys
import textwrap

import pytest

import elbo_sym
from elbo_sym.printing import document as latex_document
from elbo_sym.printing.html import html_report
from elbo_sym.printing.markdown import markdown_report
from elbo_sym.printing.report import document_text, format_derivation, style
from elbo_sym.report_model import DerivationReport, DocumentReport

SWAPPED = """
derivation swapped "Swapped conditional"
  log p(x)
  = log p(x, z) - log p(z | x)     by product-rule
  = log p(x, z) - log p(x | z)     by bayes-rule
"""

TEXT = """\
<string>: swapped: Swapped conditional

      log p(x)
  = log p(x, z) − log p(z | x)     ✓ verified  line 4: by product-rule
  = log p(x, z) − log p(x | z)     ? unknown  line 5: by bayes-rule
      the two sides differ (residual: left − right)
      residual in normal form: −log p(z) + log p(x)
      did you mean: = log p(x, z) - log p(z | x)   (p(x | z) turned around; verified by bayes-rule)

  conclusion: log p(x) = log p(x, z) − log p(x | z)   (NOT every step verified: 1 verified, 1 unknown)"""

MARKDOWN_DETAILS = """\
- **step 2** (line 5): ? unknown
  - the two sides differ (residual: left − right)
  - residual in normal form: $- \\log p(z) + \\log p(x)$
  - did you mean: $= \\log p(x, z) - \\log p(z \\mid x)$ (p(x \\| z) turned around; verified by bayes-rule)
"""

FOOTNOTE = ("\\stepcounter{footnote}\\footnotetext{Did you mean $= \\log p(x, z) - \\log p(z \\mid x)$"
            " (p(x | z) turned around; verified by bayes-rule)?}\n")


@pytest.fixture(scope="module")
def model() -> DocumentReport:
    return elbo_sym.check(SWAPPED, numeric=False).model


def test_the_text_report_is_printed_from_the_document_report(model):
    assert document_text(model, "<string>: ") == TEXT


def test_a_derivation_report_prints_its_chain(model):
    (chain,) = model.derivations
    assert isinstance(chain, DerivationReport)
    assert format_derivation(chain) == TEXT[len("<string>: "):]
    assert format_derivation(chain, quiet=True).splitlines() == [
        "swapped: Swapped conditional",
        "  conclusion: log p(x) = log p(x, z) − log p(x | z)   (NOT every step verified: "
        "1 verified, 1 unknown)"]


def test_markdown_html_and_latex_are_printed_from_the_document_report(model):
    markdown = markdown_report([model])
    assert MARKDOWN_DETAILS in markdown
    assert "`<string>`" in markdown
    html = html_report([model])
    assert '<tr class="step unknown">' in html and "<code>&lt;string&gt;</code>" in html
    tex = latex_document.document(model.derivations)
    assert tex.startswith("\\documentclass") and FOOTNOTE in tex
    assert "&& ?\\ \\text{bayes-rule}\\footnotemark" in tex


def test_the_model_holds_what_the_renderers_print(model):
    (chain,) = model.derivations
    assert (chain.start.text, chain.start.latex, chain.end.latex) == (
        "log p(x)", "\\log p(x)", "\\log p(x, z) - \\log p(x \\mid z)")
    assert chain.conclusion_latex == "\\log p(x) = \\log p(x, z) - \\log p(x \\mid z)"
    step = chain.steps[1]
    assert step.residual_latex == "- \\log p(z) + \\log p(x)"
    assert step.message_parts == ("the two sides differ (residual: left − right)",
                                  "residual in normal form: −log p(z) + log p(x)")
    assert step.suggestion_latex == ("\\log p(x, z) - \\log p(z \\mid x)",)
    assert step.suggestion_lines == ("did you mean: = log p(x, z) - log p(z | x)   "
                                     "(p(x | z) turned around; verified by bayes-rule)",)


def test_a_document_report_renders_the_same_after_pickling(model):
    again = pickle.loads(pickle.dumps(model))
    assert again == model
    assert document_text(again, "x: ", colour=True) == document_text(model, "x: ", colour=True)
    assert markdown_report([again]) == markdown_report([model])
    assert html_report([again]) == html_report([model])
    assert latex_document.document(again.derivations) == latex_document.document(model.derivations)


def test_colour_is_the_ansi_sequence_click_writes(model):
    assert style("✓ verified", "green") == "\x1b[32m\x1b[1m✓ verified\x1b[0m"
    coloured = document_text(model, colour=True)
    assert "\x1b[32m\x1b[1m✓ verified\x1b[0m  line 4" in coloured
    assert "\x1b[33m\x1b[1m? unknown\x1b[0m  line 5" in coloured
    assert "\x1b[" not in document_text(model)


def test_the_api_and_the_renderers_agree(model):
    report = elbo_sym.check(SWAPPED, numeric=False)
    assert report.text() == document_text(model, "<string>: ")
    assert report.markdown() == markdown_report([model])
    assert report.latex() == latex_document.document(model.derivations)


def test_rendering_a_pickled_report_needs_neither_the_checker_nor_click(model, tmp_path):
    """A pickled report is printed in every format by a process that never loads the checker
    (nor its result types) or click."""
    path = tmp_path / "report.pickle"
    path.write_bytes(pickle.dumps(model))
    script = textwrap.dedent(f"""
        import pickle, sys
        report = pickle.loads(open({str(path)!r}, "rb").read())
        from elbo_sym.printing import document
        from elbo_sym.printing.html import html_report
        from elbo_sym.printing.markdown import markdown_report
        from elbo_sym.printing.report import document_text
        outputs = [document_text(report, colour=True), markdown_report([report]),
                   html_report([report]), document.document(report.derivations)]
        assert all(outputs)
        loaded = sorted(m for m in sys.modules
                        if m == "click" or m.startswith(("elbo_sym.checker", "click.")))
        print(",".join(loaded) or "none")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "none"


def test_importing_the_text_report_does_not_import_click():
    script = ("import sys, elbo_sym.printing.report; "
              "print('click' in sys.modules, 'elbo_sym.checker' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False False"


def test_the_latex_command_typesets_from_the_reports(tmp_path):
    """``elbo-check latex`` reads the report model of every target (no checker results kept):
    the document of a file is the renderer's document of its report."""
    from click.testing import CliRunner

    from elbo_sym.cli import main

    path = tmp_path / "swapped.deriv"
    path.write_text(SWAPPED)
    result = CliRunner().invoke(main, ["latex", "--no-numeric", str(path)])
    assert result.exit_code == 1
    model = elbo_sym.check(SWAPPED, numeric=False).model
    assert result.output == latex_document.document(model.derivations)
