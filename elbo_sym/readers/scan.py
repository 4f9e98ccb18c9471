r"""Finding the display math of a Markdown or LaTeX document, and what the text declares.

One pass over the file, left to right, in file offsets (so that every later message can name
FILE:LINE:COL): displays (``$$ .. $$``, ``\[ .. \]``, ``equation``, ``align``, ``aligned``,
``eqnarray``, ``split``, ``gather``, ``multline``, starred or not, and ```` ```math ````
fences and Liquid ``{% math %}`` tags in Markdown), declarations in comments
(``<!-- elbo-check: .. -->`` in Markdown, ``% elbo-check: ..`` in LaTeX), and the sentences
the LaTeX printer of elbo-check writes around a chain (``where $\displaystyle L = ..$``,
``Model: $..$``, ``Assuming $..$``), so that a document it wrote reads back
with its definitions, models and assumptions.

Code is skipped: Markdown fences other than ``math`` and inline code spans, HTML comments and
the HTML elements MathJax does not typeset in (``<script>``, ``<style>``, ``<pre>``, ``<code>``,
``<textarea>``, ``<noscript>``), LaTeX comments and ``verbatim`` environments. Math inside other
HTML (``<div>$$ .. $$</div>``, ``<p>\[ .. \]</p>``) is read as MathJax reads it. Inline math
(``$..$``, ``\( .. \)``) is prose, not a chain, and is not read.

In LaTeX, a macro the document defines as exactly an opening or closing of a display
(``\newcommand{\beq}{\begin{equation}}``, ``\def\eeq{\end{equation}}``, ``\[``/``\]``) opens
or closes that display where it is used; the definitions themselves are skipped, never scanned
as displays. ``config_spans`` gives the places where a Markdown note configures its math
(YAML front matter, ``<script>`` elements), which ``macros`` reads as data.
"""
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple, Union

if TYPE_CHECKING:
    from .macros import Macros

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


# inline \( .. \) (not after a backslash: \\( is a row break and a bracket), within a paragraph
_PAREN = r"(?P<paren>(?<!\\)\\\((?:(?!\n[ \t]*\n)[\s\S])*?\\\))"
# the HTML elements whose text MathJax never typesets (its skipHtmlTags)
_RAW_HTML = ("script", "style", "pre", "code", "textarea", "noscript")

_MD_OPEN = re.compile(
    r"(?P<fence>^[ \t]*(?P<ticks>```+|~~~+)[ \t]*(?P<info>[^\n`]*)$)"
    r"|(?P<comment><!--)"
    r"|(?P<html>(?i:<(?P<tag>" + "|".join(_RAW_HTML) + r")\b[^>]*>))"
    r"|(?P<code>`+)"
    r"|(?P<dollars>\$\$)"
    r"|(?P<escaped>\\\$)"
    r"|(?P<inline>\$(?:[^$\\\n]|\\.)+\$)"
    r"|" + _PAREN +
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
    r"|" + _PAREN +
    r"|(?P<bracket>\\\[)"
    r"|(?P<definer>\\(?:(?:re)?newcommand|providecommand|def|DeclareMathOperator)(?![A-Za-z])\*?)"
    r"|(?P<verbatim>\\begin\{(?:verbatim|lstlisting|minted|comment)\*?\})"
    r"|(?P<begin>\\begin\{(?P<env>(?:" + _ENV + r")\*?)\})"
    r"|(?P<sentence>^\\noindent (?:where \$\\displaystyle |Model: \$|Assuming \$))", re.M)

_DECLARATION_MD = re.compile(r"<!--\s*elbo-check:(.*?)-->", re.S)
_DECLARATION_TEX = re.compile(r"%\s*elbo-check:(.*)")
_INLINE = re.compile(r"(?<!\\)\$((?:[^$\\]|\\.)+)\$")


Item = Union[Display, Declaration, Sentence, Unclosed]


def scan(text: str, kind: str) -> List[Item]:
    """The items of the document in file order: Display, Declaration, Sentence, Unclosed."""
    return _scan_md(text) if kind == MD else _scan_tex(text, _Delimiters.of(text))


