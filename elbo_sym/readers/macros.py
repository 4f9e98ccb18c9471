r"""Macros a document defines, expanded in a display's tokens before it is read.

``\newcommand``, ``\renewcommand``, ``\providecommand`` (starred or not, with ``[n]`` arguments
and a ``[default]`` for the first), ``\def\name#1#2{..}`` and ``\DeclareMathOperator`` (read as
``\operatorname{..}``), wherever the document writes them: a LaTeX preamble, or a display of
their own at the top of a Markdown note as MathJax reads them. A definition holds from where it
stands; a later ``\renewcommand`` replaces it. A Markdown note may also configure macros as
MathJax and KaTeX take them, in its YAML front matter or a ``<script>``: ``config_macros`` reads
those as data (string and number literals only), never as code.

Expansion is substitution of tokens, never execution: a body is a list of tokens, ``#k`` in it
is replaced by the k-th argument's tokens, and the result is read again for the macros it uses.
It is bounded (``MAX_EXPANSIONS`` uses, ``MAX_TOKENS`` tokens), so a recursive definition ends
in a ``MacroError`` at the use that would not end, never in a hang. A ``\def`` with delimited
parameters (``\def\a#1.{..}``) is not expanded: the macro stays unread, and so does its row.

Each token of an expansion keeps its own offset (its place in the definition, or in the
argument the use wrote) so that what the reader quotes is what the author wrote, and carries
the offset of the use (``Tok.site``), where the row it stands in is reported.
"""
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, NamedTuple, Optional, Protocol, Sequence, Tuple

from .tokens import CLOSE, CS, DIGIT, OPEN, OTHER, SPACE, Tok, tokenize

MAX_EXPANSIONS = 2_000     # uses of macros in one display
MAX_TOKENS = 50_000        # tokens of one display after expansion

NEW_COMMANDS = frozenset(r"\newcommand \renewcommand \providecommand \newcommand* "
                         r"\renewcommand* \providecommand*".split())
OPERATORS = frozenset((r"\DeclareMathOperator", r"\DeclareMathOperator*"))
DEFINERS = NEW_COMMANDS | OPERATORS | {r"\def"}
# a quick test of whether a text may define anything at all
MARKERS = ("\\newcommand", "\\renewcommand", "\\providecommand", "\\def", "\\DeclareMathOperator")


