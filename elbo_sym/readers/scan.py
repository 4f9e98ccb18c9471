r"""Finding the display math of a Markdown or LaTeX document, and what the text declares.

One pass over the file, left to right, in file offsets (so that every later message can name
FILE:LINE:COL): displays (``$$ .. $$``, ``\[ .. \]``, ``equation``, ``align``, ``aligned``,
``eqnarray``, ``split``, ``gather``, ``multline``, starred or not, and ```` ```math ````
fences and Liquid ``{% math %}`` tags in Markdown), declarations in comments (``<!-- elbo-check: .. -->`` in Markdown,
``% elbo-check: ..`` in LaTeX), and the sentences the LaTeX printer of elbo-check writes
around a chain (``where $\displaystyle L = ..$``, ``Model: $..$``, ``Assuming $..$``), so that a
document it wrote reads back with its definitions, models and assumptions.

Code is skipped: Markdown fences other than ``math`` and inline code spans, LaTeX comments and
``verbatim`` environments. Inline math (``$..$``) is prose, not a chain, and is not read.
"""
import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

MD, TEX, IPYNB = "md", "tex", "ipynb"      # as pipeline.SUFFIXES names them
LIQUID = "liquid"     # the opener of a display in {% math %} .. {% endmath %}

ENVIRONMENTS = ("equation", "align", "aligned", "eqnarray", "split", "gather", "gathered",
                "multline", "flalign", "alignat", "alignedat", "displaymath", "math")
_ENV = "|".join(ENVIRONMENTS)


@dataclass
class Display:
    start: int            # offset of the opening delimiter
    body_start: int
    body_end: int
    end: int              # offset just after the closing delimiter
    opener: str           # '$$', '\\[', 'align*', 'math' (a fence)


@dataclass
class Declaration:
    pos: int              # offset of the declaration's first character
    text: str


@dataclass
class Sentence:
    kind: str             # 'where', 'model', 'assuming'
    pos: int
    math: List[Tuple[int, int]] = field(default_factory=list)   # inline math bodies


@dataclass
class Unclosed:
    pos: int
    what: str


_MD_OPEN = re.compile(
    r"(?P<fence>^[ \t]*(?P<ticks>```+|~~~+)[ \t]*(?P<info>[^\n`]*)$)"
    r"|(?P<comment><!--)"
    r"|(?P<code>`+)"
    r"|(?P<dollars>\$\$)"
    r"|(?P<escaped>\\\$)"
    r"|(?P<inline>\$(?:[^$\\\n]|\\.)+\$)"
    r"|(?P<bracket>\\\[)"
    r"|(?P<liquid>\{%-?\s*math\s*-?%\})"
    r"|(?P<begin>\\begin\{(?P<env>(?:" + _ENV + r")\*?)\})", re.M)
# Jekyll's Liquid tags around a display: {% math %} .. {% endmath %}
_LIQUID_CLOSE = re.compile(r"\{%-?\s*endmath\s*-?%\}")

_TEX_OPEN = re.compile(
    r"(?P<comment>(?<!\\)%[^\n]*)"
    r"|(?P<escaped>\\[$%\\])"
    r"|(?P<dollars>\$\$)"
    r"|(?P<inline>\$(?:[^$\\]|\\.)+\$)"
    r"|(?P<bracket>\\\[)"
    r"|(?P<verbatim>\\begin\{(?:verbatim|lstlisting|minted|comment)\*?\})"
    r"|(?P<begin>\\begin\{(?P<env>(?:" + _ENV + r")\*?)\})"
    r"|(?P<sentence>^\\noindent (?:where \$\\displaystyle |Model: \$|Assuming \$))", re.M)

_DECLARATION_MD = re.compile(r"<!--\s*elbo-check:(.*?)-->", re.S)
_DECLARATION_TEX = re.compile(r"%\s*elbo-check:(.*)")
_INLINE = re.compile(r"(?<!\\)\$((?:[^$\\]|\\.)+)\$")


Item = Union[Display, Declaration, Sentence, Unclosed]


def scan(text: str, kind: str) -> List[Item]:
    """The items of the document in file order: Display, Declaration, Sentence, Unclosed."""
    return _scan_md(text) if kind == MD else _scan_tex(text)


def _close(text: str, kind: str, opener: str, after: int) -> Optional[Tuple[int, int]]:
    """(body_end, end) of the display opened by ``opener`` whose body starts at ``after``."""
    if opener == "$$":
        i = text.find("$$", after)
        return (i, i + 2) if i >= 0 else None
    if opener == "\\[":
        i = text.find("\\]", after)
        return (i, i + 2) if i >= 0 else None
    if opener == LIQUID:
        m = _LIQUID_CLOSE.search(text, after)
        return (m.start(), m.end()) if m is not None else None
    closing = "\\end{%s}" % opener
    i = text.find(closing, after)
    return (i, i + len(closing)) if i >= 0 else None