FRONT_MATTER, SCRIPT = "front matter", "script"
_FRONT_MATTER = re.compile(r"---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def config_spans(text: str) -> List[Tuple[str, int, int]]:
    """(what, start, end) of each place a Markdown note configures its math: the YAML front
    matter at the file's start (``FRONT_MATTER``) and the text of each ``<script>`` element
    outside comments and code (``SCRIPT``), in file order."""
    spans: List[Tuple[str, int, int]] = []
    front = _FRONT_MATTER.match(text)
    if front is not None and front.group(1) is not None:
        spans.append((FRONT_MATTER, front.start(1), front.end(1)))
    if "<script" in text.lower():
        _scan_md(text, spans)
    return spans


def _close(text: str, kind: str, opener: str, after: int,
           delimiters: Optional["_Delimiters"] = None) -> Optional[Tuple[int, int]]:
    """(body_end, end) of the display opened by ``opener`` whose body starts at ``after``."""
    if delimiters is not None and delimiters.closers.get(opener):
        return delimiters.close(text, opener, after)
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


def _scan_md(text: str, configs: Optional[List[Tuple[str, int, int]]] = None) -> List[Item]:
    items: List[Item] = []
    pos = 0
    while True:
        m = _MD_OPEN.search(text, pos)
        if m is None:
            break
        if m.group("html") is not None:
            tag = m.group("tag").lower()
            close = re.compile(r"</%s\s*>" % tag, re.I).search(text, m.end())
            if close is None:
                pos = m.end()
                continue
            if configs is not None and tag == SCRIPT:
                configs.append((SCRIPT, m.end(), close.start()))
            pos = close.end()
            continue
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
        if m.group("escaped") is not None or m.group("inline") is not None \
                or m.group("paren") is not None:
            pos = m.end()
            continue
        pos = _display(items, text, MD, m)
    return items


def _scan_tex(text: str, delimiters: Optional["_Delimiters"] = None) -> List[Item]:
    items: List[Item] = []
    pos = 0
    pattern = _TEX_OPEN if delimiters is None else delimiters.pattern
    while True:
        m = pattern.search(text, pos)
        if m is None:
            break
        if m.group("definer") is not None:
            pos = _skip_definition(text, m.end())
            continue
        if m.groupdict().get("use") is not None:
            opened = delimiters.opens(m.group("use"), m.start()) if delimiters else None
            if opened is None:
                pos = m.end()
                continue
            pos = _display(items, text, TEX, m, opened, delimiters)
            continue
        if m.group("comment") is not None:
            d = _DECLARATION_TEX.match(m.group("comment"))
            if d is not None:
                _declarations(items, d.group(1), m.start() + d.start(1))
            pos = m.end()
            continue
        if m.group("escaped") is not None or m.group("inline") is not None \
                or m.group("paren") is not None:
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
        pos = _display(items, text, TEX, m, None, delimiters)
    return items


def _display(items: List[Item], text: str, kind: str, m: "re.Match[str]",
             opener: Optional[str] = None, delimiters: Optional["_Delimiters"] = None) -> int:
    if opener is None:
        opener = m.group("env") if m.group("begin") is not None else (
            "$$" if m.group("dollars") is not None else
            LIQUID if m.groupdict().get("liquid") is not None else "\\[")
    closed = _close(text, kind, opener, m.end(), delimiters)
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


def _group_end(text: str, i: int) -> Optional[int]:
    r"""The offset after the braced group that opens at ``text[i]`` (``\{``, ``\}`` are no
    braces), or None when it is never closed."""
    level = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            level += 1
        elif c == "}":
            level -= 1
            if level == 0:
                return i + 1
        i += 1
    return None


_PARAMETERS = re.compile(r"\s*(?:\[[^\]\n]*\]\s*)*")       # [2][default] of \newcommand
_DEF_PARAMETERS = re.compile(r"[^{}\n]{0,200}")           # #1#2 (or other text) of \def


def _skip_definition(text: str, i: int) -> int:
    r"""The offset after the macro definition whose definer ends at ``i`` (``\newcommand`` and
    kin, ``\def``): its name, parameters and braced body; ``i`` when it has no body."""
    m = re.compile(r"\s*(?:\{\s*\\[A-Za-z@]+\*?\s*\}|\\[A-Za-z@]+|\\.)").match(text, i)
    if m is None:
        return i
    j = m.end()
    j = _PARAMETERS.match(text, j).end()          # type: ignore[union-attr]  # matches empty
    j = _DEF_PARAMETERS.match(text, j).end()      # type: ignore[union-attr]  # matches empty
    if j >= len(text) or text[j] != "{":
        return i
    end = _group_end(text, j)
    return i if end is None else end


class _Delimiters:
    r"""The macros of a LaTeX document that open or close a display
    (``\newcommand{\beq}{\begin{equation}}``): where they are used, the display opens or closes
    as if the author had written what the definition in force there says."""

    def __init__(self, macros: "Macros", names: List[str]) -> None:
        self.macros = macros
        words = "|".join(re.escape(n[1:]) for n in sorted(names, key=len, reverse=True))
        self.pattern = re.compile(_TEX_OPEN.pattern + r"|(?P<use>\\(?:" + words +
                                  r")(?![A-Za-z]))", re.M)
        self.closers: Dict[str, List[str]] = {}
        for name in names:
            for macro in macros.defined[name]:
                role = _role(macros, macro)
                if role is not None and role[0] == "end" and name not in \
                        self.closers.setdefault(role[1], []):
                    self.closers[role[1]].append(name)

    @classmethod
    def of(cls, text: str) -> Optional["_Delimiters"]:
        from .macros import MARKERS, document_macros

        if not any(m in text for m in MARKERS):
            return None
        macros = document_macros(text)
        names = [name for name, defs in macros.defined.items()
                 if re.fullmatch(r"\\[A-Za-z]+", name)
                 and any(_role(macros, d) is not None for d in defs)]
        return cls(macros, names) if names else None

    def opens(self, name: str, pos: int) -> Optional[str]:
        """The display the macro ``name`` used at ``pos`` opens, or None."""
        macro = self.macros.at(name, pos)
        role = _role(self.macros, macro) if macro is not None else None
        return role[1] if role is not None and role[0] == "begin" else None

    def close(self, text: str, opener: str, after: int) -> Optional[Tuple[int, int]]:
        """(body_end, end) of the display ``opener`` opened: its own closing, or the first use
        of a macro that closes it."""
        literal = re.escape("\\]" if opener == "\\[" else "\\end{%s}" % opener)
        words = "|".join(re.escape(n[1:]) for n in self.closers[opener])
        pattern = re.compile(r"(?P<literal>" + literal + r")|\\(?P<use>" + words +
                             r")(?![A-Za-z])")
        for m in pattern.finditer(text, after):
            if m.group("literal") is not None:
                return m.start(), m.end()
            macro = self.macros.at("\\" + m.group("use"), m.start())
            if macro is not None and _role(self.macros, macro) == ("end", opener):
                return m.start(), m.end()
        return None


def _role(macros: "Macros", macro: object) -> Optional[Tuple[str, str]]:
    r"""('begin'|'end', the display) of a macro whose whole body is ``\begin{ENV}``,
    ``\end{ENV}``, ``\[`` or ``\]`` (ENV a display environment), else None."""
    from .macros import Macro, MacroError
    from .tokens import SPACE

    if not isinstance(macro, Macro) or not macro.readable or macro.arity or \
            macro.default is not None:
        return None
    try:
        body = [t for t in macros.expand(list(macro.body)) if t.kind != SPACE]
    except MacroError:
        return None
    texts = [t.text for t in body]
    if texts in (["\\["], ["\\]"]):
        return ("begin" if texts[0] == "\\[" else "end"), "\\["
    if len(texts) >= 4 and texts[0] in ("\\begin", "\\end") and texts[1] == "{" and \
            texts[-1] == "}":
        env = "".join(texts[2:-1])
        if re.fullmatch(r"(?:%s)\*?" % _ENV, env):
            return texts[0][1:], env
    return None
