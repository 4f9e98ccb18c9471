"""Issue 16, nothing injected: text read from the input (rows that were not read, titles, file
names, source lines quoted by errors) is never markup in any output format. A row with no
reading is shown as escaped text (LaTeX ``\\texttt`` with every special character escaped,
HTML-escaped, a Markdown code span), a math renderer only gets a placeholder; no line that
input controls starts a GitHub workflow command; a terminal never receives a control
character from the input."""
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from elbo_sym.cli import main

from conftest import write

ESC, BEL = "\x1b", "\x07"

# Rows that have no reading, each dangerous in some output.
HOSTILE_ROWS = [
    r"\input{/etc/passwd}",
    r"\immediate\write18{touch pwned}",
    r"\foo{<script>alert(1)</script>}",
    r"\bar ::warning file=x::owned",
    r"\left( a",
    r"\baz `a|b` ``` x",
    rf"\qux {ESC}]0;owned{BEL} {ESC}[31mRED",
]


def _aligned(rows):
    label = rf"\label{{eq{ESC}]0;owned{BEL} ::warning::x}}"   # the derivation's name
    body = " \\\\\n".join([r"\log p(x) &= \log p(x) + 0" + label] + [f"&= {r}" for r in rows]
                          + [r"&= \log p(x)"])
    return "\\begin{aligned}\n" + body + "\n\\end{aligned}"


MARKDOWN = "# Notes\n\n$$\n" + _aligned(HOSTILE_ROWS) + "\n$$\n"
LATEX = ("\\documentclass{article}\n\\begin{document}\n\\[\n" + _aligned(HOSTILE_ROWS)
         + "\n\\]\n\\end{document}\n")


def run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
    return write(tmp_path_factory.mktemp("md"), "notes.md", MARKDOWN)


# ---------------------------------------------------------------- the escaping functions


def test_terminal_text_shows_control_characters_as_code_points():
    from elbo_sym.printing.escape import terminal_text

    assert terminal_text(f"a{ESC}[31mb{BEL}\r\u202ec\td\ne") == \
        "a[U+001B][31mb[U+0007][U+000D][U+202E]c\td\ne"
    assert terminal_text("a\nb", one_line=True) == "a b"


def test_latex_text_escapes_every_special_character():
    from elbo_sym.printing.escape import latex_text, latex_verbatim

    assert latex_text("\\ { } $ & # ^ _ % ~") == (
        r"\textbackslash{} \{ \} \$ \& \# \textasciicircum{} \_ \% \textasciitilde{}")
    assert latex_text(f"a\nb{ESC}") == r"a b\texttt{[U+001B]}"
    assert latex_verbatim(r"\input{/etc/passwd}") == r"\texttt{\textbackslash{}input\{/etc/passwd\}}"


def test_markdown_code_fences_past_every_backtick_run():
    from elbo_sym.printing.escape import markdown_code, markdown_fence, markdown_text

    assert markdown_code("a") == "`a`"
    assert markdown_code("a`b") == "``a`b``"
    assert markdown_code("```x") == "```` ```x ````"
    assert markdown_code("a\nb|c") == "`a b|c`"
    assert markdown_fence("x\n```\ny") == "````text\nx\n```\ny\n````"
    assert markdown_text("a|b `c` <s> & [l](u)\nd") == r"a\|b \`c\` \<s\> \& \[l\](u) d"


def test_github_escaping_is_the_toolkit_s():
    from elbo_sym.printing.escape import github_data, github_log, github_property

    assert github_data("50%\r\nx::y") == "50%25%0D%0Ax::y"
    assert github_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert github_data(f"a{ESC}b") == "a[U+001B]b"
    assert github_log("f: error\n    ::warning file=x::owned\n\t::x::y ##[error]z") == (
        "f: error\n    %3A%3Awarning file=x::owned\n\t%3A%3Ax::y ##%5Berror]z")


# ---------------------------------------------------------------- a row not read, per format


def _assert_no_command_line(text):
    """No line of ``text`` is a workflow command but the tool's own, whose properties are
    escaped (no raw ':' or ',' inside a value) and whose message is one line."""
    own = re.compile(r"::(error|warning) file=[^:,]*(,(line|col)=\d+)*,title=[^:,]*::")
    for line in text.splitlines():
        if line.lstrip().startswith("::"):
            assert own.match(line), line
        assert "##[" not in line, line