class MacroError(Exception):
    """A macro whose expansion does not end, or a definition that cannot be read."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message, self.pos = message, pos


@dataclass(frozen=True)
class Macro:
    name: str                       # '\E'
    arity: int
    default: Optional[List[Tok]]    # the first argument's default: it is optional
    body: Tuple[Tok, ...]
    pos: int                        # where it is defined
    readable: bool = True           # False: a \def with delimited parameters


class Macros:
    """The definitions of a document, in document order."""

    def __init__(self) -> None:
        self.defined: Dict[str, List[Macro]] = {}

    def __bool__(self) -> bool:
        return bool(self.defined)

    def add(self, macro: Macro) -> None:
        self.defined.setdefault(macro.name, []).append(macro)

    def at(self, name: str, pos: int) -> Optional[Macro]:
        """The definition of ``name`` in force at offset ``pos`` (the last one before it)."""
        found = None
        for macro in self.defined.get(name, ()):
            if macro.pos < pos:
                found = macro
        return found

    def collect(self, tokens: Sequence[Tok]) -> List[Tok]:
        """Take the definitions out of ``tokens`` into the table; the tokens left."""
        out: List[Tok] = []
        i, n = 0, len(tokens)
        while i < n:
            t = tokens[i]
            if t.kind == CS and t.text in DEFINERS:
                parsed = _definition(tokens, i)
                if parsed is not None:
                    macro, i = parsed
                    self.add(macro)
                    continue
            out.append(t)
            i += 1
        return out

    def expand(self, tokens: Sequence[Tok]) -> List[Tok]:
        """``tokens`` with every macro in force expanded. Raises MacroError at the use whose
        expansion exceeds the bounds."""
        if not self.defined:
            return list(tokens)
        out: List[Tok] = []
        stack: List[Tok] = list(reversed(tokens))    # what is left to read, next on top
        uses = 0
        while stack:
            t = stack.pop()
            macro = self.at(t.text, t.pos if t.site < 0 else t.site) \
                if t.kind == CS and t.text in self.defined else None
            if macro is None or not macro.readable:
                out.append(t)
                continue
            uses += 1
            site = t.at
            if uses > MAX_EXPANSIONS or len(stack) + len(out) > MAX_TOKENS:
                raise MacroError(f"the macro {t.text} expands without end (a definition that "
                                 "uses itself?)", site)
            args = _arguments(stack, macro, t)
            stack.extend(reversed(_substitute(macro, args, site)))
        return out


class _Tokens(Protocol):
    def __len__(self) -> int: ...

    def __getitem__(self, i: int) -> Tok: ...


def _skip(tokens: _Tokens, i: int) -> int:
    while i < len(tokens) and tokens[i].kind == SPACE:
        i += 1
    return i


def _group(tokens: _Tokens, i: int) -> Optional[Tuple[List[Tok], int]]:
    """(the tokens inside, index after) of the braced group or single token at ``i``."""
    i = _skip(tokens, i)
    if i >= len(tokens) or tokens[i].kind == CLOSE:
        return None
    if tokens[i].kind != OPEN:
        return [tokens[i]], i + 1
    level = 0
    for j in range(i, len(tokens)):
        if tokens[j].kind == OPEN:
            level += 1
        elif tokens[j].kind == CLOSE:
            level -= 1
            if level == 0:
                return [tokens[k] for k in range(i + 1, j)], j + 1
    return None


def _bracket(tokens: _Tokens, i: int) -> Optional[Tuple[List[Tok], int]]:
    """(the tokens inside, index after) of ``[..]`` at ``i`` (spaces skipped), else None."""
    i = _skip(tokens, i)
    if i >= len(tokens) or tokens[i].text != "[":
        return None
    level = 0
    for j in range(i + 1, len(tokens)):
        if tokens[j].kind == OPEN:
            level += 1
        elif tokens[j].kind == CLOSE:
            level -= 1
        elif tokens[j].text == "]" and level == 0:
            return [tokens[k] for k in range(i + 1, j)], j + 1
    return None


def _definition(tokens: Sequence[Tok], i: int) -> Optional[Tuple[Macro, int]]:
    """(the Macro, index after) of the definition at ``tokens[i]``, or None when it is not one
    that can be read (then its tokens stay, and their row is not read)."""
    head = tokens[i]
    if head.text == r"\def":
        return _def(tokens, i)
    named = _group(tokens, i + 1)
    if named is None:
        return None
    name_tokens, j = named
    name_tokens = [t for t in name_tokens if t.kind != SPACE]
    if len(name_tokens) != 1 or name_tokens[0].kind != CS:
        return None
    name = name_tokens[0].text
    if head.text in OPERATORS:
        body = _group(tokens, j)
        if body is None:
            return None
        inner, k = body
        operator = (Tok(CS, r"\operatorname", head.pos), Tok(OPEN, "{", head.pos))
        return Macro(name, 0, None, operator + tuple(inner) + (Tok(CLOSE, "}", head.pos),),
                     head.pos), k
    arity, default = 0, None
    count = _bracket(tokens, j)
    if count is not None:
        digits = "".join(t.text for t in count[0] if t.kind != SPACE)
        if not (digits.isdigit() and 1 <= int(digits) <= 9):
            return None
        arity, j = int(digits), count[1]
        optional = _bracket(tokens, j)
        if optional is not None:
            default, j = optional
    body = _group(tokens, j)
    if body is None:
        return None
    return Macro(name, arity, default, tuple(body[0]), head.pos), body[1]


def _def(tokens: Sequence[Tok], i: int) -> Optional[Tuple[Macro, int]]:
    r"""``\def\name#1#2{body}``; a \def with other parameter text is kept unreadable."""
    j = _skip(tokens, i + 1)
    if j >= len(tokens) or tokens[j].kind != CS:
        return None
    name = tokens[j].text
    j += 1
    arity, plain = 0, True
    while j < len(tokens) and tokens[j].kind != OPEN:
        t = tokens[j]
        if t.text == "#" and j + 1 < len(tokens) and tokens[j + 1].text == str(arity + 1):
            arity += 1
            j += 2
            continue
        plain = False
        j += 1
    body = _group(tokens, j)
    if body is None:
        return None
    return Macro(name, arity, None, tuple(body[0]), tokens[i].pos, readable=plain), body[1]


