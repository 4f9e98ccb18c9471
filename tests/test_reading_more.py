r"""Issue 19, items 3 and 8, continued: math inside HTML, macros from a Markdown note's YAML
front matter and from a literal MathJax ``Macros: {..}`` object in a ``<script>`` (read as
data, never run), macros that open and close displays (``\beq .. \eeq``), kramdown's ``\\{``
and inline ``\( .. \)``. A true and a false variant of each: the false step is never verified;
what has two readings, or none, is skipped with its reason at its place."""
import textwrap

from elbo_sym.readers import check_reading, read_text, summary_lines
from elbo_sym.readers.macros import MAX_CONFIG_CHARS, document_macros
from elbo_sym.readers.scan import Display, scan

from conftest import no_hang


def verdicts(text: str, kind: str = "md", name: str = "notes"):
    reading = read_text(textwrap.dedent(text).lstrip("\n"), f"{name}.{kind}", kind)
    results = check_reading(reading, numeric=True)
    return ({r.derivation.name: [s.verdict for s in r.steps] for r in results},
            summary_lines(reading))


TRUE_ROW = r"\log p(x) - \log p(x \mid z) = \log p(z) - \log p(z \mid x)"
FALSE_ROW = r"\log p(x) - \log p(x \mid z) = \log p(z) + \log p(z \mid x)"


# -- math inside HTML ---------------------------------------------------------------------------

def html(row: str, hidden: str) -> str:
    return f"""
    Text.

    <div class="math">
    $$
    {row}
    $$
    </div>

    <p>\\[ {row} \\]</p>

    <!-- $$ {hidden} $$ -->

    <pre>
    $$ {hidden} $$
    </pre>

    <CODE>$$ {hidden} $$</CODE>

    <script>var s = "$$ {hidden} $$";</script>
    """


def test_math_inside_html_is_read_and_raw_html_is_not():
    found, _ = verdicts(html(TRUE_ROW, FALSE_ROW))
    assert found == {"line-5": ["verified"], "line-9": ["verified"]}


def test_a_false_step_inside_html_is_refuted_and_raw_html_is_not_read():
    found, _ = verdicts(html(FALSE_ROW, TRUE_ROW))
    assert found == {"line-5": ["refuted"], "line-9": ["refuted"]}


# -- inline \( .. \) ----------------------------------------------------------------------------

def test_inline_parens_are_prose_and_hide_no_display():
    text = f"""
    Write \\( \\log p(x) $$ {FALSE_ROW} $$ \\) inline, and \\({FALSE_ROW}\\) too.

    $$ {TRUE_ROW} $$
    """
    found, _ = verdicts(text)
    assert found == {"line-3": ["verified"]}


# -- macros from YAML front matter ---------------------------------------------------------------

def front(entries: str, row: str) -> str:
    return "---\ntitle: Notes\nmacros:\n" + entries.lstrip("\n") + \
        "layout: post\n---\n\n$$\n" + row + "\n$$\n"


ENTRIES = r"""
  E: "\\mathbb{E}"
  "\\KL": ["D_{\\mathrm{KL}}(#1 \\| #2)", 2]
  lp: '\log p'
  lq: \log q   # a comment
"""
ELBO = r"\lp(x) - \KL{q(z|x)}{p(z|x)} = \E_{q(z|x)}[\lp(x, z) - \lq(z|x)]"
ELBO_SWAPPED = r"\lp(x) - \KL{p(z|x)}{q(z|x)} = \E_{q(z|x)}[\lp(x, z) - \lq(z|x)]"


def test_front_matter_macros_are_expanded():
    found, notes = verdicts(front(ENTRIES, ELBO))
    assert found == {"line-12": ["verified"]}


def test_front_matter_macros_false_step_is_not_verified():
    found, _ = verdicts(front(ENTRIES, ELBO_SWAPPED))
    assert found == {"line-12": ["refuted"]}


