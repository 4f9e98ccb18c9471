r"""LaTeX math to the ``.deriv`` expression language, with a position map.

The reader does not build sympy objects itself: it writes the expression of each row in the
language of ``.deriv`` files and hands it to the one parser (``elbo_sym.parser``), so that both
readers share the builder, its checks and its new notation. Each piece of the translation
remembers the offset in the file of the token it came from, so that an error the parser
reports inside a translated row is reported back at FILE:LINE:COL of the LaTeX.

Grouping the translation writes is always ``[ ]`` (a group ``{..}``, a ``\frac``), never
``( )``: in the file language ``log (a) / b`` applies log to the bracket, while LaTeX's
``\log \frac{a}{b}`` is log(a/b), which is ``log [[a] / [b]]``. Round brackets are written
only where the author wrote them, after a density, or after a function.

Nothing here evaluates anything: the output is text for the parser, which builds the objects
from its own parse tree.
"""
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ..notation import (CAPITAL_GREEK, CONSTANTS, GREEK_LATEX, GREEK_NAMES, KNOWN_FUNCTIONS,
                        is_density_family)
from .tokens import AMP, CLOSE, CS, DIGIT, LETTER, OPEN, OTHER, SPACE, SUB, SUP, Tok

MAX_DEPTH = 150          # brackets and groups nested in one row
SIMPLE = re.compile(r"[A-Za-z0-9\u0370-\u03ff]+\Z")
NAME = re.compile(r"[A-Za-z\u0370-\u03ff][A-Za-z0-9\u0370-\u03ff]*(?:_[A-Za-z0-9\u0370-\u03ff]+)*\Z")


# commands that change only how a letter looks
FONTS = frozenset(r"\mathbf \boldsymbol \bm \mathrm \mathit \mathsf \mathtt \mathnormal "
                  r"\pmb \symbf \symrm \symit \mathbfit \vec".split())
TEXTS = frozenset(r"\text \textrm \textnormal \mbox \textit \textup \textsf \mathrm".split())
ACCENTS = {r"\hat": "hat", r"\widehat": "hat", r"\tilde": "tilde", r"\widetilde": "tilde",
           r"\bar": "bar", r"\overline": "bar", r"\dot": "dot", r"\ddot": "ddot",
           r"\check": "check", r"\breve": "breve"}
SPACING = frozenset(r"\, \; \: \! \> \  \quad \qquad \enspace \thinspace \medspace "
                    r"\thickspace \negthinspace \negmedspace \negthickspace \displaystyle "
                    r"\textstyle \scriptstyle \limits \nolimits \nonumber \notag \checkmark "
                    r"\allowbreak \nobreak \relax \left. \right.".split()) | {"\\ "}
SKIPPED_WITH_ARG = frozenset(r"\label \tag \tag* \hspace \hspace* \vspace \color \phantom "
                             r"\hphantom \vphantom".split())
# annotations around X: X stays in the row as written (\cancel marks a factor that cancels; the
# row's value keeps it)
KEEP_LAST_ARG = {r"\boxed": 1, r"\textcolor": 2, r"\colorbox": 2, r"\fcolorbox": 3,
                 r"\mathord": 1, r"\mathbin": 1, r"\underbrace": 1,
                 r"\overbrace": 1, r"\smash": 1, r"\mathclap": 1, r"\cancel": 1,
                 r"\bcancel": 1, r"\xcancel": 1}
BIG = re.compile(r"\\[Bb]igg?[lrm]?\Z")
OPENERS = {"(": "(", "[": "[", r"\{": "[", r"\lbrace": "[", r"\lbrack": "[", r"\lparen": "("}
CLOSERS = {")": ")", "]": "]", r"\}": "]", r"\rbrace": "]", r"\rbrack": "]", r"\rparen": ")"}
BARS = {"|": "|", r"\vert": "|", r"\mid": "|", r"\lvert": "|", r"\rvert": "|",
        r"\|": "||", r"\Vert": "||", r"\parallel": "||", r"\lVert": "||", r"\rVert": "||"}
TIMES = frozenset(r"\cdot \times \ast \cdotp".split())
DOTS = frozenset(r"\ldots \dots \cdots \dotsc \dotsb \dotso \mathellipsis".split())
WORDS = ("KL", "log", "Log", "ln", "exp")
BOLD = frozenset(r"\mathbf \boldsymbol \bm \pmb \symbf \mathbfit \vec".split())
# matrix notation: read as matrices in a later version, never as scalars
MATRIX_WORDS = frozenset("tr Tr trace Trace det diag logdet".split())
MATRIX_COMMANDS = frozenset(r"\det \tr \Tr \trace \diag \logdet \odot \otimes \circledast "
                            r"\oslash \top \intercal".split())
TRANSPOSES = frozenset(("T", r"\top", r"\intercal", r"\mathsf{T}", r"\mathrm{T}", r"\rm T",
                        r"\sf T", r"\mathbf{T}", r"\mathit{T}", r"\text{T}", r"\textsf{T}",
                        r"\textrm{T}", r"\mathsf T", r"\mathrm T", "{T}"))

# relations: their .deriv spelling; definitions; those that cannot be checked
RELATION_CS = {r"\le": "<=", r"\leq": "<=", r"\leqslant": "<=", r"\leqq": "<=",
               r"\ge": ">=", r"\geq": ">=", r"\geqslant": ">=", r"\geqq": ">=",
               r"\lt": "<", r"\gt": ">", r"\equiv": "=", r"\coloneqq": ":=",
               r"\coloneq": ":=", r"\triangleq": ":=", r"\eqqcolon": "=:", r"\eqcolon": "=:",
               r"\doteq": ":=", r"\defeq": ":="}
RELATION_CHARS = {"=": "=", "<": "<", ">": ">", "≤": "<=", "≥": ">=", "≡": "="}
UNREAD_RELATIONS = frozenset(r"\approx \propto \neq \ne \simeq \cong \ll \gg \to \rightarrow "
                             r"\leftarrow \mapsto "
                             r"\sim \in \notin \subset \subseteq \perp \not \gtrsim \lesssim "
                             r"\succ \prec \succeq \preceq \asymp".split()) | {"≠", "≈", "∝"}
# what starts a new claim: the rows after it are a statement of their own, never a factor or a
# step of the chain before (the implication itself is not checked)
CLAIM_BREAKS = frozenset(r"\Rightarrow \implies \Longrightarrow \iff \Leftrightarrow "
                         r"\Longleftrightarrow \therefore".split()) | {"⇒", "⟹", "∴"}