def test_text_report_sends_no_control_character_to_the_terminal(notes):
    r = run("check", "--color", "never", notes)
    assert r.exit_code == 1
    assert ESC not in r.output and BEL not in r.output
    assert r"⟪\qux [U+001B]]0;owned[U+0007] [U+001B][31mRED⟫" in r.output
    coloured = run("check", "--color", "always", notes).output
    assert "[U+001B][31mRED" in coloured and f"{ESC}]0;owned" not in coloured
    # every escape sequence left is one of the verdict colours
    assert not re.findall(r"\x1b(?!\[(?:\d+;?)*m)", coloured)


def test_json_report_holds_the_rows_as_inert_text(tmp_path):
    f = write(tmp_path, "last.md", "$$\n\\begin{aligned}\n\\log p(x) &= \\log p(x) + 0 \\\\\n"
              f"&= {HOSTILE_ROWS[-1]}\n\\end{{aligned}}\n$$\n")
    r = run("check", "--format", "json", f)
    assert r.exit_code == 1
    (derivation,) = json.loads(r.stdout)["files"][0]["derivations"]
    assert derivation["conclusion"] == \
        r"log p(x) = ⟪\qux [U+001B]]0;owned[U+0007] [U+001B][31mRED⟫"
    assert "\\u001b" not in r.stdout


def test_github_format_lets_no_input_start_a_command(notes):
    r = run("check", "--format", "github", notes)
    assert r.exit_code == 1
    _assert_no_command_line(r.stdout)
    _assert_no_command_line(r.stderr)
    assert ESC not in r.stdout and BEL not in r.stdout
    lines = r.stdout.splitlines()
    assert all(ln.startswith("::error file=") for ln in lines[:-1])
    assert lines[-1].startswith("elbo-check: ")


def _outside_code(markdown):
    """The Markdown text with its fenced blocks and code spans taken out."""
    out, fence = [], None
    for line in markdown.split("\n"):
        m = re.match(r"^(`{3,})", line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            out.append(line)
    text = "\n".join(out)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)


def _math(markdown):
    return re.findall(r"^\$\$\n(.*?)\n\$\$$", markdown, re.S | re.M) + \
        re.findall(r"(?<![\\$])\$([^$\n]+?)(?<!\\)\$", markdown)


def test_markdown_shows_unread_rows_as_code_and_never_in_math(notes):
    r = run("check", "--format", "markdown", notes)
    assert r.exit_code == 1
    md = r.stdout
    assert ESC not in md and BEL not in md
    rest = _outside_code(md)
    assert "<script" not in rest and "passwd" not in rest and "write18" not in rest
    for tex in _math(md):
        assert "passwd" not in tex and "script" not in tex and r"\left( a" not in tex
        assert r"\input" not in tex and r"\foo" not in tex
    assert r"&= \text{(a row not read)} && ?\ \text{no rule cited}" in md
    assert r"  - not read, as written: `\input{/etc/passwd}`" in md
    assert r"  - not read, as written: ````\baz `a|b` ``` x````" in md
    assert r"  - not read, as written: `\foo{<script>alert(1)</script>}`" in md


def test_markdown_math_renders_with_katex(notes):
    from test_formats import _katex_errors

    md = run("check", "--format", "markdown", notes).stdout
    formulas = [(m.group(1), True) for m in re.finditer(r"^\$\$\n(.*?)\n\$\$$", md, re.S | re.M)]
    assert formulas and _katex_errors(formulas) == [""] * len(formulas)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def test_html_report_shows_unread_rows_escaped_and_does_not_crash(notes):
    r = run("check", "--format", "html", notes)
    assert r.exit_code == 1, r.output
    page = r.stdout
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags
    assert ESC not in page and BEL not in page
    assert ('<code class="unread" title="not read">\\foo{&lt;script&gt;alert(1)&lt;/script&gt;}'
            "</code>") in page
    assert '<code class="unread" title="not read">\\left( a</code>' in page


def _control_words(tex):
    r"""Every control sequence TeX would read, in order (``\\`` is one: a control symbol)."""
    return re.findall(r"\\([A-Za-z]+|.)", tex, re.S)


