r"""TeX's tokenization of math, with positions.

TeX reads its input as tokens by category codes: a control word (``\frac``: a backslash and
letters), a control symbol (``\,``, ``\\``, ``\{``: a backslash and one other character),
a comment (``%`` to the end of the line), spaces, braces, ``_`` ``^`` ``&``, and single
characters. That is all the tokenizing the math of a derivation needs, so it is written here
in one regular expression (a dependency such as pylatexenc would bring a node tree whose
macro arities would have to be overridden for every command below anyway). Each token keeps
its offset in the file, so every reading problem is reported at FILE:LINE:COL.

Digits are single tokens: ``x_12`` is x subscript 1, then 2, as TeX reads it.
"""
import re
from typing import List, NamedTuple, Optional, Tuple

CS, LETTER, DIGIT, SPACE, OPEN, CLOSE, SUB, SUP, AMP, OTHER = (
    "cs", "letter", "digit", "space", "open", "close", "sub", "sup", "amp", "other")

_TOKEN = re.compile(r"\\(?:[A-Za-z]+\*?|.)|%[^\n]*|\s+|.", re.S)


class Tok(NamedTuple):
    kind: str
    text: str
    pos: int      # offset in the file
    site: int = -1    # a token a macro's expansion brought: the offset of the macro's use

    @property
    def at(self) -> int:
        """Where the token stands in the text the author wrote: its macro's use, or itself."""
        return self.site if self.site >= 0 else self.pos


def kind_of(text: str) -> str:
    c = text[0]
    if c == "\\":
        return CS
    if c.isspace():
        return SPACE
    if c == "{":
        return OPEN
    if c == "}":
        return CLOSE
    if c == "_":
        return SUB
    if c == "^":
        return SUP
    if c == "&":
        return AMP
    if c.isdigit() and c.isascii():
        return DIGIT
    if c.isalpha():
        return LETTER
    return OTHER


def tokenize(text: str, start: int = 0, end: Optional[int] = None) -> List[Tok]:
    """The tokens of ``text[start:end]``, comments dropped, positions in ``text``."""
    end = len(text) if end is None else end
    out: List[Tok] = []
    for m in _TOKEN.finditer(text, start, end):
        s = m.group()
        if s[0] == "%":
            continue
        out.append(Tok(kind_of(s), s, m.start()))
    return out


def line_col(text: str, offset: int) -> Tuple[int, int]:
    """(line, column), 1-based, of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class LineIndex:
    """Offsets to (line, column) in O(log n): a file has many positions to report."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> Tuple[int, int]:
        from bisect import bisect_right

        i = bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


# Markdown as static-site generators (Jekyll/kramdown) need it: the Markdown escapes of the
# characters TeX's math uses, read back (in LaTeX math \_ and \* typeset a literal '_' and a
# discretionary times, which no derivation writes)
_MARKDOWN_ESCAPES = {r"\_": SUB, r"\*": OTHER}


# the commands after which a delimiter must follow: there `\\{` cannot be a row break
_SIZES = frozenset(r"\left \right \middle \big \Big \bigg \Bigg \bigl \bigr \Bigl \Bigr \biggl "
                   r"\biggr \Biggl \Biggr \bigm \Bigm \biggm \Biggm".split())
_BRACES = ("{", "}")


def unescape_markdown(tokens: List[Tok]) -> List[Tok]:
    r"""``\_`` read as ``_`` and ``\*`` as ``*`` (``align\*`` is ``align*``); ``\\\\`` is two
    row breaks, the empty row between them dropped where rows are split.

    Kramdown's ``\\{`` and ``\\}`` (the Markdown escape of ``\{``, ``\}``) are read as the
    brace only where no row break can be meant: after ``\left``, ``\right``, ``\big`` and
    their kin, or in a display that writes its row breaks escaped (``\\\\``) and has no bare
    ``\\`` but these. Anywhere else ``\\`` stays a row break."""
    escaped = _escapes_backslashes(tokens)
    out: List[Tok] = []
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        if _escaped_brace(tokens, i, escaped):
            brace = tokens[i + 1]
            out.append(Tok(CS, "\\" + brace.text, t.pos + 1, t.site))
            i += 2
            continue
        kind = _MARKDOWN_ESCAPES.get(t.text) if t.kind == CS else None
        if kind is not None:
            t = Tok(kind, t.text[1], t.pos + 1, t.site)
        out.append(t)
        i += 1
    return out


def _adjacent(tokens: List[Tok], i: int) -> bool:
    """Whether ``tokens[i + 1]`` is written right after ``tokens[i]`` (no macro between)."""
    return i + 1 < len(tokens) and tokens[i].site < 0 and tokens[i + 1].site < 0 and \
        tokens[i + 1].pos == tokens[i].pos + len(tokens[i].text)


def _is_break(t: Tok) -> bool:
    return t.kind == CS and t.text == "\\\\"


def _escapes_backslashes(tokens: List[Tok]) -> bool:
    r"""Whether the display writes Markdown-escaped backslashes throughout: some ``\\\\``,
    and every other ``\\`` is one of ``\\{``, ``\\}``."""
    pairs = False
    i, n = 0, len(tokens)
    while i < n:
        if _is_break(tokens[i]):
            if i + 1 < n and _is_break(tokens[i + 1]) and _adjacent(tokens, i):
                pairs = True
                i += 2
                continue
            if not (_adjacent(tokens, i) and tokens[i + 1].text in _BRACES):
                return False
        i += 1
    return pairs


def _escaped_brace(tokens: List[Tok], i: int, escaped: bool) -> bool:
    r"""Whether ``tokens[i]`` is the ``\\`` of a ``\\{`` or ``\\}`` that means the brace."""
    if not (_is_break(tokens[i]) and _adjacent(tokens, i) and tokens[i + 1].text in _BRACES):
        return False
    if i > 0 and _is_break(tokens[i - 1]) and _adjacent(tokens, i - 1):
        return False                # the second half of \\\\
    if escaped:
        return True
    j = i - 1
    while j >= 0 and tokens[j].kind == SPACE:
        j -= 1
    return j >= 0 and tokens[j].kind == CS and tokens[j].text in _SIZES
