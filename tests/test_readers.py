"""Reading derivations in Markdown and LaTeX (issue 10): the notation table, the document
scanner, rows and steps, definitions, models, skipped displays, positions, the command line."""
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from conftest import CONFORMANCE
from elbo_sym.errors import InputError
from elbo_sym.readers import check_reading, read_text, summary_lines
from elbo_sym.readers.document import ChainBlock, DeclaredBlock, SkippedBlock
from elbo_sym.readers.tokens import tokenize
from elbo_sym.readers.translate import Context, NoReading, Translator, normalize, text_of

LATEX = CONFORMANCE / "latex"


def tr(latex):
    """The file-language text of one LaTeX expression, spaces squeezed."""
    pieces = Translator(normalize(tokenize(latex)), Context(latex)).expression()
    return text_of(pieces)


def squeeze(s):
    return "".join(s.split())


def read(text, kind="md", name="notes.md"):
    return read_text(textwrap.dedent(text), name, kind)


def check(text, kind="md", name="notes.md", numeric=False):
    reading = read(text, kind, name)
    return reading, check_reading(reading, numeric=numeric)


def verdicts(results):
    return [[s.verdict for s in r.steps] for r in results]


# -- the notation table ------------------------------------------------------------------------

@pytest.mark.parametrize("latex, deriv", [
    (r"\log p_\theta(x \mid z)", "log p_theta(x|z)"),
    (r"q_{\phi}(z|x)", "q_phi(z|x)"),
    (r"p(\mathbf{x} \vert \mathbf{z})", "p(x|z)"),
    (r"\mathbb{E}_{q_\phi(z|x)}\left[\log p(x, z)\right]", "E_{q_phi(z|x)}[logp(x,z)]"),
    (r"\mathbb{E}_{z \sim q(z \mid x)}[f]", "E_{z~q(z|x)}[f]"),
    (r"\underset{z\sim q(z)}{\mathbb{E}}\big[ z \big]", "E_{z~q(z)}[z]"),
    (r"\mathop{\mathbb{E}}_{q(z)}[z]", "E_{q(z)}[z]"),
    (r"\operatorname{E}_{q(z)}[z]", "E_{q(z)}[z]"),
    (r"D_{\mathrm{KL}}(q(z) \| p(z))", "KL(q(z)||p(z))"),
    (r"D_{KL}\left(q(z) \,\middle\|\, p(z)\right)", "KL(q(z)||p(z))"),
    (r"\mathrm{KL}[q(z) \Vert p(z)]", "KL(q(z)||p(z))"),
    (r"\operatorname{KL}(q(z) \parallel p(z))", "KL(q(z)||p(z))"),
    (r"\text{KL}(q(z) \mid\mid p(z))", "KL(q(z)||p(z))"),
    (r"KL(q(z) || p(z))", "KL(q(z)||p(z))"),
    (r"\mathcal{N}(z; \mu, \sigma^2)", "N(z;mu,sigma^2)"),
    (r"\mathcal{N}(z \mid \mu, \sigma^2)", "N(z;mu,sigma^2)"),
    (r"\int p(x, z)\, \mathrm{d}z", "intp(x,z)dz"),
    (r"\int p(x, z) dz", "intp(x,z)dz"),
    (r"\int_{-\infty}^{\infty} q(z) \,d\mathbf{z}", "intq(z)dz"),
    (r"\sum_{j=1}^{J} \mu_j^2", "sum_{j=1}^{J}mu_j^2"),
    (r"\prod_{t=1}^T p(x_{t-1} \mid x_t)", "prod_{t=1}^{T}p(x_{t-1}|x_t)"),
    (r"q(x_{1:T} \mid x_0)", "q(x_{1:T}|x_0)"),
    (r"q(x_{0\ :\ T})", "q(x_{0:T})"),
    (r"z^{(k)} + z_{(k)}", "z_k+z_k"),
    (r"\mathbb{E}_{z^{(1)}, \ldots, z^{(K)} \sim q(z \mid x)}[f]", "E_{z_{1:K}~q(z|x)}[f]"),
    (r"\mathbb{E}_{z_{1:K} \sim q(z \mid x)}[f]", "E_{z_{1:K}~q(z|x)}[f]"),
    (r"\frac{1}{2}\log \sigma^2", "[[1]/[2]]logsigma^2"),
    (r"\log \frac{p(x,z)}{q(z)}", "log[[p(x,z)]/[q(z)]]"),
    (r"\dfrac{a}{b} \cdot \tfrac12 \times c", "[[a]/[b]]*[[1]/[2]]*c"),
    (r"\exp\left(-\frac{z^2}{2}\right)", "exp([[z^2]/[2]])".replace("exp(", "exp(-")),
    (r"\sqrt{2 \pi}", "sqrt(2pi)"),
    (r"\beta \cdot (a - b)", "beta*(a-b)"),
    (r"\beta (a - b)", "beta(a-b)"),      # an unknown function (issue 16): one meaning or none
    (r"\boxed{\log p(x)} \color{red} + \textcolor{blue}{x}", "logp(x)+x"),
    (r"\underbrace{\log p(x)}_{\text{evidence}}", "logp(x)"),
    (r"\text{ELBO} + \mathcal{L}", "ELBO+L"),
    (r"\Log p(x)".replace(r"\Log", "Log"), "logp(x)"),
    (r"\operatorname{H}\left(q(z)\right)", "H(q(z))"),
    (r"e^{x}", "exp(x)"),
    (r"\log^{2} p(x)", "[logp(x)]^2"),
    (r"\left|x\right|", "abs(x)"),
])
def test_notation_table(latex, deriv):
    assert squeeze(tr(latex)) == squeeze(deriv)