def _scan_md(text: str) -> List[Item]:
    items: List[Item] = []
    pos = 0
    while True:
        m = _MD_OPEN.search(text, pos)
        if m is None:
            break
        if m.group("fence") is not None:
            ticks, info = m.group("ticks"), m.group("info").strip()
            body_start = m.end() + 1
            close = re.compile(r"^[ \t]*" + re.escape(ticks[0]) + "{%d,}[ \t]*$" % len(ticks),
                               re.M).search(text, body_start)
            body_end = close.start() if close else len(text)
            end = close.end() if close else len(text)
            if info.split()[:1] == ["math"]:
                if close is None:
                    items.append(Unclosed(m.start(), "the ```math fence"))
                else:
                    items.append(Display(m.start(), body_start, body_end, end, "math"))
            pos = max(end, m.end())
            continue
        if m.group("comment") is not None:
            end = text.find("-->", m.end())
            end = len(text) if end < 0 else end + 3
            d = _DECLARATION_MD.match(text, m.start())
            if d is not None and d.end() <= end:
                _declarations(items, d.group(1), d.start(1))
            pos = end
            continue
        if m.group("code") is not None:
            ticks = m.group("code")
            closing = text.find(ticks, m.end())
            newline = text.find("\n\n", m.end())
            pos = closing + len(ticks) if closing >= 0 and (newline < 0 or closing < newline) \
                else m.end()
            continue
        if m.group("escaped") is not None or m.group("inline") is not None:
            pos = m.end()
            continue
        pos = _display(items, text, MD, m)
    return items


def _scan_tex(text: str) -> List[Item]:
    items: List[Item] = []
    pos = 0
    while True:
        m = _TEX_OPEN.search(text, pos)
        if m is None:
            break
        if m.group("comment") is not None:
            d = _DECLARATION_TEX.match(m.group("comment"))
            if d is not None:
                _declarations(items, d.group(1), m.start() + d.start(1))
            pos = m.end()
            continue
        if m.group("escaped") is not None or m.group("inline") is not None:
            pos = m.end()     # inline math is prose: $\ge$$\alpha$ is two of them, no $$
            continue
        if m.group("verbatim") is not None:
            name = m.group("verbatim")[len("\\begin{"):-1]
            end = text.find("\\end{%s}" % name, m.end())
            pos = len(text) if end < 0 else end
            continue
        if m.group("sentence") is not None:
            pos = _sentence(items, text, m)
            continue
        pos = _display(items, text, TEX, m)
    return items


def _display(items: List[Item], text: str, kind: str, m: "re.Match[str]") -> int:
    opener = m.group("env") if m.group("begin") is not None else (
        "$$" if m.group("dollars") is not None else
        LIQUID if m.groupdict().get("liquid") is not None else "\\[")
    closed = _close(text, kind, opener, m.end())
    if closed is None:
        shown = {"$$": "$$", "\\[": "\\[", LIQUID: "{% math %}"}.get(opener,
                                                                   "\\begin{%s}" % opener)
        items.append(Unclosed(m.start(), f"the display opened by {shown}"))
        return m.end()
    body_end, end = closed
    items.append(Display(m.start(), m.end(), body_end, end, opener))
    return end


def _declarations(items: List[Item], body: str, offset: int) -> None:
    """Each line of a declaration comment is one line of the file language."""
    for line in re.finditer(r"[^\n]+", body):
        s = line.group()
        stripped = s.strip()
        if stripped:
            items.append(Declaration(offset + line.start() + (len(s) - len(s.lstrip())),
                                     stripped))


def _sentence(items: List[Item], text: str, m: "re.Match[str]") -> int:
    """``\\noindent where $\\displaystyle ..$.\\par`` and its kin, up to ``\\par``."""
    end = text.find("\\par", m.end())
    end = len(text) if end < 0 else end
    head = m.group("sentence")
    kind = "where" if "where" in head else "model" if "Model" in head else "assuming"
    sentence = Sentence(kind, m.start())
    chunk_start = m.start() + len("\\noindent ")
    chunk = text[chunk_start:end]
    if kind == "assuming":
        cut = chunk.find("; for ")
        chunk = chunk if cut < 0 else chunk[:cut]
    for inline in _INLINE.finditer(chunk):
        body_start = chunk_start + inline.start(1)
        if kind == "where" and inline.group(1).startswith("\\displaystyle"):
            body_start += len("\\displaystyle")
        sentence.math.append((body_start, chunk_start + inline.end(1)))
    items.append(sentence)
    return end