class _Ahead:
    """The tokens still to read, in reading order, over the stack that holds them reversed
    (no copy: a display may use many macros)."""

    def __init__(self, stack: List[Tok]) -> None:
        self.stack = stack

    def __len__(self) -> int:
        return len(self.stack)

    def __getitem__(self, i: int) -> Tok:
        return self.stack[len(self.stack) - 1 - i]


def _arguments(stack: List[Tok], macro: Macro, use: Tok) -> List[List[Tok]]:
    """Take the macro's arguments off ``stack`` (next token on top)."""
    args: List[List[Tok]] = []
    rest = _Ahead(stack)
    i = 0
    if macro.default is not None:
        optional = _bracket(rest, 0)
        if optional is not None:
            args.append(optional[0])
            i = optional[1]
        else:
            args.append(list(macro.default))
    while len(args) < macro.arity:
        group = _group(rest, i)
        if group is None:
            raise MacroError(f"the macro {macro.name} takes {macro.arity} argument"
                             f"{'s' if macro.arity > 1 else ''}, and its use gives fewer",
                             use.at)
        args.append(group[0])
        i = group[1]
    del stack[len(stack) - i:]
    return args


def _substitute(macro: Macro, args: List[List[Tok]], site: int) -> List[Tok]:
    """The macro's body with ``#k`` replaced by the k-th argument, each token marked as
    standing at ``site``."""
    out: List[Tok] = []
    body = macro.body
    i = 0
    while i < len(body):
        t = body[i]
        if t.kind == OTHER and t.text == "#" and i + 1 < len(body) and \
                body[i + 1].kind == DIGIT and 1 <= int(body[i + 1].text) <= len(args):
            out.extend(a if a.site >= 0 else a._replace(site=site)
                       for a in args[int(body[i + 1].text) - 1])
            i += 2
            continue
        out.append(t._replace(site=site))
        i += 1
    return out


def document_macros(text: str, spans: Sequence[Tuple[int, int]] = (),
                    markdown: Optional[bool] = None) -> Macros:
    """The definitions in ``text`` (a LaTeX document: all of it) or in the ``spans`` of it
    (a Markdown note: its math), in document order. A Markdown note (``markdown``; by default,
    when ``spans`` are given) also has the macros of its configuration (``config_macros``),
    in force from its start."""
    macros = Macros()
    if markdown if markdown is not None else bool(spans):
        config_macros(text, macros)
    if not any(m in text for m in MARKERS):
        return macros
    for start, end in (spans or [(0, len(text))]):
        if any(m in text[start:end] for m in MARKERS):
            macros.collect(tokenize(text, start, end))
    return macros


# -- macros a Markdown note configures: data read, never code run

MAX_CONFIG_CHARS = 100_000   # a front matter or <script> longer than this is not read
MAX_CONFIG_MACROS = 500      # entries read from one front matter or object


def config_macros(text: str, macros: Macros) -> None:
    r"""Add the macros a Markdown note configures to ``macros`` (in force from the start):

    - YAML front matter: a top-level ``macros:`` mapping, one entry a line,
      ``name: "\\body"`` (a double-quoted string: ``\\`` and ``\"`` are its only escapes),
      ``name: '\body'``, ``name: \body`` (plain), or ``name: ["\\body #1", 1]`` (with
      arguments), the name written with or without its backslash (as MathJax's ``macros`` and
      KaTeX's ``macros`` options take them);
    - a ``<script>`` element's literal ``Macros: { name: "..", name2: ["..", 2] }`` (or
      ``macros:``) object, as MathJax's configuration writes it: string and number literals
      only, never evaluated.

    An entry that is not one of these forms (a nested block, a tag, an expression, an escape
    with another meaning), or a name given two different bodies, is defined *unreadable*: its
    uses stay unread, with their rows. A configuration longer than ``MAX_CONFIG_CHARS`` is not
    read (its macros are then unknown, and so unread where they are used)."""
    from .scan import FRONT_MATTER, config_spans

    found: Dict[str, Macro] = {}
    for what, start, end in config_spans(text):
        if end - start > MAX_CONFIG_CHARS:
            continue
        entries = _front_matter(text, start, end) if what == FRONT_MATTER else \
            _script(text, start, end)
        for macro in entries:
            old = found.get(macro.name)
            if old is not None and (old.body, old.arity) != (macro.body, macro.arity) or \
                    old is not None and not old.readable:
                macro = Macro(macro.name, 0, None, (), -1, readable=False)
            found[macro.name] = macro
    for macro in found.values():
        macros.add(macro)