def test_front_matter_macros_are_data():
    macros = document_macros(front(ENTRIES, ""), [(0, 0)])
    assert sorted(macros.defined) == [r"\E", r"\KL", r"\lp", r"\lq"]
    kl = macros.defined[r"\KL"][0]
    assert kl.arity == 2 and "".join(t.text for t in kl.body) == r"D_{\mathrm{KL}}(#1 \| #2)"
    # a LaTeX file has no front matter
    assert not document_macros(front(ENTRIES, ""), [], markdown=False)


def skipped_reason(text: str) -> str:
    found, notes = verdicts(text)
    assert found == {}
    return [n.strip() for n in notes if n.strip().startswith("skipped")][0]


def test_front_matter_entries_without_one_reading_leave_their_uses_unread():
    bad = [
        'E: "\\mathbb{E}"',                   # \m is no YAML escape
        "E: !!python/object/apply:os.system ['true']",   # a tag: never constructed
        "E: *alias",
        "E: |\n    \\mathbb{E}",               # a block scalar
        "E:\n    nested: '\\mathbb{E}'",       # a nested mapping
        "E: '\\mathbb{E}'\n  E: '\\mathrm{E}'",  # the key twice
        "E: ['\\mathbb{E}', 2, 3]",
    ]
    row = r"\E_{q(z|x)}[\log p(x, z)] = \E_{q(z|x)}[\log p(x, z)]"
    found, _ = verdicts(front("  E: '\\mathbb{E}'\n", row))      # the entry read right
    assert found == {"line-9": ["verified"]}
    for entry in bad:
        reason = skipped_reason(front("  " + entry + "\n", row))
        line = 9 + entry.count("\n")
        assert reason == f"skipped notes.md:{line}:1: \\E has no reading", entry


def test_a_recursive_front_matter_macro_is_a_located_skip():
    reason = skipped_reason(front('  E: "\\\\E + 1"\n', r"\log p(x) = \log p(x) + 0 \E"))
    assert reason.startswith("skipped notes.md:9:27: the macro \\E expands without end")