@pytest.mark.parametrize("name, text", [("notes.md", MARKDOWN), ("paper.tex", LATEX)])
def test_latex_document_holds_unread_rows_as_escaped_text(tmp_path, name, text):
    source = write(tmp_path, name, text)
    r = run("latex", "--no-numeric", source)
    assert r.exit_code == 1
    doc = r.stdout
    words = set(_control_words(doc))
    assert not words & {"input", "immediate", "write", "foo", "bar", "baz", "qux", "include"}
    assert ESC not in doc and BEL not in doc
    assert r"&= \texttt{\textbackslash{}input\{/etc/passwd\}} && ?" in doc
    assert r"\texttt{\textbackslash{}left( a}" in doc
    assert doc.count(r"\left") == doc.count(r"\right")
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    (tmp_path / "out.tex").write_text(doc, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode",
                           "-halt-on-error", "-recorder", "out.tex"], cwd=tmp_path,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "/etc/passwd" not in (tmp_path / "out.fls").read_text()
    assert not (tmp_path / "pwned").exists()
    if shutil.which("pdftotext"):
        subprocess.run(["pdftotext", "out.pdf", "out.txt"], cwd=tmp_path, check=True)
        assert "root:" not in (tmp_path / "out.txt").read_text()


# ---------------------------------------------------------------- titles and file names


def test_titles_and_file_names_stay_text(tmp_path):
    title = f"<script>x</script> | `t` {ESC}]0;owned{BEL}"
    f = write(tmp_path, "a`b.deriv",
              f'derivation d "{title}"\n  log p(x)\n  = log p(x, z) - log p(z | x)\n')
    md = run("check", "--format", "markdown", f).stdout
    assert r"### d: \<script\>x\</script\> \| \`t\` \[U+001B\]\]0;owned\[U+0007\]" in md
    assert f"``{f}``" in md
    page = run("check", "--format", "html", f).stdout
    assert "<h2>d: &lt;script&gt;x&lt;/script&gt; | `t` [U+001B]]0;owned[U+0007]</h2>" in page
    text = run("check", "--color", "never", f).stdout
    assert f"{f}: d: <script>x</script> | `t` [U+001B]]0;owned[U+0007]" in text


# ---------------------------------------------------------------- input errors


def test_an_input_error_under_github_starts_no_command(tmp_path):
    bad = write(tmp_path, "bad.deriv",
                'derivation d "t"\n::warning file=x::owned\n  log p(x)\n')
    r = run("check", "--format", "github", bad)
    assert r.exit_code == 2
    _assert_no_command_line(r.stdout)
    _assert_no_command_line(r.stderr)
    assert f"{bad}:2:1: error:" in r.stderr
    assert "    %3A%3Awarning file=x::owned" in r.stderr.splitlines()
    assert r.stdout.startswith(f"::error file={bad.replace(':', '%3A')},line=2,col=1,")


def test_a_file_name_under_github_starts_no_command(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "x\n::warning file=y::owned.deriv").write_text("log p(x)\n= log p(x,, z)\n",
                                                             encoding="utf-8")
    r = run("check", "--format", "github", str(folder))
    assert r.exit_code == 2
    _assert_no_command_line(r.stdout)
    _assert_no_command_line(r.stderr)
    assert "%0A%3A%3Awarning file=y%3A%3Aowned.deriv" in r.stdout


def test_an_input_error_on_a_terminal_sends_no_control_character(tmp_path):
    bad = write(tmp_path, "bad.deriv", f"log p(x)\n= log ( {ESC}]0;owned{BEL}\n")
    r = run("check", bad)
    assert r.exit_code == 2
    assert ESC not in r.stderr and BEL not in r.stderr
    assert "[U+001B]]0;owned[U+0007]" in r.stderr


def test_an_input_error_in_markdown_cannot_close_its_fence(tmp_path):
    bad = write(tmp_path, "bad.deriv", "log p(x)\n= log p(x,, z) ``` <script>alert(1)</script>\n")
    r = run("check", "--format", "markdown", bad)
    assert r.exit_code == 2
    assert "<script" not in _outside_code(r.stdout)
    assert "````text\n" in r.stdout