@pytest.mark.parametrize("latex, message", [
    (r"\nabla_z \log p(z)", r"\nabla has no reading"),
    (r"\mathrm{tr}", "matrix notation (tr) is not read yet"),
    (r"a \cdots b", r"\cdots has no reading"),
    (r"\sum_j x_j", r"\sum needs its bounds"),
    (r"\int_0^1 f dz", "an integral with bounds has no reading"),
    (r"\sqrt[3]{x}", "an n-th root has no reading"),
    (r"\frac{a}", r"\frac lacks its argument"),
    (r"\left( x", "'(' is never closed"),
    (r"x'", "a prime has no reading"),
    (r"\mymacro{x}", r"\mymacro has no reading"),
])
def test_notation_without_reading(latex, message):
    with pytest.raises(NoReading) as info:
        tr(latex)
    assert message in info.value.message


def test_a_subscripted_density_family_and_application():
    assert squeeze(tr(r"p_{\theta}(x)")) == "p_theta(x)"
    assert squeeze(tr(r"f(x)")) == "f(x)"           # applied: the parser says it is undefined
    assert squeeze(tr(r"z \left(a + b\right)")) == "z(a+b)"    # an unknown function z


# -- conformance files ------------------------------------------------------------------------

def test_wrong_sign_is_refuted_at_its_line():
    reading, results = check((LATEX / "wrong-sign.md").read_text(), numeric=True)
    assert [r.derivation.name for r in results] == ["line-4"]
    assert verdicts(results) == [["refuted"]]
    assert results[0].derivation.steps[0].line == 4


def test_definition_then_wrong_kl_arguments():
    reading, results = check((LATEX / "wrong-kl-args.md").read_text(), numeric=True)
    (result,) = results
    assert result.derivation.name == "line-5"
    assert verdicts(results) == [["verified", "verified", "refuted"]]
    assert [d.name for d in result.derivation.definitions] == ["L"]
    assert [s.line for s in result.derivation.steps] == [5, 6, 7]


def test_skipped_display_is_counted_with_its_position():
    reading, results = check((LATEX / "skipped.md").read_text())
    assert verdicts(results) == [["verified", "verified"]]
    assert summary_lines(reading) == [
        "notes.md: 1 display checked, 0 declared, 1 skipped",
        r"  skipped notes.md:6:1: \nabla has no reading"]


def test_vae_notes_declares_the_prior_and_checks_two_chains():
    reading, results = check((LATEX / "vae-notes.md").read_text())
    assert verdicts(results) == [["verified"] * 5, ["verified"] * 4]
    declared = [b for b in reading.blocks if isinstance(b, DeclaredBlock)]
    assert [(b.line, b.text) for b in declared] == [(10, "model p(z) = N(z; 0, 1)")]
    # `&= D_KL(q || p) \geq 0`: one row, two steps, both at line 31
    assert [s.line for s in results[1].derivation.steps][-2:] == [31, 31]


def test_gaussian_kl_tex_with_an_assumption_from_a_comment():
    reading, results = check((LATEX / "gaussian-kl.tex").read_text(), "tex", "g.tex")
    assert verdicts(results) == [["verified"] * 4]
    assert [str(a.lhs) for a in results[0].derivation.assumptions] == ["sigma"]


# -- documents --------------------------------------------------------------------------------

def test_unreadable_row_costs_only_the_steps_that_touch_it():
    reading, results = check(r"""
        $$
        \begin{aligned}
        \log p(x) &= \log p(x, z) - \log p(z \mid x) \\
        &= \nabla_x \log p(x) \\
        &= \log p(x, z) - \log p(z \mid x) \\
        &= \log p(x \mid z) + \log p(z) - \log p(z \mid x)
        \end{aligned}
        $$
        """)
    assert verdicts(results) == [["verified", "unknown", "unknown", "verified"]]
    steps = results[0].steps
    assert steps[1].reason == r"notes.md:5:4: \nabla has no reading"
    assert steps[2].reason == r"notes.md:5:4: \nabla has no reading"
    assert summary_lines(reading)[0] == "notes.md: 1 display checked, 0 declared, 0 skipped"


