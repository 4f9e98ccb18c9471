r"""Text read from the input, made inert for each output: the one home of escaping.

Whatever a file holds (a title, a name, a row that has no reading, a reason that quotes the
source, a file's own name) reaches the reports only through these functions, so that it is
shown as written and never acts as markup or as a command:

- ``terminal_text``: control characters (ESC, CR, BEL, C1, bidirectional overrides, line
  separators) print as ``[U+001B]``, so input cannot send a terminal escape sequence nor
  start a line that is not there;
- ``latex_text`` / ``latex_verbatim``: LaTeX's special characters escaped (no command, group,
  math or comment can start: ``\input{..}`` is ``\textbackslash{}input\{..\}``), any Unicode
  compiles with pdflatex;
- ``html_text``: ``html.escape``;
- ``markdown_text`` (backslash escapes, one line) and ``markdown_code`` (a code span whose
  fence is longer than any run of backticks inside), ``markdown_fence`` for a block;
- ``github_data`` / ``github_property``: GitHub's toolkit escaping of a workflow command's
  message and properties; ``github_log`` for any other line printed in ``--format github``:
  no line that input controls starts (after spaces) with ``::``, nor holds the legacy ``##[``.

Math is never built from input text: the printers typeset the checker's own objects, and a
row that was not read is shown as escaped text (``Unread``), in a math renderer only as a
placeholder (KaTeX, MathJax and MathML read ``$`` and ``\`` even inside ``\text``).
"""
import re
from typing import Dict, Optional

from ..notation import GREEK_COMMANDS, UNICODE_GREEK

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                      "\u2066-\u2069]")
_KEPT_IN_TEXT = "\n\t"


def _code_point(c: str) -> str:
    return "[U+%04X]" % ord(c)


def terminal_text(s: str, one_line: bool = False) -> str:
    """``s`` with every control character shown as ``[U+XXXX]`` (tabs and, unless
    ``one_line``, line breaks kept; with ``one_line`` a line break is a space)."""
    def shown(m):
        c = m.group()
        if c == "\n" or c == "\r":
            return " " if one_line else ("\n" if c == "\n" else _code_point(c))
        return c if c in _KEPT_IN_TEXT else _code_point(c)
    return _CONTROL.sub(shown, s)


# ---------------------------------------------------------------- LaTeX

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}

# Latin-1 and Latin Extended-A compile under utf8 inputenc and T1 fonts, except these
# (measured with pdflatex: "Unicode character ... not set up for use with LaTeX").
_NOT_SET_UP = frozenset("\u0126\u0127\u0138\u013f\u0140\u0149\u0166\u0167\u017f")
_TYPOGRAPHIC = frozenset("\u2018\u2019\u201c\u201d\u2013\u2014\u2026")

_MATH_SIGNS = {"≤": r"\le", "≥": r"\ge", "≠": r"\ne", "−": "-", "·": r"\cdot", "∑": r"\sum",
               "∏": r"\prod", "∫": r"\int", "‖": r"\|", "∞": r"\infty", "→": r"\to",
               "←": r"\leftarrow", "≈": r"\approx", "∈": r"\in", "∼": r"\sim", "√": r"\surd",
               "∂": r"\partial", "∇": r"\nabla", "⊥": r"\perp", "∣": r"\mid",
               # Greek forms whose look differs from the main letter's command
               "ε": r"\varepsilon", "ϵ": r"\epsilon", "φ": r"\varphi", "ϕ": r"\phi",
               "ϑ": r"\vartheta", "ϱ": r"\varrho", "ϖ": r"\varpi", "ς": r"\varsigma"}

_greek: Optional[Dict[str, str]] = None


def _greek_letters() -> Dict[str, str]:
    """Unicode Greek letter -> its LaTeX in text: ``$\\mu$``, or the Latin letter it looks like
    (Α is A, ο is o: LaTeX has no command for them)."""
    global _greek
    if _greek is None:
        table = {}
        for letter, name in UNICODE_GREEK.items():
            if name in GREEK_COMMANDS:
                table[letter] = "$\\%s$" % name
            elif name == "omicron":
                table[letter] = "o"
            elif name[0].isupper():
                table[letter] = name[0]     # Alpha, Beta, ...: they are drawn as A, B, ...
        table.update({c: "$%s$" % tex for c, tex in _MATH_SIGNS.items()})
        _greek = table
    return _greek