class NoReading(Exception):
    """A piece of notation this reader cannot read: the message and the file offset."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message, self.pos = message, pos


class Piece:
    """A unit of translated text and the file offset it came from; ``tag`` says what it is
    where that matters (a name, a density, a separator)."""

    __slots__ = ("text", "pos", "tag")

    def __init__(self, text: str, pos: int, tag: str = "") -> None:
        self.text, self.pos, self.tag = text, pos, tag

    def __repr__(self) -> str:
        return f"Piece({self.text!r}, {self.pos})"


class Bare(Piece):
    """A family written without its variables (``\\mathbb{E}_q``, ``D_{KL}(q \\| p)``, a bare
    ``\\mathbb{E}``): which density it means is decided once the whole display is read."""

    def __init__(self, family: str, pos: int) -> None:
        super().__init__(family, pos, "bare")
        self.family = family


def text_of(pieces: Iterable[Piece]) -> str:
    return " ".join(p.text for p in pieces)


def shown_text(pieces: Iterable[Piece]) -> str:
    """``pieces`` as a convention prints them: ``q_phi(z | x)``, ``N(z; mu, sigma^2)`` (no
    space inside brackets, before a bracket applied, around ``^``)."""
    text = re.sub(r"(?<=[(\[{]) | (?=[)\]},;^])|(?<=\^) ", "", text_of(pieces))
    return re.sub(r"(?<=[A-Za-z0-9_}]) (?=[(\[])", "", text)


# -- bracket normalization ---------------------------------------------------------------------

def normalize(tokens: List[Tok]) -> List[Tok]:
    r"""Spaces dropped; ``\left(``, ``\bigl[``, ``\right)``, ``\middle\|`` made single tokens:
    kind ``bopen``/``bclose`` with the delimiter as text (``\left`` ones marked ``L``), or the
    bar they are. ``\left.`` is an opener that shows nothing."""
    out = []
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        if t.kind == SPACE or (t.kind == OTHER and t.text == "~"):
            i += 1
            continue
        if t.kind == CS and (t.text in (r"\left", r"\right", r"\middle") or BIG.match(t.text)):
            j = i + 1
            while j < n and tokens[j].kind == SPACE:
                j += 1
            if j >= n:
                raise NoReading(f"{t.text} without its delimiter", t.at)
            d = tokens[j].text
            marker = "L" if t.text in (r"\left", r"\right", r"\middle") else ""
            if t.text == r"\left" or (marker == "" and t.text.endswith("l")):
                if d == ".":
                    out.append(Tok("bopen", "L.", t.pos, t.site))
                elif d in ("|", r"\vert", r"\lvert"):
                    out.append(Tok("bopen", marker + "|", t.pos, t.site))     # an absolute value
                elif d in OPENERS:
                    out.append(Tok("bopen", marker + OPENERS[d], t.pos, t.site))
                else:
                    raise NoReading(f"{t.text}{d} has no reading (only brackets open here)", t.at)
            elif t.text == r"\right" or (marker == "" and t.text.endswith("r")):
                if d == ".":
                    out.append(Tok("bclose", "L.", t.pos, t.site))
                elif d in ("|", r"\vert", r"\rvert"):
                    out.append(Tok("bclose", marker + "|", t.pos, t.site))
                elif d in CLOSERS:
                    out.append(Tok("bclose", marker + CLOSERS[d], t.pos, t.site))
                else:
                    raise NoReading(f"{t.text}{d} has no reading (only brackets close here)",
                                    t.at)
            else:  # \middle, \big, \bigm: the delimiter itself
                if d in OPENERS:
                    out.append(Tok("bopen", OPENERS[d], t.pos, t.site))
                elif d in CLOSERS:
                    out.append(Tok("bclose", CLOSERS[d], t.pos, t.site))
                elif d in BARS:
                    out.append(Tok(OTHER, BARS[d], t.pos, t.site))
                else:
                    raise NoReading(f"{t.text}{d} has no reading", t.at)
            i = j + 1
            continue
        if t.kind == OTHER and t.text in "([":
            out.append(Tok("bopen", t.text, t.pos, t.site))
        elif t.kind == OTHER and t.text in ")]":
            out.append(Tok("bclose", t.text, t.pos, t.site))
        elif t.kind == CS and t.text == r"\lvert":
            out.append(Tok("bopen", "|", t.pos, t.site))
        elif t.kind == CS and t.text == r"\rvert":
            out.append(Tok("bclose", "|", t.pos, t.site))
        elif t.kind == CS and t.text in OPENERS:
            out.append(Tok("bopen", OPENERS[t.text], t.pos, t.site))
        elif t.kind == CS and t.text in CLOSERS:
            out.append(Tok("bclose", CLOSERS[t.text], t.pos, t.site))
        else:
            out.append(t)
        i += 1
    return out


def _closes(opener: str, closer: str) -> bool:
    """A ``\\left`` bracket closes with a ``\\right`` one, plain ones with plain ones, and an
    absolute value's bar with a bar."""
    if (opener.lstrip("L") == "|") != (closer.lstrip("L") == "|"):
        return False
    return opener.startswith("L") == closer.startswith("L")


def _bracket_text(opener: str) -> str:
    o = opener.lstrip("L")
    return "[" if o in ("[", ".") else "("


# -- the translator ------------------------------------------------------------------------------

class Context:
    """What one display's rows share: the densities written out in it (for bare families),
    the names that are functions (lets with parameters), and the source text."""

    def __init__(self, source: str, functions: Iterable[str] = frozenset()) -> None:
        self.source = source
        self.functions = set(functions)
        # family -> {normalized text: pieces}
        self.conventions: List[str] = []      # readings that add meaning, to be printed
        self.previous_row: Optional[List[Piece]] = None     # the row read last
        self.densities = Densities(self.conventions)
        # (X, label, position) of each \underbrace{X}_{label}
        self.braces: List[Tuple[List[Tok], List[Tok], int]] = []


class Densities(Dict[str, Dict[str, List[Piece]]]):
    r"""The densities a display writes out, by family. Looking up a bare letter (``q`` of
    ``\mathbb{E}_q``) finds the densities of that letter with or without a subscript (``q(z)``,
    ``q_\phi(z \mid x)``): a bare letter means the one density of that letter the display
    writes in full. Each such resolution is noted in ``conventions``, to be printed."""

    def __init__(self, conventions: List[str]) -> None:
        super().__init__()
        self.conventions = conventions

    # a lookup by letter that always returns a dict (never None): dict.get's overloads differ
    def get(self, family: str, default: Optional[Dict[str, List[Piece]]] = None  # type: ignore[override]  # noqa: E501
            ) -> Dict[str, List[Piece]]:
        found = dict(self[family]) if family in self else {}
        if "_" not in family:      # q: also q_phi(z | x); q(z) and q_phi(z | x) leave two
            found = {k: v for f, ds in self.items() if f.split("_")[0] == family
                     for k, v in ds.items()}
        if len(found) == 1:
            self.conventions.append(f"reading a bare {family} as "
                                    f"{shown_text(next(iter(found.values())))}, the one density "
                                    f"of {family} the display writes in full")
        return found if found else ({} if default is None else default)


class Translator:
    """Reads one expression (a list of normalized tokens) into pieces of ``.deriv`` text."""

    def __init__(self, tokens: List[Tok], ctx: Context, depth: int = 0,
                 index: bool = False) -> None:
        self.toks = tokens
        self.i = 0
        self.ctx = ctx
        self.depth = depth
        self.index = index         # inside a subscript: ':' and '...' are allowed
        self.ints = 0              # integrals open at this level, waiting for their d
        self.pending = 0           # integrals open around this expression (\int{f\,dz})
        if depth > MAX_DEPTH:
            raise NoReading("nested too deep", tokens[0].at if tokens else 0)

    # -- cursor
    def peek(self, k: int = 0) -> Optional[Tok]:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def peek_kind(self) -> Optional[str]:
        """The kind of the token at the cursor; None at the end."""
        t = self.peek()
        return None if t is None else t.kind

    def current(self) -> Tok:
        """The token at the cursor, where the caller knows there is one."""
        return self.toks[self.i]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def end_pos(self) -> int:
        return self.toks[-1].at if self.toks else 0

    def sub(self, tokens: List[Tok], index: bool = False) -> "Translator":
        return Translator(tokens, self.ctx, self.depth + 1, index)

    # -- arguments
    def group(self) -> List[Tok]:
        """The tokens inside the ``{..}`` at the cursor (the braces consumed)."""
        return self.group_rest(self.take())

    def argument(self, what: str) -> List[Tok]:
        """A macro argument: a group, or one token (a font command with its own argument)."""
        t = self.peek()
        if t is None:
            raise NoReading(f"{what} lacks its argument", self.end_pos())
        if t.kind == OPEN:
            return self.group()
        if t.kind == CLOSE or t.kind == "bclose":
            raise NoReading(f"{what} lacks its argument", t.at)
        self.take()
        if t.kind == CS and (t.text in FONTS or t.text in TEXTS or t.text == r"\mathcal"
                             or t.text == r"\mathbb" or t.text == r"\operatorname"):
            if self.peek_kind() == OPEN:
                return [t, Tok(OPEN, "{", t.pos, t.site)] + self.group() + \
                    [Tok(CLOSE, "}", t.pos, t.site)]
        return [t]

    def raw(self, tokens: Sequence[Tok]) -> str:
        """What the author wrote for ``tokens`` (for \\text and \\operatorname)."""
        if not tokens:
            return ""
        last = tokens[-1]
        return self.ctx.source[tokens[0].pos:last.pos + len(last.text)]

    def scripts(self) -> Tuple[Optional[List[Tok]], Optional[List[Tok]]]:
        """The ``_`` and ``^`` after an atom: (sub tokens, sup tokens), None where absent."""
        sub: Optional[List[Tok]] = None
        sup: Optional[List[Tok]] = None
        while self.peek_kind() in (SUB, SUP):
            t = self.take()
            arg = self.argument("a subscript" if t.kind == SUB else "a superscript")
            nxt = self.peek()
            if len(arg) == 1 and arg[0].kind == DIGIT and nxt is not None and \
                    nxt.kind == DIGIT and nxt.pos == arg[0].pos + 1:
                # TeX sets x^10 as x^1 followed by 0: a slip for x^{10}, no single reading
                raise NoReading(f"'{t.text}{arg[0].text}{nxt.text}' is {t.text}{arg[0].text} "
                                f"followed by {nxt.text} in TeX: write {t.text}{{..}}", t.at)
            if t.kind == SUB:
                if sub is not None:
                    raise NoReading("a double subscript", t.at)
                sub = arg
            else:
                if sup is not None:
                    raise NoReading("a double superscript", t.at)
                sup = arg
        return sub, sup

    # -- the expression
    def expression(self) -> List[Piece]:
        out = self.sequence(None)
        if self.i < len(self.toks):
            t = self.toks[self.i]
            raise NoReading(f"'{t.text}' closes no bracket", t.at)
        if self.depth == 0:
            previous, self.ctx.previous_row = self.ctx.previous_row, out
            variable = _one_variable(previous) if previous is not None else None
            if variable is not None and _variable_free_gaussian(out):
                # q(z \mid x) = \mathcal{N}(\mu, \sigma^2): the density on the left gives z
                out = self.with_variable(out, variable)
        return out

    def with_variable(self, gaussian: List[Piece], variable: Piece,
                      where: str = "the density it describes") -> List[Piece]:
        r"""``\mathcal{N}(\mu, \sigma^2)`` over ``variable``: ``N(z; mu, sigma^2)``, the
        convention noted to be printed."""
        shown = shown_text(gaussian)
        out = gaussian[:2] + [Piece(variable.text, gaussian[0].pos, "name"),
                              Piece(";", gaussian[0].pos, "op")] + gaussian[2:]
        self.ctx.conventions.append(f"reading {shown} as {shown_text(out)}: the variable "
                                    f"{variable.text} from {where}")
        return out

    def sequence(self, opener: Optional[str]) -> List[Piece]:
        """Pieces up to the closer of ``opener`` (None: to the end), which is left to the
        caller. Integrals opened at this level wait here for their differentials."""
        out: List[Piece] = []
        self.ints, self.pending = self.pending, 0
        while self.i < len(self.toks):
            t = self.current()
            if t.kind == "bclose" or t.kind == CLOSE:
                if opener is None:
                    raise NoReading(f"'{t.text.lstrip('L')}' closes no bracket", t.at)
                return out
            self.item(out)
        return out

    def item(self, out: List[Piece]) -> None:
        t = self.current()
        k = t.kind
        if k == AMP:
            self.take()
            return
        if k == "bopen":
            out.extend(self.bracket_atom())
            return
        if k == OPEN:
            inner = self.group()
            pieces = self.sub(inner, self.index).expression()
            out.extend(self.power([Piece("[", t.at)] + pieces + [Piece("]", t.at)]))
            return
        if k == DIGIT:
            out.extend(self.number())
            return
        if k == LETTER:
            self.letters(out)
            return
        if k == CS:
            self.command(out)
            return
        if k in (SUB, SUP):
            raise NoReading(f"'{t.text}' with nothing before it", t.at)
        self.take()
        c = t.text
        if c == "/":
            self.divided(t.at, out)
        elif c in "+-*,;":
            out.append(Piece(c, t.at, "op"))
        elif c == "−":
            out.append(Piece("-", t.at, "op"))
        elif c in "·×":
            out.append(Piece("*", t.at, "op"))
        elif c in ("|", "||"):
            nxt = self.peek()
            if c == "|" and nxt is not None and nxt.text == "|":
                self.take()
                c = "||"
            out.append(Piece(c, t.at, "bar"))
        elif c == ":" and self.index:
            out.append(Piece(":", t.at, "op"))
        elif c == "." and self.index:
            out.append(Piece(".", t.at, "op"))
        elif c in RELATION_CHARS or c in ("≠", "≈"):
            raise NoReading(f"'{c}' inside brackets has no reading", t.at)
        elif c == "'":
            raise NoReading("a prime has no reading", t.at)
        elif c.isalpha():    # a Greek letter typed as such: the parser spells it
            out.extend(self.name_atom(c, t.at, greek=True))
        else:
            raise NoReading(f"'{c}' has no reading", t.at)

    def divided(self, pos: int, out: List[Piece]) -> None:
        """``a / b``: the slash and its divisor. A factor written after the divisor with no
        operator (``1/2x``, ``a/bc``, ``x / 2 \\sigma^2``) has no single reading: 1/(2x) or
        (1/2) x?"""
        out.append(Piece("/", pos, "op"))
        if self.index:
            return
        divisor: List[Piece] = []
        while not divisor and self.peek_kind() not in (None, "bclose", CLOSE):
            self.item(divisor)
        out.extend(divisor)
        if not divisor or divisor[-1].tag in ("function", "big", "op"):
            return
        if self.juxtaposed_factor():
            raise NoReading("a factor right after a divisor has no single reading (1/2x: "
                            "1/(2x) or x/2?): write \\frac{..}{..}, or brackets", pos)

    def juxtaposed_factor(self) -> bool:
        """Whether a factor starts at the cursor with no operator before it (spacing skipped),
        other than the differential of an open integral."""
        j = self.i
        while j < len(self.toks) and self.toks[j].kind == CS and self.toks[j].text in SPACING:
            j += 1
        if j >= len(self.toks):
            return False
        t = self.toks[j]
        if self.ints > 0 and (t.text == "d" or t.text in FONTS or t.text in TEXTS):
            return False
        if t.kind in (DIGIT, LETTER, "bopen", OPEN):
            return True
        if t.kind == OTHER:
            return t.text.isalpha()
        return t.kind == CS and (t.text in GREEK_LATEX or t.text in FONTS or t.text in TEXTS or
                                 t.text in ACCENTS or t.text in KEEP_LAST_ARG or t.text in (
                                     r"\frac", r"\dfrac", r"\tfrac", r"\cfrac", r"\sqrt",
                                     r"\log", r"\ln", r"\exp", r"\mathbb", r"\mathcal",
                                     r"\operatorname", r"\sum", r"\prod", r"\int"))

    def bracket_atom(self) -> List[Piece]:
        """``( .. )``, ``\\left[ .. \\right]`` with a power after it."""
        return self.power(self.bracket())

    def bracket(self, text: Optional[str] = None,
                bars: Optional[Dict[str, str]] = None) -> List[Piece]:
        """The bracket at the cursor as pieces, written with ``text`` (``(`` or ``[``) or as the
        author wrote it. ``bars`` maps what a top-level bar becomes (``N(z | ..)``)."""
        t = self.take()
        opener = t.text
        if t.kind == OPEN:     # a group used as a bracket: \exp{..}, \sqrt{..}
            inner = self.sub(self.group_rest(t), self.index)
            pieces = inner.expression()
        else:
            inner_start = self.i
            level = 0
            while self.i < len(self.toks):
                k = self.toks[self.i]
                if k.kind in ("bopen", OPEN):
                    level += 1
                elif k.kind in ("bclose", CLOSE):
                    if level == 0:
                        break
                    level -= 1
                self.i += 1
            if self.i >= len(self.toks):
                raise NoReading(f"'{opener.lstrip('L')}' is never closed", t.at)
            closer = self.take()
            if closer.kind == CLOSE or not _closes(opener, closer.text):
                raise NoReading(f"'{closer.text.lstrip('L')}' does not close the "
                                f"'{opener.lstrip('L')}'", closer.at)
            pieces = self.sub(self.toks[inner_start:self.i - 1], self.index).expression()
        if bars:
            level = 0
            for p in pieces:
                if p.text in ("(", "["):
                    level += 1
                elif p.text in (")", "]"):
                    level -= 1
                elif level == 0 and p.tag == "bar" and p.text in bars:
                    p.text = bars[p.text]
        if opener.lstrip("L") == "|":
            if len(pieces) == 1 and _capital(pieces[0]):
                raise NoReading(_matrix(f"|{pieces[0].text}|"), t.at)
            return [Piece("abs", t.at, "function"), Piece("(", t.at)] + pieces + \
                [Piece(")", t.at)]
        shown = text or _bracket_text(opener)
        close = ")" if shown == "(" else "]"
        return [Piece(shown, t.at)] + pieces + [Piece(close, t.at)]

    def group_rest(self, open_tok: Tok) -> List[Tok]:
        """The tokens of a group whose ``{`` was just taken."""
        level, start = 1, self.i
        while self.i < len(self.toks):
            k = self.toks[self.i].kind
            if k == OPEN:
                level += 1
            elif k == CLOSE:
                level -= 1
                if level == 0:
                    inner = self.toks[start:self.i]
                    self.i += 1
                    return inner
            self.i += 1
        raise NoReading("'{' is never closed", open_tok.at)

    def next_is_bracket(self, plain_only: bool = False) -> bool:
        t = self.peek()
        if t is None:
            return False
        if t.kind == "bopen":
            return not plain_only or t.text.lstrip("L") == "("
        return t.kind == OPEN and not plain_only

    def power(self, base: List[Piece]) -> List[Piece]:
        """``base`` with a superscript after it as a power (a subscript is no reading)."""
        t = self.peek()
        if t is None or t.kind not in (SUB, SUP):
            return base
        sub, sup = self.scripts()
        if sub is not None or sup is None:
            raise NoReading("a subscript on a bracket has no reading", t.at)
        if any(_capital(p) for p in base):
            self.no_inverse(sup, t.at)      # (AB)^{-1}
        return base + self.exponent(sup, t.at)

    def exponent(self, tokens: List[Tok], pos: int) -> List[Piece]:
        written = self.raw(tokens).strip()
        if written in TRANSPOSES or written.replace(" ", "") in TRANSPOSES or any(
                x.kind == CS and x.text in (r"\top", r"\intercal") for x in tokens):
            shown = written if len(tokens) == 1 else "{" + written + "}"
            raise NoReading(_matrix("^" + shown), pos)
        if any(x.kind == CS and x.text in (r"\prime", r"\dagger", r"\ast") for x in tokens) \
                or any(x.text in ("*", "'") for x in tokens):
            raise NoReading("this superscript has no reading", pos)
        pieces = self.sub(tokens).expression()
        if not pieces:
            raise NoReading("an empty superscript", pos)
        if len(pieces) == 1 and pieces[0].text.isdigit():
            return [Piece("^", pos, "op"), pieces[0]]
        return [Piece("^", pos, "op"), Piece("[", pos)] + pieces + [Piece("]", pos)]

    def number(self) -> List[Piece]:
        t = self.take()
        digits = t.text
        while self.peek_kind() == DIGIT:
            digits += self.take().text
        nxt, after = self.peek(), self.peek(1)
        if nxt is not None and nxt.text == "." and after is not None and after.kind == DIGIT:
            self.take()
            digits += "."
            while self.peek_kind() == DIGIT:
                digits += self.take().text
        return self.power([Piece(digits, t.at, "number")])

    # -- letters and names
    def letters(self, out: List[Piece]) -> None:
        """A run of letters: a word of the file language (KL, log, exp), the expectation E,
        a differential under an integral, or single-letter names side by side."""
        start = self.i
        j = start
        while j < len(self.toks) and self.toks[j].kind == LETTER and self.toks[j].text.isascii() \
                and (j == start or self.toks[j].pos == self.toks[j - 1].pos + 1):
            j += 1      # a word is written without spaces: 'e x p(y)' is e times x times p(y)
        word = "".join(t.text for t in self.toks[start:j])
        t = self.current()
        if word in WORDS:
            self.i = j
            self.word(word, t.at, out)
            return
        if word in MATRIX_WORDS:
            raise NoReading(_matrix(word), t.at)
        glued = next((w for w in WORDS if word.startswith(w)), None)
        if glued is not None:
            raise NoReading(f"'{word}' has no single reading ({glued} glued to more letters: "
                            f"write \\{glued} {word[len(glued):]} or {' '.join(word)})", t.at)
        self.take()
        if t.text == "d" and self.ints > 0 and self.differential(t.at, out):
            return
        if t.text == "E" and (self.peek_kind() == SUB or self.next_is_bracket()):
            self.expectation(t.at, out)
            return
        if t.text == "e" and self.peek_kind() == SUP:
            # e^{x} is exp(x), as the printer writes exp
            sup = self.argument_of_script()
            pieces = self.sub(sup).expression()
            if not pieces:
                raise NoReading("an empty superscript", t.at)
            out.extend([Piece("exp", t.at, "function"), Piece("(", t.at)] + pieces +
                       [Piece(")", t.at)])
            return
        if t.text == "D" and self.kl_subscript():
            self.d_kl(t.at, out)
            return
        out.extend(self.name_atom(t.text, t.at, greek=not t.text.isascii()))

    def differential(self, pos: int, out: List[Piece]) -> bool:
        """``dz``, ``\\mathrm{d}\\mathbf{z}``, ``dx_{1:T}`` under an open integral."""
        t = self.peek()
        if t is None:
            return False
        if t.kind == LETTER:
            self.take()
            base, greek = t.text, not t.text.isascii()
        elif t.kind == CS and t.text in GREEK_LATEX:
            self.take()
            base, greek = GREEK_LATEX[t.text], True
        elif t.kind == CS and t.text in FONTS:
            save = self.i
            self.take()
            word = self.word_of(self.argument(t.text))
            if word is None:
                self.i = save
                return False
            base, greek = word, word in GREEK_NAMES
        else:
            return False
        pieces = self.name_atom(base, t.at, greek, allow_power=False)
        self.ints -= 1
        out.append(Piece("d" + pieces[0].text, pos, "differential"))
        out.extend(pieces[1:])
        return True

    def word_of(self, tokens: Sequence[Tok]) -> Optional[str]:
        """The name ``tokens`` spell: letters and digits, or one Greek command."""
        if len(tokens) == 1 and tokens[0].kind == CS and tokens[0].text in GREEK_LATEX:
            return GREEK_LATEX[tokens[0].text]
        if tokens and all(t.kind in (LETTER, DIGIT) and t.text.isascii() for t in tokens) \
                and tokens[0].kind == LETTER:
            return "".join(t.text for t in tokens)
        if len(tokens) == 1 and tokens[0].kind == LETTER:
            return tokens[0].text
        return None

    def word(self, word: str, pos: int, out: List[Piece], operator: bool = False) -> None:
        """A word with a meaning: KL, log, exp, E, H, N, d, or a name."""
        if word == "KL":
            self.kl(pos, out)
        elif word in ("log", "Log", "ln"):
            self.log(pos, out)
        elif word == "exp":
            if not self.next_is_bracket():
                raise NoReading("exp needs brackets: \\exp(..)", pos)
            out.extend(self.power([Piece("exp", pos, "function")] + self.bracket("(")))
        elif word == "E" and (self.peek_kind() == SUB or self.next_is_bracket()):
            self.expectation(pos, out)
        elif word == "H" and self.next_is_bracket():
            out.extend(self.power([Piece("H", pos, "function")] +
                                  self.family_args(self.bracket("("))))
        elif word == "N" and self.next_is_bracket():
            self.gaussian(pos, out)
        elif word == "d" and self.ints > 0 and self.differential(pos, out):
            return
        else:
            out.extend(self.name_atom(word, pos, greek=word in GREEK_NAMES, operator=operator))

    def log(self, pos: int, out: List[Piece]) -> None:
        t = self.peek()
        if t is not None and t.kind == SUP:
            # \log^{2} p(x) is (log p(x))^2, as sympy writes it
            self.take()
            sup = self.argument("a superscript")
            if self.raw(sup).replace(" ", "").strip("{}").startswith("-"):
                # \log^{-1} x: the inverse function (exp) or 1/log x? No single reading
                raise NoReading("\\log^{-1} has no single reading (the inverse function or "
                                "1/\\log?)", t.at)
            power = self.exponent(sup, t.at)
            argument: List[Piece] = []
            if self.peek() is None:
                raise NoReading("\\log^{..} without its argument", t.at)
            self.item(argument)
            out.extend([Piece("[", pos), Piece("log", pos, "function")] + argument +
                       [Piece("]", pos)] + power)
            return
        if t is not None and t.kind == SUB:
            raise NoReading("a logarithm with a base has no reading", t.at)
        if t is not None and t.kind == OPEN:
            # \log{\left(x\right)} y: the braces hold the argument (sympy writes this)
            out.extend(self.power([Piece("log", pos, "function")] + self.bracket("(")))
            return
        out.append(Piece("log", pos, "function"))

    def name_atom(self, base: str, pos: int, greek: bool = False, allow_power: bool = True,
                  operator: bool = False, bold: bool = False) -> List[Piece]:
        """A name with its scripts: ``x_t``, ``x_{t-1}``, ``x_{1:T}``, ``z^{(k)}``,
        ``\\sigma_j^2``; a density when a family meets a bracket; an unknown function when
        another name does (``\\mathrm{ReLU}(x)``, ``g_\\theta(z)``, ``\\sigma(x)``)."""
        if base in MATRIX_WORDS:
            raise NoReading(_matrix(base), pos)
        if bold and base == "I":
            raise NoReading(_matrix("\\mathbf{I}"), pos)
        sub, sup = self.scripts()
        name = base
        if sub is not None:
            name = self.subscripted(base, sub, pos)
        power: List[Piece] = []
        if sup is not None:
            index = self.bracketed_index(sup)
            if index is not None and sub is None:
                name = f"{base}_{index}"
            elif allow_power:
                if bold or base in CAPITAL_GREEK or (len(base) == 1 and base.isupper()):
                    self.no_inverse(sup, pos)
                power = self.exponent(sup, sup[0].at if sup else pos)
            else:
                raise NoReading("a superscript here has no reading", pos)
        if is_density_family(name) and not power and self.next_is_bracket(plain_only=True):
            return self.density(name, pos)
        if name == "N" and self.next_is_bracket():
            out: List[Piece] = []
            self.gaussian(pos, out)
            return out
        pieces = [Piece(name, pos, "name")]
        if not self.applies(base, greek, operator):
            return pieces + power
        if power or name in CONSTANTS:
            # x^2 (1 - x), \pi (a + b): a power or a constant before a bracket multiplies
            return pieces + power + [Piece("*", pos, "op")]
        if name in KNOWN_FUNCTIONS or name in self.ctx.functions or \
                name.split("_")[0] in self.ctx.functions:
            return pieces        # the parser applies it (a let with parameters, H, ...)
        argument = self.bracket("(")
        if any(p.tag == "name" and p.text == name for p in argument):
            # \bar\alpha_t (1 - \bar\alpha_t): a function of itself does not fit; a product
            self.ctx.conventions.append(f"reading {name}(..) as a product: {name} is a "
                                        "variable inside the bracket")
            return pieces + [Piece("*", pos, "op")] + self.power(argument)
        return self.power([Piece(name, pos, "apply")] + argument)

    def applies(self, base: str, greek: bool, operator: bool) -> bool:
        """Whether the bracket at the cursor is applied to the name before it: a round bracket
        always; a square one after a word (``\\mathrm{Var}[x]``); after a single letter a
        square bracket groups a factor (``\\beta [a - b]``)."""
        if self.next_is_bracket(plain_only=True):
            return True
        t = self.peek()
        return t is not None and t.kind == "bopen" and t.text.lstrip("L") == "[" and (
            operator or (len(base) > 1 and not greek and base not in GREEK_NAMES))

    def no_inverse(self, sup: List[Tok], pos: int) -> None:
        """``\\Sigma^{-1}``, ``A^{-1}``, ``\\mathbf{x}^{-1}``: the inverse of a matrix."""
        text = self.raw(sup).replace(" ", "").strip("{}")
        if text.startswith("-"):
            raise NoReading(_matrix("^{" + text + "}"), pos)

    def bracketed_index(self, tokens: List[Tok]) -> Optional[str]:
        """``(k)`` in ``z^{(k)}`` or ``z_{(k)}``: the index k, else None."""
        if len(tokens) >= 3 and tokens[0].kind == "bopen" and tokens[-1].kind == "bclose":
            inner = self.sub(tokens[1:-1], index=True).expression()
            text = "".join(p.text for p in inner)
            if SIMPLE.match(text):
                return text
        return None

    def subscripted(self, base: str, sub: List[Tok], pos: int) -> str:
        index = self.bracketed_index(sub)
        if index is not None:
            return f"{base}_{index}"
        pieces = self.sub(sub, index=True).expression()
        if not pieces:
            raise NoReading("an empty subscript", pos)
        if any(p.tag == "bare" for p in pieces):
            raise NoReading("a subscript that is a density has no reading here", pos)
        compact = "".join(p.text for p in pieces)
        if SIMPLE.match(compact):
            return f"{base}_{compact}"
        if len(pieces) == 1 and NAME.match(compact):       # p_{\mathrm{data}_1}: rare
            return f"{base}_{compact}"
        if re.fullmatch(r"[A-Za-z0-9+\-:\[\]]+", compact.replace("[", "(").replace("]", ")")
                        .replace("(", "").replace(")", "")):
            return f"{base}_{{{compact}}}"
        raise NoReading(f"the subscript '{self.raw(sub)}' has no reading", sub[0].at)

    def density(self, family: str, pos: int) -> List[Piece]:
        """``p_\\theta(x \\mid z)``: the bracket's bars stay bars."""
        inner = self.bracket("(")
        if any(p.text == "||" for p in inner):
            raise NoReading("'||' inside a density", pos)
        inner, family = self.parameters(inner, family, pos)
        pieces = [Piece(family, pos, "family")] + inner
        key = "".join(p.text for p in pieces)
        self.ctx.densities.setdefault(family, {}).setdefault(key, pieces)
        return self.power(pieces)

    def parameters(self, inner: List[Piece], family: str,
                   pos: int) -> Tuple[List[Piece], str]:
        r"""``p(x, z; \theta)``: the names after a semicolon are the density's parameters, as the
        subscript of ``p_\theta(x, z)`` is: (the bracket without them, the family with them)."""
        semis = [i for i, p in enumerate(inner) if p.text == ";" and _level(inner, i) == 1]
        if not semis:
            return inner, family
        if len(semis) > 1:
            raise NoReading("a density with two ';' has no reading", pos)
        if family != family.split("_")[0]:
            raise NoReading(f"a density with a subscript and parameters after ';' has no "
                            f"single reading (write {family.split('_')[0]}(..; ..))", pos)
        cut = semis[0]
        params = inner[cut + 1:-1]
        names = [p.text for p in params[0::2]]
        if not names or any(p.tag != "name" or not SIMPLE.match(p.text.replace("_", ""))
                            for p in params[0::2]) or \
                any(p.text != "," for p in params[1::2]) or len(params) % 2 == 0:
            raise NoReading("the parameters after ';' in a density are names "
                            "(p(x, z; \\theta))", pos)
        named = family + "".join("_" + n for n in names)
        self.ctx.conventions.append(f"reading {family}(..; {', '.join(names)}) as the "
                                    f"density {named}(..)")
        return inner[:cut] + inner[-1:], named

    def gaussian(self, pos: int, out: List[Piece]) -> None:
        """``\\mathcal{N}(z; \\mu, \\sigma^2)`` or ``\\mathcal{N}(z \\mid \\mu, \\sigma^2)``."""
        inner = self.bracket("(", bars={"|": ";"})
        out.extend(self.power([Piece("N", pos, "function")] + inner))

    def family_args(self, inner: List[Piece]) -> List[Piece]:
        """A bracket's content where a lone family name means a density (KL and H)."""
        body = inner[1:-1]
        if len(body) == 1 and body[0].tag == "name" and is_density_family(body[0].text):
            return [inner[0], Bare(body[0].text, body[0].pos), inner[-1]]
        return inner

    def kl(self, pos: int, out: List[Piece]) -> None:
        """``KL(q \\| p)``, ``D_{\\mathrm{KL}}[q \\Vert p]``: two densities, '||' between."""
        if not self.next_is_bracket():
            raise NoReading("KL needs its bracket: KL(q \\| p)", pos)
        inner = self.bracket("(")
        body = inner[1:-1]
        level = 0
        cut: List[int] = []
        for i, p in enumerate(body):
            if p.text in ("(", "["):
                level += 1
            elif p.text in (")", "]"):
                level -= 1
            elif level == 0 and p.tag == "bar":
                if p.text == "|" and i + 1 < len(body) and body[i + 1].text == "|":
                    raise NoReading("write \\| between the arguments of KL", p.pos)
                cut.append(i)
        if not cut:       # KL(q, p): the comma separates them, in the same order
            cut = [i for i, p in enumerate(body) if p.text == "," and _level(body, i) == 0]
        if len(cut) != 1 or body[cut[0]].text not in ("||", ","):
            raise NoReading("KL takes two densities with \\| between them", pos)
        c = cut[0]
        first = self.family_args([inner[0]] + body[:c] + [inner[0]])[1:-1]
        second = self.family_args([inner[0]] + body[c + 1:] + [inner[0]])[1:-1]
        out.append(Piece("KL", pos, "function"))
        out.append(Piece("(", pos))
        out.extend(first)
        out.append(Piece("||", body[c].pos, "bar"))
        out.extend(second)
        out.append(Piece(")", inner[-1].pos))
        out[-1:] = self.power(out[-1:])

    def expectation(self, pos: int, out: List[Piece],
                    sub: Optional[List[Tok]] = None) -> None:
        """``\\mathbb{E}_{q_\\phi(z|x)}[..]``, ``E_{z \\sim q}[..]``, ``\\mathbb{E}[..]``,
        ``\\mathbb{E}_{z^{(1)}, \\ldots, z^{(K)} \\sim q(z \\mid x)}[..]``."""
        if sub is None:
            s, sup = self.scripts()
            if sup is not None:
                raise NoReading("a superscript on E has no reading", pos)
            sub = s
        self.skip_spacing()
        measure = self.measure(sub, pos)
        if self.next_is_bracket():
            body = self.power(self.bracket("["))
        else:
            body = [Piece("[", pos)] + self.unbracketed(pos) + [Piece("]", pos)]
        out.append(Piece("E_{", pos, "function"))
        out.extend(measure)
        out.append(Piece("}", pos))
        out.extend(body)

    def unbracketed(self, pos: int) -> List[Piece]:
        r"""The argument of an expectation written without brackets
        (``\mathbb{E}_{z \sim q} \log p(x \mid z)``): the rest of the term, as ``\log``
        takes it."""
        open_integrals = self.ints
        body = self.term()
        if self.ints != open_integrals:
            raise NoReading("an expectation without brackets inside an integral has no single "
                            "reading: bracket its argument", pos)
        if not body:
            raise NoReading("an expectation without its argument", pos)
        return body

    def skip_spacing(self) -> None:
        """Past the spacing commands at the cursor (``\\mathbb{E}_q\\!\\left[``)."""
        while self.peek_kind() == CS and self.current().text in SPACING:
            self.take()

    def measure(self, sub: Optional[List[Tok]], pos: int) -> List[Piece]:
        if sub is None:
            return [Bare("q", pos)]
        pieces = self.sub(sub, index=True).expression()
        tilde = [i for i, p in enumerate(pieces) if p.text == "~"]
        if len(tilde) > 1:
            raise NoReading("two '\\sim' under one expectation", pos)
        if tilde:
            left, right = pieces[:tilde[0]], pieces[tilde[0] + 1:]
            if len(right) == 1 and right[0].tag == "name" and is_density_family(right[0].text):
                right = [Bare(right[0].text, right[0].pos)]
            if len(left) == 1 and left[0].tag == "name" and _variable_free_gaussian(right):
                right = self.with_variable(right, left[0],     # z \sim \mathcal{N}(0, 1)
                                           f"{left[0].text} ~")
            return self.draws(left, pos) + [pieces[tilde[0]]] + right
        if len(pieces) == 1 and pieces[0].tag == "name" and is_density_family(pieces[0].text):
            return [Bare(pieces[0].text, pieces[0].pos)]
        if any(p.text in ("...", ":") for p in pieces if p.tag == "op"):
            raise NoReading("this subscript of E has no reading", pos)
        return pieces

    def draws(self, left: List[Piece], pos: int) -> List[Piece]:
        """``z^{(1)}, \\ldots, z^{(K)}`` is the range z_{1:K}; anything else stays."""
        if not any(p.text == "..." for p in left):
            return left
        names = [p for p in left if p.tag == "name"]
        draw = r"(.+)_([A-Za-z0-9]+)"
        m1 = re.fullmatch(draw, names[0].text) if names else None
        m2 = re.fullmatch(draw, names[-1].text) if names else None
        if m1 is None or m2 is None or m1.group(1) != m2.group(1):
            raise NoReading("'\\ldots' under an expectation is read only as draws "
                            "z^{(1)}, \\ldots, z^{(K)}", pos)
        return [Piece(f"{m1.group(1)}_{{{m1.group(2)}:{m2.group(2)}}}", names[0].pos, "name")]

    # -- commands
    def command(self, out: List[Piece]) -> None:
        t = self.take()
        c = t.text
        if c in SPACING:
            return
        if c in GREEK_LATEX:
            out.extend(self.name_atom(GREEK_LATEX[c], t.at, greek=True))
            return
        if c in (r"\log", r"\ln"):
            self.log(t.at, out)
            return
        if c == r"\exp":
            self.word("exp", t.at, out)
            return
        if c in TIMES:
            out.append(Piece("*", t.at, "op"))
            return
        if c in MATRIX_COMMANDS:
            raise NoReading(_matrix(c), t.at)
        if c == r"\div":
            self.divided(t.at, out)
            return
        if c in BARS:
            text = BARS[c]
            nxt = self.peek()
            if text == "|" and nxt is not None and nxt.kind == CS and BARS.get(nxt.text) == "|":
                self.take()
                text = "||"       # \mid\mid
            out.append(Piece(text, t.at, "bar"))
            return
        if c == r"\sim":
            out.append(Piece("~", t.at, "op"))
            return
        if c in DOTS:
            if not self.index:
                raise NoReading(f"{c} has no reading", t.at)
            out.append(Piece("...", t.at, "op"))
            return
        if c in (r"\frac", r"\dfrac", r"\tfrac", r"\cfrac"):
            a = self.sub(self.argument(c)).expression()
            b = self.sub(self.argument(c)).expression()
            if not a or not b:
                raise NoReading(f"{c} with an empty part", t.at)
            out.extend(self.power([Piece("[", t.at), Piece("[", t.at)] + a +
                                  [Piece("]", t.at), Piece("/", t.at, "op"), Piece("[", t.at)]
                                  + b + [Piece("]", t.at), Piece("]", t.at)]))
            return
        if c == r"\sqrt":
            self.sqrt(t, out)
            return
        if c in (r"\sum", r"\prod"):
            self.big_operator(t, out)
            return
        if c in (r"\int", r"\intop"):
            self.integral(t, out)
            return
        if c in SKIPPED_WITH_ARG:
            self.argument(c)
            return
        if c in KEEP_LAST_ARG:
            self.annotated(t, out)
            return
        if c in (r"\operatorname", r"\operatorname*", r"\mathop") or c in TEXTS or c in FONTS:
            self.styled_word(t, out)
            return
        if c in (r"\mathbb", r"\mathcal", r"\mathscr", r"\mathfrak", r"\mathds"):
            self.alphabet(t, out)
            return
        if c == r"\underset":
            below = self.argument(c)
            above = self.argument(c)
            if self.word_of(above) == "E" or self.raw(above).replace(" ", "") in (
                    r"\mathbb{E}", r"\mathbbE", r"\operatorname{E}", r"\mathrm{E}"):
                self.expectation(t.at, out, sub=below)
                return
            raise NoReading(r"\underset has no reading here", t.at)
        if c in ACCENTS:
            self.accent(t, out)
            return
        if c == r"\begin":
            name = self.raw(self.argument(c)).strip()
            raise NoReading(f"the {name} environment has no reading", t.at)
        if c in RELATION_CS or c in UNREAD_RELATIONS or c in CLAIM_BREAKS:
            raise NoReading(f"{c} inside brackets has no reading", t.at)
        raise NoReading(f"{c} has no reading", t.at)

    def accent(self, t: Tok, out: List[Piece]) -> None:
        r"""``\bar\alpha_t``, ``\hat{x}``; ``\bar{\alpha_t}`` is ``\bar{\alpha}_t`` (the
        subscript written under the accent is the subscript of the accented name)."""
        c = t.text
        arg = self.argument(c)
        cut = next((i for i, x in enumerate(arg) if x.kind == SUB), len(arg))
        word = self.word_of(arg[:cut])
        if word is None or any(x.kind == SUP for x in arg):
            raise NoReading(f"{c} over more than a letter has no reading", t.at)
        if cut < len(arg):
            if self.peek_kind() in (SUB, SUP) and self.current().kind == SUB:
                raise NoReading("a double subscript", t.at)
            self.toks = self.toks[:self.i] + list(arg[cut:]) + self.toks[self.i:]
        out.extend(self.name_atom(word + ACCENTS[c], t.at))

    def sqrt(self, t: Tok, out: List[Piece]) -> None:
        """``\\sqrt{x}`` (an n-th root has no reading)."""
        c = t.text
        nxt = self.peek()
        if nxt is not None and nxt.kind == "bopen" and nxt.text == "[":
            raise NoReading("an n-th root has no reading", t.at)
        inner = self.sub(self.argument(c)).expression()
        out.extend(self.power([Piece("sqrt", t.at, "function"), Piece("(", t.at)] + inner
                              + [Piece(")", t.at)]))

    def annotated(self, t: Tok, out: List[Piece]) -> None:
        """``\\boxed{X}``, ``\\underbrace{X}_{label}``: X stays in the row as written."""
        c = t.text
        for _ in range(KEEP_LAST_ARG[c] - 1):
            self.argument(c)
        inner = self.argument(c)
        if c in (r"\underbrace", r"\overbrace"):
            nxt = self.peek()
            if nxt is not None and nxt.kind in (SUB, SUP):
                self.take()
                label = self.argument("a brace's label")
                self.ctx.braces.append((inner, label, t.at))
        nxt = self.peek()
        if nxt is not None and nxt.kind in (SUB, SUP):
            # \boxed{a + b}^2: the script is on the whole of X
            pieces = self.sub(inner, self.index).expression()
            out.extend(self.power([Piece("[", t.at)] + pieces + [Piece("]", t.at)]))
            return
        # X as if written without the annotation: \log p \underbrace{- a + a}_{=0} is a sum
        self.toks = self.toks[:self.i] + list(inner) + self.toks[self.i:]

    def styled_word(self, t: Tok, out: List[Piece]) -> None:
        """``\\operatorname{Var}``, ``\\text{ELBO}``, ``\\mathbf{x}``: a word or a name in a
        font."""
        c = t.text
        inner = self.argument(c)
        word = self.word_of(inner)
        if c in (r"\mathop", r"\operatorname", r"\operatorname*") and \
                "".join(x.text for x in inner) in (r"\mathbb{E}", "E", r"\mathrm{E}"):
            word = "E"
        if word is None and c in TEXTS and c != r"\mathrm":
            text = self.raw(inner).strip()
            if NAME.match(text):
                word = text
            else:
                raise NoReading(f"the text '{text}' inside a formula has no reading", t.at)
        if word is None:
            self.inline(inner, t.at, out)
            return
        if c in FONTS and c not in TEXTS and (len(word) == 1 or word in GREEK_NAMES):
            out.extend(self.name_atom(word, t.at, greek=word in GREEK_NAMES,
                                      bold=c in BOLD))
            return
        if word == "d" and self.ints > 0 and self.differential(t.at, out):
            return
        self.word(word, t.at, out,
                  operator=c in (r"\operatorname", r"\operatorname*", r"\mathop"))

    def alphabet(self, t: Tok, out: List[Piece]) -> None:
        """``\\mathbb{E}``, ``\\mathcal{N}``, ``\\mathcal{L}``: a letter of a math alphabet."""
        c = t.text
        inner = self.argument(c)
        word = self.word_of(inner)
        if c == r"\mathbb" and word == "E":      # never a variable: an expectation
            self.expectation(t.at, out)
            return
        if c == r"\mathbb" and word in ("H", "KL"):
            self.word(word, t.at, out)
            return
        if c == r"\mathcal" and word in ("N", "H", "L", "F", "J", "D") or (
                c == r"\mathcal" and word is not None and len(word) == 1):
            if word == "D" and self.kl_subscript():
                self.d_kl(t.at, out)
                return
            self.word(word, t.at, out)
            return
        raise NoReading(f"{c}{{{self.raw(inner)}}} has no reading", t.at)

    def argument_of_script(self) -> List[Tok]:
        self.take()
        return self.argument("a superscript")

    def kl_subscript(self) -> bool:
        """Whether a subscript KL follows (``D_{\\mathrm{KL}}``), the cursor left in place."""
        if self.peek_kind() != SUB:
            return False
        save = self.i
        try:
            self.take()
            return self.word_of(_unwrap(self.argument("a subscript"))) == "KL"
        except NoReading:
            return False
        finally:
            self.i = save

    def d_kl(self, pos: int, out: List[Piece]) -> None:
        sub, sup = self.scripts()
        if sup is not None or self.word_of(_unwrap(sub)) != "KL":
            raise NoReading("D with this subscript has no reading (D_{KL} is KL)", pos)
        self.kl(pos, out)

    def inline(self, tokens: List[Tok], pos: int, out: List[Piece]) -> None:
        """Tokens kept in place (the X of \\boxed{X}), read as a group."""
        pieces = self.sub(tokens, self.index).expression()
        if len(pieces) == 1:
            out.extend(pieces)
        elif pieces:
            out.extend([Piece("[", pos)] + pieces + [Piece("]", pos)])

    def big_operator(self, t: Tok, out: List[Piece]) -> None:
        name = "sum" if t.text == r"\sum" else "prod"
        sub, sup = self.scripts()
        if sub is None or sup is None:
            raise NoReading(f"{t.text} needs its bounds: {t.text}_{{j=1}}^{{J}}", t.at)
        eq = [i for i, x in enumerate(sub) if x.text == "="]
        if len(eq) != 1:
            raise NoReading(f"{t.text} needs its bounds: {t.text}_{{j=1}}^{{J}}", t.at)
        index = self.word_of(sub[:eq[0]])
        if index is None or not NAME.match(index):
            raise NoReading(f"the index of {t.text} is a name", t.at)
        lower = self.sub(sub[eq[0] + 1:]).expression()
        upper = self.sub(sup).expression()
        if not lower or not upper:
            raise NoReading(f"{t.text} needs its bounds: {t.text}_{{j=1}}^{{J}}", t.at)
        head = f"{name}_{{{index} = {text_of(lower)}}}^{{{text_of(upper)}}}"
        out.append(Piece(head, t.at, "big"))

    def integral(self, t: Tok, out: List[Piece]) -> None:
        r"""An integral over the whole space of its variable, in every spelling: ``\int f\,dz``,
        ``\int dz\, f`` (the integrand then runs to the end of the term, as ``\log``'s
        argument does), ``\int{f\,dz}``, ``\int_z f`` and ``\int_{\mathbf{z}} f`` (the
        subscript is the variable), ``\int_{\mathcal{Z}} f\,dz`` (the subscript is the space).
        Written ``int [ f ] dz`` for the parser."""
        sub, sup = self.scripts()
        variable = self.integration_variable(sub, sup, t.at)
        saved = self.ints
        try:
            if self.peek_kind() == OPEN:
                body, differential = self.integrand_group(variable, t.at)
            else:
                differential = self.leading_differential()
                if differential:
                    self.ints = 1
                    body = self.term()
                    if self.ints != 1:
                        raise NoReading("an integral with two differentials has no reading",
                                        t.at)
                else:
                    body, differential = self.integrand(variable, t.at)
        finally:
            self.ints = saved
        if not body:
            raise NoReading("an integral without its integrand", t.at)
        written = differential[0].text[1:]
        if variable is not None and written != variable:
            raise NoReading(f"the integral's subscript {variable} is not its variable "
                            f"{written}: an integral over a set has no reading", t.at)
        if any(p.tag == "op" and p.text in ("+", "-") and _level(body, i) == 0
               for i, p in enumerate(body)):
            body = [Piece("[", t.at)] + body + [Piece("]", t.at)]
        out.extend([Piece("int", t.at, "function")] + body + differential)

    def integration_variable(self, sub: Optional[List[Tok]], sup: Optional[List[Tok]],
                             pos: int) -> Optional[str]:
        r"""The variable an integral's subscript names (``\int_z``, ``\int_{z \in
        \mathcal{Z}}``), or None for the whole space (no scripts, ``\int_{\mathcal{Z}}``,
        ``\int_{\mathbb{R}^d}``, ``\int_{-\infty}^{\infty}``). Bounds have no reading."""
        bounds = NoReading("an integral with bounds has no reading (int is over the whole "
                           "space of its variable)", pos)
        if sup is not None:
            low = self.raw(sub or []).replace(" ", "").strip("{}")
            high = self.raw(sup).replace(" ", "").strip("{}")
            if low == r"-\infty" and high in (r"\infty", r"+\infty"):
                return None
            raise bounds
        if sub is None:
            return None
        cut = next((i for i, x in enumerate(sub) if x.kind == CS and x.text == r"\in"), None)
        space = sub if cut is None else sub[cut + 1:]
        if cut is not None or _is_space(self.raw(space)):
            if not _is_space(self.raw(space)):
                raise bounds
            if cut is None:
                return None
            sub = sub[:cut]
        pieces = self.sub(sub, index=True).expression()
        if len(pieces) != 1 or pieces[0].tag != "name":
            raise bounds
        return pieces[0].text

    def leading_differential(self) -> List[Piece]:
        r"""``dz`` written right after ``\int`` (``\int dz\, f(z)``): its pieces, or none
        (the cursor left in place)."""
        save, toks, braces = self.i, self.toks, len(self.ctx.braces)
        self.ints = 1
        found: List[Piece] = []
        try:
            while not found and self.peek_kind() not in (None, "bclose", CLOSE):
                self.item(found)
        except NoReading:
            found = []
        if self.ints == 0 and found:
            return found
        self.i, self.toks, self.ints = save, toks, 0
        del self.ctx.braces[braces:]
        return []

    def term(self) -> List[Piece]:
        """The items from the cursor to the end of the term: the next ``+`` or ``-`` at this
        level (a sign at its start belongs to it), a closing bracket, or the end."""
        body: List[Piece] = []
        while self.peek_kind() not in (None, "bclose", CLOSE):
            t = self.current()
            if body and t.kind == OTHER and t.text in ("+", "-", "−"):
                break
            self.item(body)
        return body

    def integrand(self, variable: Optional[str], pos: int) -> Tuple[List[Piece], List[Piece]]:
        r"""The integrand up to its differential (``\int f(z) + g(z)\, dz``: all of it), and
        the differential; without one, ``\int_z f`` takes the rest of the term."""
        save, toks, braces = self.i, self.toks, len(self.ctx.braces)
        body: List[Piece] = []
        self.ints = 1
        while self.ints > 0 and self.peek_kind() not in (None, "bclose", CLOSE):
            mark = len(body)
            self.item(body)
            if self.ints == 0:
                return body[:mark], body[mark:]
        if variable is None:
            raise NoReading(r"an integral is written \int f(z)\, dz: this one has no "
                            "differential", pos)
        self.i, self.toks, self.ints = save, toks, 0
        del self.ctx.braces[braces:]
        return self.term(), [Piece("d" + variable, pos, "differential")]

    def integrand_group(self, variable: Optional[str],
                        pos: int) -> Tuple[List[Piece], List[Piece]]:
        r"""``\int{f\,dz}``: the group holds the integrand and ends with its differential;
        ``\int_z{f}`` holds only the integrand."""
        inner = self.sub(self.group())
        inner.pending = 1
        pieces = inner.expression()
        if inner.ints == 0:
            ends = [i for i, p in enumerate(pieces) if p.tag == "differential"]
            if ends:
                return pieces[:ends[-1]], pieces[ends[-1]:]
        if variable is None:
            raise NoReading(r"an integral is written \int f(z)\, dz: this one has no "
                            "differential", pos)
        return pieces, [Piece("d" + variable, pos, "differential")]


def _level(pieces: List[Piece], i: int) -> int:
    """How many brackets of ``pieces`` are open at piece ``i``."""
    level = 0
    for p in pieces[:i]:
        if p.text in ("(", "[", "E_{"):
            level += 1
        elif p.text in (")", "]", "}"):
            level -= 1
    return level


def _top_level(pieces: List[Piece], texts: Sequence[str]) -> List[int]:
    """The places in a bracket's content (``pieces``) where one of ``texts`` stands outside
    every inner bracket."""
    return [i for i, p in enumerate(pieces) if p.text in texts and _level(pieces, i) == 0]


def _variable_free_gaussian(pieces: List[Piece]) -> bool:
    r"""Whether ``pieces`` are exactly ``\mathcal{N}(a, b)``: a Gaussian without its variable."""
    if len(pieces) < 5 or pieces[0].text != "N" or pieces[0].tag != "function" or \
            pieces[1].text != "(" or pieces[-1].text != ")" or _level(pieces, len(pieces) - 1) != 1:
        return False
    body = pieces[2:-1]
    return len(_top_level(body, (",",))) == 1 and not _top_level(body, (";", "|", "||"))


def _one_variable(pieces: List[Piece]) -> Optional[Piece]:
    """The variable of a row that is exactly one density over one variable (``q(z | x)``)."""
    if len(pieces) < 4 or pieces[0].tag != "family" or pieces[1].text != "(" or \
            pieces[-1].text != ")" or _level(pieces, len(pieces) - 1) != 1:
        return None
    body = pieces[2:-1]
    bars = _top_level(body, ("|",))
    over = body[:bars[0]] if bars else body
    if len(over) == 1 and over[0].tag == "name":
        return over[0]
    return None


def _is_space(raw: str) -> bool:
    r"""Whether an integral's subscript names a whole space: ``\mathcal{Z}``, ``\mathbb{R}^d``."""
    return r"\mathbb" in raw or r"\mathcal" in raw


def _capital(piece: Piece) -> bool:
    """A name that matrix notation uses for a matrix: a capital letter or capital Greek."""
    stem = piece.text.split("_")[0]
    return piece.tag == "name" and ((len(stem) == 1 and stem.isupper()) or stem in CAPITAL_GREEK)


def _matrix(what: str) -> str:
    return f"matrix notation ({what}) is not read yet"


def _unwrap(tokens: Optional[List[Tok]]) -> List[Tok]:
    """A font command's argument: ``\\mathrm{KL}`` gives the letters K, L."""
    if tokens and tokens[0].kind == CS and len(tokens) > 2 and tokens[1].kind == OPEN:
        return tokens[2:-1]
    return tokens or []