def test_a_row_the_parser_refuses_is_unknown_with_the_parser_message_located():
    reading, results = check(r"""
        $$
        \log p(x) = \log p(x, z) - \log p(z \mid x) = \mathcal{N}(z) = \log p(x)
        $$
        """)
    assert verdicts(results) == [["verified", "unknown", "unknown"]]
    assert results[0].steps[1].reason.startswith("notes.md:3:47: N takes a variable")


def test_single_formula_and_unclosed_display_are_skipped():
    reading, results = check("""
        $$ \\log p(x) $$

        $$ \\log p(x)
        """)
    assert results == []
    assert [(b.line, b.reason) for b in reading.blocks] == [
        (2, "a single formula, no chain (no relation)"),
        (4, "the display opened by $$ is never closed")]


def test_bare_expectation_means_the_one_density_written_out():
    reading, results = check(r"""
        $$
        \mathbb{E}_{q}\left[\log q(z \mid x)\right] = -\operatorname{H}(q(z \mid x))
        $$
        """)
    assert verdicts(results) == [["verified"]]
    assert str(results[0].derivation.start) == "E_q(z | x)[log(q(z | x))]"
    reading, results = check(r"""
        $$
        \mathbb{E}\left[\log q(z \mid x)\right] = \mathbb{E}_q[\log q(z)]
        $$
        """)
    assert results == []
    (skip,) = reading.blocks
    assert (skip.line, skip.column) == (3, 1)
    assert "writes 2: q(z), q(z|x)" in skip.reason


def test_a_declared_bare_family():
    reading, results = check(r"""
        <!-- elbo-check: let q = q_phi(z | x) -->
        $$
        \mathbb{E}_q[\log p(x)] = \log p(x)
        $$
        """)
    assert verdicts(results) == [["verified"]]


def test_definitions_by_colon_equals_and_equals_colon_hold_for_later_displays():
    reading, results = check(r"""
        $$
        \mathcal{L}(x) := \mathbb{E}_{q(z \mid x)}[\log p(x, z) - \log q(z \mid x)]
          = \mathbb{E}_{q(z \mid x)}[\log p(x \mid z)] - \mathrm{KL}(q(z \mid x) \| p(z))
          =: \text{ELBO}
        $$

        $$
        \log p(x) - \text{ELBO} = \mathrm{KL}(q(z \mid x) \| p(z \mid x)) \geq 0
        $$
        """)
    assert verdicts(results) == [["verified"] * 3, ["verified"] * 2]
    assert [d.name for d in results[0].derivation.definitions] == ["L", "ELBO"]


def test_a_chain_runs_across_consecutive_dollar_displays():
    reading, results = check(r"""
        $$ \log p(x) = \log p(x, z) - \log p(z \mid x) $$
        which we rewrite as
        $$ = \log p(x \mid z) + \log p(z) - \log p(z \mid x) $$
        """)
    assert verdicts(results) == [["verified", "verified"]]
    assert [s.line for s in results[0].derivation.steps] == [2, 4]


def test_labels_name_derivations_and_annotations_are_dropped():
    reading, results = check(r"""
        \begin{align}
        \log p(x) &= \log p(x, z) - \log p(z \mid x) \label{eq:bayes} \tag{1} \\
        &= \log p(x \mid z) + \log p(z) - \log p(z \mid x) \nonumber
           \quad \text{(product rule)} \\
        &\geq \log p(x \mid z) + \log p(z) - \log p(z \mid x) - 1 && \text{algebra}
        \end{align}
        """, "tex", "paper.tex")
    (result,) = results
    assert result.derivation.name == "eq:bayes"
    assert verdicts(results) == [["verified"] * 3]
    assert result.derivation.steps[2].rules == ("algebra",)


def test_code_fences_and_comments_are_not_read():
    reading, results = check("""
        ```python
        x = "$$ a = b $$"
        ```
        ```math
        \\log p(x) = \\log p(x, z) - \\log p(z \\mid x)
        ```
        """)
    assert verdicts(results) == [["verified"]]
    assert results[0].derivation.name == "line-6"
    reading, results = check("% $$ a = b $$\n\\[ x = x \\]\n", "tex", "a.tex")
    assert verdicts(results) == [["verified"]]