class _Body(NamedTuple):
    """A macro body read from a string literal: its characters and each one's file offset."""
    text: str
    origin: List[int]


def _macro(name: str, body: Optional[_Body], arity: int) -> Macro:
    """The configured macro ``name`` (with or without its backslash); unreadable without a
    body."""
    name = name if name.startswith("\\") else "\\" + name
    if body is None or not 0 <= arity <= 9:
        return Macro(name, 0, None, (), -1, readable=False)
    tokens = tuple(t._replace(pos=body.origin[t.pos]) for t in tokenize(body.text))
    return Macro(name, arity, None, tokens, -1)


_NAME = re.compile(r"\\?[A-Za-z]+\Z")
_YAML_KEY = re.compile(r"([ \t]+)(\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\n]|'')*'|[^\s:#'\"][^:\n]*?)"
                       r"[ \t]*:(?:[ \t]+|$)")
_YAML_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*")
_YAML_END = re.compile(r"[ \t]*(?:#[^\n]*)?\Z")


def _front_matter(text: str, start: int, end: int) -> List[Macro]:
    """The entries of the top-level ``macros:`` mapping of the YAML front matter."""
    out: List[Macro] = []
    head = re.compile(r"^macros:[ \t]*(?:#[^\n]*)?$", re.M).search(text, start, end)
    if head is None:
        return out
    lines = text[head.end() + 1:end].split("\n")
    offset = head.end() + 1
    indent: Optional[str] = None
    seen: Dict[str, int] = {}
    for line in lines:
        line_start, offset = offset, offset + len(line) + 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace() or len(out) >= MAX_CONFIG_MACROS:
            break                            # the next top-level key: the mapping ends
        m = _YAML_KEY.match(line)
        if indent is not None and (m is None or m.group(1) != indent):
            if out and len(line) - len(line.lstrip()) > len(indent):
                out[-1] = _macro(out[-1].name, None, 0)   # a nested block: no one reading
                continue
            break
        if m is None:
            break
        indent = m.group(1)
        key = _yaml_scalar(text, line_start + m.start(2), line_start + m.end(2))
        if key is None or not _NAME.match(key.text):
            continue
        value = _yaml_value(text, line_start + m.end(), line_start + len(line))
        macro = _macro(key.text, *value) if value is not None else _macro(key.text, None, 0)
        if macro.name in seen:               # a key given twice: YAML has no reading for it
            macro = _macro(key.text, None, 0)
            out[seen[macro.name]] = macro
        seen[macro.name] = len(out)
        out.append(macro)
    return out


def _yaml_value(text: str, start: int, end: int) -> Optional[Tuple[Optional[_Body], int]]:
    """(body, arity) of an entry's value: a scalar, or ``[scalar, n]``."""
    value = text[start:end]
    if value.startswith("["):
        m = re.match(r"\[[ \t]*(\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\n]|'')*'|[^\s,\[\]{}#'\"]"
                     r"[^,\[\]{}#\n]*?)[ \t]*,[ \t]*([0-9])[ \t]*\]", value)
        if m is None or not _YAML_END.match(value, m.end()):
            return None
        return _yaml_scalar(text, start + m.start(1), start + m.end(1)), int(m.group(2))
    m = re.match(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\n]|'')*'", value)
    if m is not None:
        if not _YAML_END.match(value, m.end()):
            return None
        return _yaml_scalar(text, start + m.start(), start + m.end()), 0
    plain = re.split(r"[ \t]#", value, maxsplit=1)[0].rstrip(" \t")   # a comment ends it
    if not _YAML_PLAIN.fullmatch(plain) or ": " in plain:
        return None
    return _yaml_scalar(text, start, start + len(plain)), 0