def test_a_huge_or_nested_front_matter_is_not_read_and_ends():
    huge = "  E: '\\mathbb{E}'\n" + "  a%d: x\n" * (MAX_CONFIG_CHARS // 8)
    deep = "  E: " + "[" * 50_000 + "\n"
    row = r"\E_{q(z|x)}[\log p(x, z)] = \E_{q(z|x)}[\log p(x, z)]"
    found, _ = verdicts(front("  E: '\\mathbb{E}'\n", row))
    assert found == {"line-9": ["verified"]}
    with no_hang():
        assert skipped_reason(front(huge, row)).endswith(r"\E has no reading")
        reason = skipped_reason(front(deep, row))
    assert reason.endswith(r"\E has no reading")


# -- macros from a MathJax configuration script ---------------------------------------------------

def script(macros: str, row: str) -> str:
    return ('<script type="text/x-mathjax-config">\nMathJax.Hub.Config({ TeX: { Macros: {\n'
            + macros + "\n} } });\n</script>\n\n$$\n" + row + "\n$$\n")


SCRIPT = r"""E: "\\mathbb{E}", // expectation
  'KL': ["D_{\\mathrm{KL}}(#1 \\| #2)", 2], lp: '\\log p', lq: "\\log q" """


def test_script_macros_are_expanded():
    found, _ = verdicts(script(SCRIPT, ELBO))
    assert found == {"line-9": ["verified"]}


def test_script_macros_false_step_is_not_verified():
    found, _ = verdicts(script(SCRIPT, ELBO_SWAPPED))
    assert found == {"line-9": ["refuted"]}


def test_script_objects_that_are_code_are_never_run_and_leave_their_macros_unread():
    row = r"\E_{q(z|x)}[\log p(x, z)] = \E_{q(z|x)}[\log p(x, z)]"
    code = [
        r'E: window.open("x")',
        r'E: "\\math" + "bb{E}"',
        r'E: `\\mathbb{E}`',
        r'E: "\mathbb{E}"',                 # \m: a JavaScript escape of another meaning
        r'E: "\\mathbb{E}", E: "\\mathrm{E}"',
        r'E: "\\mathbb{E}", lp: (function () { return "\\log p" })()',
        r'E: "\\mathbb{E}", F: ' + "[" * 50_000,
    ]
    found, _ = verdicts(script(r'E: "\\mathbb{E}"', row))      # the entry read right
    assert found == {"line-8": ["verified"]}
    with no_hang():
        for entry in code:
            assert skipped_reason(script(entry, row)) == \
                r"skipped notes.md:8:1: \E has no reading", entry


def test_a_script_in_a_comment_or_code_configures_nothing():
    for hidden in ("<!--\n%s-->\n", "```html\n%s```\n"):
        text = hidden % script(SCRIPT, "") + "\n$$\n" + ELBO + "\n$$\n"
        assert skipped_reason(text).endswith("has no reading")
    found, _ = verdicts(script(SCRIPT, "") + "\n$$\n" + ELBO + "\n$$\n")
    assert found == {"line-13": ["verified"]}


# -- macros that open and close displays (LaTeX) -------------------------------------------------

BEQ = r"""
\documentclass{article}
\newcommand{\beq}{\begin{equation}}
\def\eeq{\end{equation}}
\newcommand{\bal}{\begin{align}}
\newcommand{\eal}{\end{align}}
\begin{document}
\beq
%s
\eeq
\bal
\log p(x) &= \log p(x, z) - \log p(z \mid x) \\
&= \log p(x \mid z) + \log p(z) - \log p(z \mid x)
\eal
\end{document}
"""


def test_macros_that_open_displays_are_read():
    found, notes = verdicts(BEQ % TRUE_ROW, kind="tex")
    assert found == {"line-8": ["verified"], "line-11": ["verified", "verified"]}
    assert not [n for n in notes if n.strip().startswith("skipped")]   # no display in \newcommand


def test_macros_that_open_displays_false_step_is_refuted():
    found, _ = verdicts(BEQ % FALSE_ROW, kind="tex")
    assert found == {"line-8": ["refuted"], "line-11": ["verified", "verified"]}


def test_only_a_macro_that_is_exactly_an_opening_opens_a_display():
    text = textwrap.dedent(r"""
    \newcommand{\beq}{\begin{equation}\label{x}}
    \newcommand{\eeq}{\end{equation}}
    \beq
    %s
    \eeq
    \renewcommand{\beq}{\relax}
    \beq
    %s
    \eeq
    """) % (FALSE_ROW, FALSE_ROW)
    assert [x for x in scan(text, "tex") if isinstance(x, Display)] == []


# -- kramdown's \\{ ------------------------------------------------------------------------------

BRACES = r"""
$$
\log p(x) = \log p(x) + \log \left\\{ %s \right\\} = \log p(x)
$$

$$
a \\\\
= a + \log \\{ %s \\} \\\\
= a
$$
"""


def test_kramdown_escaped_braces_are_read_where_unambiguous():
    found, _ = verdicts(BRACES % ("1", "1"))
    assert found == {"line-2": ["verified", "verified"], "line-6": ["verified", "verified"]}


def test_kramdown_escaped_braces_false_step_is_refuted():
    found, _ = verdicts(BRACES % ("2", "2"))
    assert found == {"line-2": ["refuted", "refuted"], "line-6": ["refuted", "refuted"]}


def test_a_double_backslash_brace_among_bare_row_breaks_stays_a_row_break():
    from elbo_sym.readers.tokens import tokenize, unescape_markdown

    text = r"a \\ = b \\{c\\}"
    assert [t.text for t in unescape_markdown(tokenize(text))].count("\\\\") == 3
    assert [t.text for t in unescape_markdown(tokenize(r"\left\\{ a \right\\}"))] == \
        ["\\left", "\\{", " ", "a", " ", "\\right", "\\}"]