def test_a_model_display_that_cannot_be_a_model_is_skipped():
    reading, results = check(r"""
        $$ p(x, z) = p(x \mid z) p(x \mid z) $$
        """)
    (skip,) = reading.blocks
    assert isinstance(skip, SkippedBlock) and skip.reason.startswith("no model: ")


def test_a_bad_declaration_is_an_input_error_at_its_position():
    with pytest.raises(InputError) as info:
        read("intro\n<!-- elbo-check: assume sigma >> 0 -->\n", "md")
    e = info.value
    assert (e.filename, e.line) == ("notes.md", 2)
    assert e.column >= 18


def test_a_huge_file_is_refused():
    with pytest.raises(InputError) as info:
        read_text("x" * 2_000_001, "big.tex", "tex")
    assert "file too large" in info.value.message


# -- the command line --------------------------------------------------------------------------

def run(*args, input=None):
    return CliRunner().invoke(cli.main, list(args), input=input)


def test_check_reads_markdown_and_reports_the_summary(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text((LATEX / "skipped.md").read_text(), encoding="utf-8")
    r = run("check", "--no-numeric", str(path))
    assert r.exit_code == 0, r.output
    assert f"{path}: line-13" in r.output
    assert f"{path}: 1 display checked, 0 declared, 1 skipped\n" \
        f"  skipped {path}:6:1: \\nabla has no reading\n" in r.output


def test_check_json_has_the_displays(tmp_path):
    path = tmp_path / "w.md"
    path.write_text((LATEX / "wrong-sign.md").read_text(), encoding="utf-8")
    r = run("check", "--json", str(path))
    assert r.exit_code == 1
    entry = json.loads(r.output)["files"][0]
    assert entry["derivations"][0]["name"] == "line-4"
    assert entry["derivations"][0]["steps"][0]["verdict"] == "refuted"
    assert entry["displays"] == {"checked": 1, "declared": [], "skipped": []}


def test_check_standard_input_with_from():
    text = (LATEX / "wrong-kl-args.md").read_text()
    r = run("check", "--json", "--from", "md", "-", input=text)
    assert r.exit_code == 1
    entry = json.loads(r.output)["files"][0]
    assert entry["file"] == "<stdin>"
    assert [s["verdict"] for s in entry["derivations"][0]["steps"]] == [
        "verified", "verified", "refuted"]
    r = run("check", "--no-numeric", "-", input="log p(x)\n= log p(x, z) - log p(z | x)\n")
    assert r.exit_code == 0 and "<stdin>: derivation" in r.output


def test_an_input_error_in_a_document_is_located(tmp_path):
    path = tmp_path / "bad.tex"
    path.write_text("% elbo-check: let = 3\n\\[ a = a \\]\n", encoding="utf-8")
    r = run("check", str(path))
    assert r.exit_code == 2
    assert f"{path}:1:" in r.output and "error:" in r.output


def test_latex_retypesets_a_markdown_file(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text((LATEX / "vae-notes.md").read_text(), encoding="utf-8")
    r = run("latex", "--fragment", str(path))
    assert r.exit_code == 0, r.output
    assert r.output.count("\\begin{align*}") == 2
    assert "\\checkmark" in r.output


def test_derive_and_deriv_files_never_import_the_readers():
    import subprocess
    import sys

    code = ("import sys\nfrom click.testing import CliRunner\nfrom elbo_sym import cli\n"
            "r = CliRunner().invoke(cli.main, ['derive'])\n"
            "r2 = CliRunner().invoke(cli.main, ['check', '--no-numeric', 'examples/bayes.deriv'])\n"
            "print(r.exit_code, r2.exit_code, sorted(m for m in sys.modules if 'readers' in m))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert out.stdout.split("\n")[0] == "0 0 []", out.stderr[-2000:]


def test_a_definition_with_a_semicolon_among_its_parameters():
    reading, results = check(r"""
        \begin{equation}
        \mathcal{L}(\theta, \phi; x) = \mathbb{E}_{q_\phi(z|x)}[\log p_\theta(x|z)] - D_{KL}(q_\phi(z|x) || p(z))
        \end{equation}
        """, "tex", "paper.tex")
    assert verdicts(results) == [["verified"]]
    (definition,) = results[0].derivation.definitions
    assert (definition.name, [str(p) for p in definition.params]) == ("L", ["theta", "phi", "x"])


def test_eqnarray_and_integrals_with_bare_differentials():
    reading, results = check(r"""
        \begin{eqnarray}
        \log p(x) &=& \log \int q(z|x) \frac{p(x,z)}{q(z|x)} dz \nonumber \\
        &=& \log \mathbb{E}_{q(z|x)}\left[\frac{p(x,z)}{q(z|x)}\right]
        \end{eqnarray}
        """, "tex", "paper.tex")
    assert verdicts(results) == [["verified", "verified"]]
