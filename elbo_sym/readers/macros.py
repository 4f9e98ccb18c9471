r"""Macros a document defines, expanded in a display's tokens before it is read.

``\newcommand``, ``\renewcommand``, ``\providecommand`` (starred or not, with ``[n]`` arguments
and a ``[default]`` for the first), ``\def\name#1#2{..}`` and ``\DeclareMathOperator`` (read as
``\operatorname{..}``), wherever the document writes them: a LaTeX preamble, or a display of
their own at the top of a Markdown note as MathJax reads them. A definition holds from where it
stands; a later ``\renewcommand`` replaces it.

Expansion is substitution of tokens, never execution: a body is a list of tokens, ``#k`` in it
is replaced by the k-th argument's tokens, and the result is read again for the macros it uses.
It is bounded (``MAX_EXPANSIONS`` uses, ``MAX_TOKENS`` tokens), so a recursive definition ends
in a ``MacroError`` at the use that would not end, never in a hang. A ``\def`` with delimited
parameters (``\def\a#1.{..}``) is not expanded: the macro stays unread, and so does its row.

Each token of an expansion keeps its own offset (its place in the definition, or in the
argument the use wrote) so that what the reader quotes is what the author wrote, and carries
the offset of the use (``Tok.site``), where the row it stands in is reported.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Protocol, Sequence, Tuple

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


def document_macros(text: str, spans: Sequence[Tuple[int, int]] = ()) -> Macros:
    """The definitions in ``text`` (a LaTeX document: all of it) or in the ``spans`` of it
    (a Markdown note: its math), in document order."""
    macros = Macros()
    if not any(m in text for m in MARKERS):
        return macros
    for start, end in (spans or [(0, len(text))]):
        if any(m in text[start:end] for m in MARKERS):
            macros.collect(tokenize(text, start, end))
    return macros