def _yaml_scalar(text: str, start: int, end: int) -> Optional[_Body]:
    """The string a YAML scalar writes: double-quoted (``\\`` and ``\"`` its only escapes
    read), single-quoted (``''``) or plain; None for an escape of another meaning."""
    raw = text[start:end]
    if raw[:1] == '"':
        return _unescape(text, start, end, {"\\": "\\", '"': '"'})
    if raw[:1] == "'":
        chars, origin = [], []
        i = start + 1
        while i < end - 1:
            chars.append(text[i])
            origin.append(i)
            i += 2 if text[i] == "'" else 1
        return _Body("".join(chars), origin)
    return _Body(raw, list(range(start, end)))


def _unescape(text: str, start: int, end: int, escapes: Dict[str, str]) -> Optional[_Body]:
    """The string of the quoted literal ``text[start:end]`` with only ``escapes`` read."""
    chars, origin = [], []
    i = start + 1
    while i < end - 1:
        c = text[i]
        if c == "\\":
            read = escapes.get(text[i + 1]) if i + 1 < end - 1 else None
            if read is None:
                return None
            chars.append(read)
            origin.append(i)
            i += 2
            continue
        chars.append(c)
        origin.append(i)
        i += 1
    return _Body("".join(chars), origin)


_JS_OBJECT = re.compile(r"\b[Mm]acros\s*:\s*\{")
_JS_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_JS_KEY = re.compile(r"[A-Za-z_$][\w$]*|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")
_JS_STRING = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")
_JS_ESCAPES = {"\\": "\\", '"': '"', "'": "'"}


def _script(text: str, start: int, end: int) -> List[Macro]:
    """The entries of each literal ``Macros: {..}`` object in a script; an object that is not
    a literal of strings and numbers makes every name it gives unreadable."""
    out: List[Macro] = []
    for m in _JS_OBJECT.finditer(text, start, end):
        entries, complete = _js_object(text, m.end(), end)
        out += entries if complete else [_macro(e.name, None, 0) for e in entries]
    return out


def _js_object(text: str, i: int, end: int) -> Tuple[List[Macro], bool]:
    """(the entries, whether the object was read to its ``}``) of the object after ``{``."""
    out: List[Macro] = []
    seen: Dict[str, int] = {}

    def space(j: int) -> int:
        return _JS_SPACE.match(text, j, end).end()      # type: ignore[union-attr]

    i = space(i)
    while len(out) < MAX_CONFIG_MACROS:
        if text.startswith("}", i):
            return out, True
        key = _JS_KEY.match(text, i, end)
        if key is None:
            return out, False
        name = key.group()
        if name[0] in "'\"":
            body = _unescape(text, key.start(), key.end(), _JS_ESCAPES)
            name = body.text if body is not None else ""
        i = space(key.end())
        if not text.startswith(":", i):
            return out, False
        i = space(i + 1)
        value, arity, i = _js_value(text, i, end, space)
        if i < 0:
            return out, False
        if _NAME.match(name):
            macro = _macro(name, value, arity)
            if macro.name in seen:           # given twice: the later would win in JavaScript
                macro = _macro(name, None, 0)
                out[seen[macro.name]] = macro
            seen[macro.name] = len(out)
            out.append(macro)
        i = space(i)
        if text.startswith(",", i):
            i = space(i + 1)
        elif not text.startswith("}", i):
            return out, False
    return out, False


def _js_value(text: str, i: int, end: int, space: Callable[[int], int]
              ) -> Tuple[Optional[_Body], int, int]:
    """(body, arity, offset after) of a string literal or ``["..", n]``; offset -1 when the
    value is no such literal."""
    if text.startswith("[", i):
        s = _JS_STRING.match(text, space(i + 1), end)
        if s is None:
            return None, 0, -1
        j = space(s.end())
        if not text.startswith(",", j):
            return None, 0, -1
        n = re.compile(r"[0-9]+").match(text, space(j + 1), end)
        if n is None:
            return None, 0, -1
        j = space(n.end())
        if not text.startswith("]", j):
            return None, 0, -1
        return _unescape(text, s.start(), s.end(), _JS_ESCAPES), int(n.group()[:2]), j + 1
    s = _JS_STRING.match(text, i, end)
    if s is None:
        return None, 0, -1
    return _unescape(text, s.start(), s.end(), _JS_ESCAPES), 0, s.end()