def _latex_char(c: str) -> str:
    if c in _LATEX_SPECIAL:
        return _LATEX_SPECIAL[c]
    if _CONTROL.fullmatch(c):   # a line break or tab is a space; nothing else reaches TeX
        return " " if c in "\n\r\t" else r"\texttt{[U+%04X]}" % ord(c)
    if c.isascii():
        return c
    if c in _TYPOGRAPHIC or ("\u00a0" <= c <= "\u017f" and c not in _NOT_SET_UP):
        return c
    return _greek_letters().get(c) or r"\texttt{[U+%04X]}" % ord(c)


def latex_text(s: str) -> str:
    """Plain text made safe for LaTeX: special characters escaped, any Unicode compiles,
    one line (a blank line would end a paragraph inside an argument)."""
    return "".join(_latex_char(c) for c in s)


def latex_verbatim(s: str) -> str:
    r"""Source text shown as typed, in typewriter type, in text or math mode:
    ``\texttt{\textbackslash{}nabla f}``. Never ``\verb`` (which arbitrary content can end)."""
    return r"\texttt{%s}" % latex_text(" ".join(s.split()))


# ---------------------------------------------------------------- HTML


def html_text(s: str) -> str:
    """Text for an HTML page (element content or a quoted attribute)."""
    import html   # only the HTML report needs it (html.entities is a large table)

    return html.escape(terminal_text(s), quote=True)


# ---------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|$~&!])")


def markdown_text(s: str) -> str:
    """Plain text that Markdown shows as written, on one line (no emphasis, links, HTML,
    tables or math): every punctuation mark that could start one is backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", terminal_text(" ".join(s.splitlines()), one_line=True))


def _longest_backtick_run(s: str) -> int:
    return max((len(run) for run in re.findall("`+", s)), default=0)


def markdown_code(s: str) -> str:
    """``s`` as an inline code span: delimited by more backticks than any run inside, padded
    with a space where it starts or ends with a backtick or a space (CommonMark strips one
    space from each side), on one line. A ``|`` inside still splits a GFM table cell: not for
    table cells."""
    s = terminal_text(" ".join(s.splitlines()), one_line=True)
    fence = "`" * (_longest_backtick_run(s) + 1)
    pad = " " if s[:1] in ("`", " ") or s[-1:] in ("`", " ") or not s else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def markdown_fence(s: str, info: str = "text") -> str:
    """``s`` as a fenced code block whose fence no line inside can close."""
    s = terminal_text(s)
    fence = "`" * max(3, _longest_backtick_run(s) + 1)
    return f"{fence}{info}\n{s}\n{fence}"


# ---------------------------------------------------------------- GitHub workflow commands


def github_data(s: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit does (``%``, CR, LF), other
    control characters shown as ``[U+XXXX]``."""
    s = _CONTROL.sub(lambda m: m.group() if m.group() in "\r\n" else _code_point(m.group()), s)
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(s: str) -> str:
    """A workflow command's property value (``file=``, ``title=``): as data, and ``:`` and
    ``,``, which would end it."""
    return github_data(s).replace(":", "%3A").replace(",", "%2C")


_COMMAND_START = re.compile(r"^(\s*)::")


def github_log(s: str) -> str:
    """Lines printed beside the workflow commands (stderr, in ``--format github``), made
    unable to be one: control characters shown, a line that would start with ``::`` (GitHub
    trims leading spaces) starts with ``%3A%3A`` instead, and the legacy prefix ``##[``,
    read anywhere in a line, is ``##%5B``."""
    lines = terminal_text(s).split("\n")
    return "\n".join(_COMMAND_START.sub(r"\1%3A%3A", ln).replace("##[", "##%5B")
                     for ln in lines)


__all__ = ["github_data", "github_log", "github_property", "html_text", "latex_text",
           "latex_verbatim", "markdown_code", "markdown_fence", "markdown_text", "terminal_text"]
