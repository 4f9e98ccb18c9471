"""Read ``.deriv`` files into ``Derivation`` objects.

Two passes. A line-oriented pre-pass strips comments, sorts lines by their first word
(``derivation``, ``let``, ``assume``, a relation, or anything else) and joins continuation lines
to the line above. A logical line is kept as its original lines joined by their newlines, so the
positions lark reports inside it are the file's own lines and columns (offset by the logical
line's first line): no offset map is needed. The pre-pass also checks brackets, so an unclosed
bracket is reported where it opens and absurd nesting is refused before lark sees it.

Then each logical line goes through the LALR grammar (``derivation.lark``) and the
non-recursive transformer, and the lines are assembled into derivations.

Scoping of ``let``, ``assume`` and ``model``: inside a derivation they belong to that derivation.
Written before the first ``derivation`` header of a file that has headers, they hold file-wide,
for every derivation of the file. A file without headers holds one derivation named after the
file. A family has at most one model in a derivation's scope.

Counts (the names of the upper bounds of sums, products and ranges: T in x_{1:T}) are found by a
scan of the whole file first (``scan_counts``): ``x_T`` is then the element T of x on every line.

Every problem with the input is raised as ``InputError`` with a 1-based line and column.
Bounds, each a clear error rather than a hang: numbers of 1000 digits, 200 nested brackets,
1000 parse-tree levels, 50,000 characters a logical line, 100,000 a file; and numbers that
would grow past about 4000 digits once evaluated (``10^(10^10)``, see ``transformer._Numbers``).
"""
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import (AbstractSet, Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set,
                    Tuple, Union)

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from sympy import Expr
from sympy.core.parameters import evaluate

from ..derivation import (Assumption, Definition, Derivation, ModelDeclaration, Step,
                          mixes_directions)
from ..errors import InputError
from ..rules.catalogue import RULE_NAMES
from ..notation import is_density_family, spell_greek
from .transformer import RESERVED, ExprBuilder, LocatedError, misread_binder, relation_of

MAX_NESTING = 200          # brackets
MAX_TREE_DEPTH = 1000      # parse-tree levels (unary chains such as - - - x, x^x^x...)
MAX_LINE_CHARS = 50_000    # one logical line
MAX_FILE_CHARS = 2_000_000  # a whole file: 10,000-line batches fit; real ones are a few kB
MAX_SHOWN_LINE = 500       # longer lines are not echoed in error messages

_KEYWORD_LINE = re.compile(r"(derivation|let|assume|model|function)(?![A-Za-z0-9_])")
_RELATION_START = ("<=", ">=", "=", "<", ">", "≤", "≥")
_CONTINUES = ("+", "*", "/", "^", ")", "]", "}", ",", "|", ";", "~")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")": "(", "]": "[", "}": "{"}

_BY = re.compile(r"(?<![A-Za-z0-9_])by(?![A-Za-z0-9_])")
_RULE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")

_START_OF_KIND = {"header": "start_header", "let": "start_let", "assume": "start_assume",
                  "model": "start_model", "function": "start_function", "step": "start_step",
                  "expr": "start_expr"}
_DECLARATIONS = ("let", "assume", "model", "function")
# a declaration whose text ends in one of these goes on to the next line
_ENDS_OPEN = ("+", "-", "−", "*", "/", "^", "(", "[", "{", ",", "|", ";", "~", "=", "<", ">",
              "≤", "≥")

# Counts: names that stand as the upper bound of a sum or a product (sum_{t=1}^{T},
# prod_{t=1}^T) or of a range (x_{1:T}). The checker reads every name of those bounds as a
# count (checker/context.py); here they make x_T the element T of x wherever it is written.
_NAME_TEXT = r"[A-Za-zα-ωΑ-Ω][A-Za-z0-9α-ωΑ-Ω]*(?:_[A-Za-z0-9α-ωΑ-Ω]+)*"
_BIG_UPPER = re.compile(r"(?:sum|prod|∑|∏)\s*_\{[^{}]*\}\s*(?:\^|\*\*)\s*(?:\{([^{}]*)\}|("
                        + _NAME_TEXT + r"))")
_RANGE_UPPER = re.compile(r"_\{[^{}:]*:([^{}]*)\}")
# written indices: x_{t-1}, x_{2:t-1} (not E_{..}, not the head of a sum or product)
_INDEX = re.compile(r"(?<![A-Za-z0-9_α-ωΑ-Ω])(" + _NAME_TEXT + r")_\{([^{}()~=|;,]*)\}")
_NAME_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_α-ωΑ-Ω])" + _NAME_TEXT)

_parser: Optional[Lark] = None
_parser_lock = threading.Lock()


def spell_greek_tokens(tree: Tree) -> Tree:
    """σ_j is read as sigma_j: names are respelt in place, their tokens keep their positions,
    so errors point at what was typed."""
    for subtree in tree.iter_subtrees():
        for i, child in enumerate(subtree.children):
            if isinstance(child, Token) and child.type in ("NAME", "FUNC_NAME") and not child.isascii():
                subtree.children[i] = child.update(value=spell_greek(child))
    return tree


def scan_counts(text: str) -> FrozenSet[str]:
    """The counts of a file: the names of the upper bounds of its sums, products and ranges
    (a cheap scan of the text, before any line is parsed, so that ``x_T`` on the first line
    knows that T is a count written on the last)."""
    found = set()
    for m in _BIG_UPPER.finditer(text):
        found.update(_NAME_IN_TEXT.findall(m.group(1) if m.group(1) is not None else m.group(2)))
    for m in _RANGE_UPPER.finditer(text):
        found.update(_NAME_IN_TEXT.findall(m.group(1)))
    return _plain_names(found)


def scan_index_names(text: str) -> FrozenSet[str]:
    """The names written in the file's indices (t in x_{t-1}, in x_{2:t-1}): with them, the
    text printer's x_t (element t of x) reads back wherever it stands."""
    found = set()
    for m in _INDEX.finditer(text):
        if m.group(1) not in ("E", "sum", "prod"):
            found.update(_NAME_IN_TEXT.findall(m.group(2)))
    return _plain_names(found)


def _plain_names(found: Iterable[str]) -> FrozenSet[str]:
    """The names of ``found`` that can be an index (no '_', not reserved), Greek spelt out."""
    out = set()
    for name in found:
        name = spell_greek(name)
        if "_" not in name:
            out.add(name)
    return frozenset(out - RESERVED)


_GRAMMAR_FILE = Path(__file__).with_name("derivation.lark")
# the grammar's LALR tables, prebuilt (``python -m elbo_sym.parser.tables``, see tables.py)
_TABLES_FILE = Path(__file__).with_name("derivation.lark.tables")


def _lark_options() -> Dict[str, Any]:
    return {"parser": "lalr", "lexer": "contextual", "propagate_positions": True,
            "start": list(_START_OF_KIND.values())}


def _get_parser() -> Lark:
    """The lark parser, made on first use (importing the package makes nothing): its tables
    are loaded from the shipped file when they are the current grammar's and lark's, else
    built (correct, just slower)."""
    global _parser
    if _parser is None:
        with _parser_lock:
            if _parser is None:
                from .tables import parser_for
                _parser = parser_for(_GRAMMAR_FILE.read_text(encoding="utf-8"), _lark_options(),
                                     _TABLES_FILE)
    return _parser


def write_parser_tables() -> Path:
    """Regenerate the shipped tables of the grammar (after the grammar or lark changed)."""
    from .tables import write_tables
    write_tables(_GRAMMAR_FILE.read_text(encoding="utf-8"), _lark_options(), _TABLES_FILE)
    return _TABLES_FILE


# -- entry points -----------------------------------------------------------------------------

def parse_file(path: Union[str, "os.PathLike[str]"]) -> List[Derivation]:
    """The derivations of the file at ``path``."""
    filename = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", None, None,
                         filename) from None
    return parse_text(data, filename=filename)


def parse_text(text: Union[str, bytes, bytearray], filename: str = "<string>") -> List[Derivation]:
    """The derivations in ``text`` (str, or bytes that must be UTF-8)."""
    try:
        if isinstance(text, (bytes, bytearray)):
            text = decode(bytes(text), filename)
        return _Reader(text, filename).read()
    except InputError:
        raise
    except RecursionError:
        raise InputError("expression nested too deep", 1, 1, filename) from None
    except MemoryError:
        raise InputError("input too large", 1, 1, filename) from None


def parse_expression(text: str, filename: str = "<string>") -> Expr:
    """One expression (no relation, no keywords): a convenience for tests and tools."""
    found = _Reader(f"{text}\n= 0\n", filename).read()
    if len(found) != 1 or len(found[0].steps) != 1 or found[0].start_line != 1:
        raise InputError("not a single expression", 1, 1, filename)
    return found[0].start


def decode(data: bytes, filename: str) -> str:
    """UTF-8 text, or an InputError at the line and column of the first byte that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", errors="replace")) + 1
        raise InputError(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                         line, column, filename) from None


# -- pre-pass ---------------------------------------------------------------------------------

def _strip_comment(line):
    """The line without its ``# comment`` (a ``#`` inside a "title" is no comment)."""
    if "#" not in line:
        return line
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return line[:i]
    return line


def _bracket_balance(text):
    return (text.count("(") + text.count("[") + text.count("{")
            - text.count(")") - text.count("]") - text.count("}"))


class _Logical:
    """One logical line: physical lines ``first..last`` of one ``kind``."""

    __slots__ = ("kind", "first", "last", "text", "balance")

    def __init__(self, kind, first):
        self.kind, self.first, self.last, self.text = kind, first, first, ""
        self.balance = 0   # brackets opened and not closed so far


def _logical_lines(code):
    """Group comment-free physical lines into logical lines.

    A line that begins with neither a keyword nor a relation continues the line above, with
    one exception: right under a header, or under a let, an assume or a model whose brackets
    are closed when it does not begin with an operator (and the declaration does not end in
    one), it is the start of the chain."""
    out = []
    cur = None
    chain_started = False
    for i, line in enumerate(code, 1):
        s = line.strip()
        if not s:
            continue
        m = _KEYWORD_LINE.match(s)
        if m:
            kind = "header" if m.group(1) == "derivation" else m.group(1)
            if kind == "header":
                chain_started = False
        elif s.startswith(_RELATION_START):
            kind = "step"
        elif cur is None or cur.kind == "header":
            kind = "expr"
        elif cur.kind in _DECLARATIONS and not chain_started and cur.balance <= 0 \
                and not s.startswith(_CONTINUES) \
                and not code[cur.last - 1].rstrip().endswith(_ENDS_OPEN):
            kind = "expr"     # the start of the chain, right under a declaration
        else:
            cur.last = i      # continues the line above
            cur.balance += _bracket_balance(s)
            continue
        if kind == "expr":
            chain_started = True
        cur = _Logical(kind, i)
        cur.balance = _bracket_balance(s) if kind != "header" else 0
        out.append(cur)
    for ll in out:
        ll.text = "\n".join(code[ll.first - 1:ll.last])
    return out


# -- the reader -------------------------------------------------------------------------------

class _Pending:
    """A derivation being assembled."""

    def __init__(self, name, title, line, lets, assumptions, definitions, models=(),
                 functions=()):
        self.name, self.title, self.line = name, title, line
        self.lets = dict(lets)
        self.functions = set(functions)     # names declared by 'function NAME'

        self.assumptions = list(assumptions)
        self.definitions = list(definitions)
        self.models = list(models)
        self.start = None
        self.start_line = None
        self.steps = []
        self.direction = None   # (relation, line) of the first step that is not '='


class _Reader:
    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        if text.startswith("\ufeff"):
            text = text[1:]
        if len(text) > MAX_FILE_CHARS:
            raise InputError(f"file too large (over {MAX_FILE_CHARS} characters)", 1, 1,
                             filename)
        self.raw = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
        self.code = [_strip_comment(ln) for ln in self.raw]
        code = "\n".join(self.code)
        self.counts = scan_counts(code)
        self.index_names = self.counts | scan_index_names(code)

    # errors
    def error(self, message: str, line: Optional[int], column: Optional[int]) -> InputError:
        source = self.raw[line - 1] if line is not None and 0 < line <= len(self.raw) else None
        if source is not None and len(source) > MAX_SHOWN_LINE:
            source = None     # a caret under column 100000 helps nobody
        return InputError(message, line, column, self.filename, source)

    def error_in(self, ll: _Logical, message: str, rel_line: Optional[int],
                 column: Optional[int]) -> InputError:
        """An error at (line, column) of the logical line ``ll``."""
        return self.error(message, ll.first + (rel_line or 1) - 1, column or 1)

    def read(self) -> List[Derivation]:
        lines = _logical_lines(self.code)
        if not lines:
            raise self.error("empty file: no derivation in it", 1, 1)
        has_headers = any(ll.kind == "header" for ll in lines)
        file_lets: Dict[str, Definition] = {}
        file_assumptions: List[Assumption] = []
        file_definitions: List[Definition] = []
        file_models: List[ModelDeclaration] = []
        file_functions: Set[str] = set()
        done: List[Derivation] = []
        pending: Optional[_Pending] = None
        names: Set[str] = set()
        if not has_headers:
            stem = Path(self.filename).stem
            name = stem if stem and not stem.startswith("<") else "derivation"
            pending = _Pending(name, "", 1, {}, [], [])
        for ll in lines:
            assumed = pending.assumptions if pending else file_assumptions
            functions = pending.functions if pending else file_functions
            result = self.parse_line(ll, pending.lets if pending else file_lets, assumed,
                                     functions)
            kind = result[0]
            if kind == "header":
                _, name_tok, title = result
                name = str(name_tok)
                if pending is not None:
                    done.append(self.finish(pending))
                if name in names:
                    raise self.error_in(ll, f"a second derivation named '{name}'",
                                        name_tok.line, name_tok.column)
                names.add(name)
                pending = _Pending(name, title, ll.first, file_lets, file_assumptions,
                                   file_definitions, file_models, file_functions)
            elif kind == "function":
                self.declare_functions(ll, result[1], pending.lets if pending else file_lets,
                                       functions)
            elif kind == "let":
                lets = pending.lets if pending else file_lets
                definition = self.definition(ll, result, lets, functions)
                lets[definition.name] = definition
                (pending.definitions if pending else file_definitions).append(definition)
            elif kind == "model":
                _, joint, factors, tok = result
                models = pending.models if pending else file_models
                earlier = next((m for m in models if m.family == joint.family), None)
                if earlier is not None:
                    raise self.error_in(ll, f"a second model for the family '{joint.family}' "
                                            f"(the first is on line {earlier.line})",
                                        tok.line, tok.column)
                models.append(ModelDeclaration(joint, factors, ll.first))
            elif kind == "assume":
                _, lhs, rel_tok, rhs = result
                a = Assumption(lhs, relation_of(str(rel_tok)), rhs, ll.first)
                (pending.assumptions if pending else file_assumptions).append(a)
            elif pending is None:
                raise self.error_in(ll, "this line comes before the first 'derivation' header",
                                    1, len(self.code[ll.first - 1]) -
                                    len(self.code[ll.first - 1].lstrip()) + 1)
            elif kind == "expr":
                pending.start, pending.start_line = result[1], ll.first
                if len(result) > 2:  # `start REL expr` on one line
                    self.step(ll, pending, result[2])
            else:
                self.step(ll, pending, result)
        if pending is None:
            raise self.error("no derivation in the file: only lets and assumptions", 1, 1)
        done.append(self.finish(pending))
        return done

    def parse_line(self, ll: _Logical, lets: Dict[str, Definition],
                   assumed: Sequence[Assumption] = (),
                   functions: AbstractSet[str] = frozenset()) -> Tuple[Any, ...]:
        """The transformed logical line: a tuple whose first item is its kind."""
        self.check_brackets(ll)
        if len(ll.text) > MAX_LINE_CHARS:
            raise self.error_in(ll, f"line too long (over {MAX_LINE_CHARS} characters)", 1, 1)
        if ll.kind == "step":
            body = ll.text.strip()
            rel = next(r for r in _RELATION_START if body.startswith(r))
            if not body[len(rel):].strip():
                col = len(self.code[ll.first - 1]) - len(self.code[ll.first - 1].lstrip()) + 1
                raise self.error_in(ll, f"a step needs an expression after '{rel}'", 1, col)
        if ll.kind in ("step", "expr"):
            self.check_forgotten_by(ll, lets)
        facts = tuple((a.lhs, a.relation, a.rhs) for a in assumed)
        scope = _Scope(lets, self.counts, facts, self.index_names, frozenset(functions))
        outcome = _read_line(ll.kind, ll.text, scope)
        if isinstance(outcome, _Problem):
            raise self.error_in(ll, outcome.message, outcome.line, outcome.column)
        return outcome

    def check_brackets(self, ll: _Logical) -> None:
        if ll.kind == "header":
            return
        stack = []
        line, col = 1, 0
        for ch in ll.text:
            if ch == "\n":
                line, col = line + 1, 0
                continue
            col += 1
            if ch in _OPENERS:
                stack.append((ch, line, col))
                if len(stack) > MAX_NESTING:
                    raise self.error_in(ll, f"nesting too deep (more than {MAX_NESTING} "
                                            "brackets)", line, col)
            elif ch in _CLOSERS:
                if not stack:
                    raise self.error_in(ll, f"'{ch}' closes no bracket", line, col)
                opener, oline, ocol = stack.pop()
                if _OPENERS[opener] != ch:
                    raise self.error_in(ll, f"'{ch}' does not match the '{opener}' at line "
                                            f"{ll.first + oline - 1}, column {ocol}", line, col)
        if stack:
            opener, oline, ocol = stack[-1]
            raise self.error_in(ll, f"'{opener}' is never closed (expected "
                                    f"'{_OPENERS[opener]}')", oline, ocol)

    def check_forgotten_by(self, ll: _Logical, lets: Dict[str, Definition]) -> None:
        """A step (or the start of the chain) that ends in rule names not after ``by``: the
        author forgot ``by``, and the names would be read as an expression."""
        names, start = _trailing_rules(ll.text)
        if not names or _BY.search(ll.text, 0, start) or names[0] in lets:
            return
        names = list(dict.fromkeys(names))
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        what = f"{shown} is a rule name" if len(names) == 1 else f"{shown} are rule names"
        line, column = _position(ll.text, start)
        raise self.error_in(ll, f"did you forget 'by'? ({what})", line, column)

    def declare_functions(self, ll: _Logical, names: List[Token], lets: Dict[str, Definition],
                          functions: Set[str]) -> None:
        """``function ReLU, g_theta``: each name an unknown function from here on in its
        scope (declaring a name twice is harmless)."""
        for tok in names:
            name = str(tok)
            if name in RESERVED or is_density_family(name) or misread_binder(name):
                raise self.error_in(ll, f"'{name}' already means something and cannot be "
                                        "a function", tok.line, tok.column)
            if name in lets:
                raise self.error_in(ll, f"'{name}' is already defined (line "
                                        f"{lets[name].line})", tok.line, tok.column)
            functions.add(name)

    def definition(self, ll: _Logical, result: Tuple[Any, ...], lets: Dict[str, Definition],
                   functions: AbstractSet[str] = frozenset()) -> Definition:
        _, name_tok, params, body = result
        name = str(name_tok)
        if name in functions:
            raise self.error_in(ll, f"'{name}' is declared a function and cannot be a let",
                                name_tok.line, name_tok.column)
        if name in RESERVED or is_density_family(name):
            raise self.error_in(ll, f"'{name}' already means something and cannot be a let",
                                name_tok.line, name_tok.column)
        if misread_binder(name):
            raise self.error_in(ll, f"'{name}' cannot be a let: {misread_binder(name)}",
                                name_tok.line, name_tok.column)
        if name in lets:
            raise self.error_in(ll, f"'{name}' is already defined (line {lets[name].line})",
                                name_tok.line, name_tok.column)
        return Definition(name, params, body, ll.first)

    def step(self, ll: _Logical, pending: _Pending, result: Tuple[Any, ...]) -> None:
        _, rel_tok, expr, rules = result
        rel = relation_of(str(rel_tok))
        where = (rel_tok.line, rel_tok.column)
        if pending.start is None:
            raise self.error_in(ll, "a step before the start of the chain: write the "
                                    "expression the chain starts from first", *where)
        line = ll.first + rel_tok.line - 1
        if rel != "=":
            if pending.direction is None:
                pending.direction = (rel, line)
            elif mixes_directions([pending.direction[0], rel]):
                other, other_line = pending.direction
                raise self.error_in(ll, f"'{rel}' runs against the '{other}' at line "
                                        f"{other_line}: a chain cannot mix < and > relations",
                                    *where)
        pending.steps.append(Step(rel, expr, rules, line))

    def finish(self, p: _Pending) -> Derivation:
        if p.start is None:
            raise self.error(f"derivation '{p.name}' has no expression", p.line, 1)
        if not p.steps:
            raise self.error(f"derivation '{p.name}' has no steps: each step is a line that "
                             "begins with a relation (=, <=, >=, <, >)", p.start_line, 1)
        return Derivation(p.name, p.title, p.start, tuple(p.steps), tuple(p.assumptions),
                          tuple(p.definitions), "", p.start_line, tuple(p.models))



# -- one logical line, read once ---------------------------------------------------------------

class _Problem:
    """What is wrong with a logical line, at a (line, column) of that line (not of the file:
    a remembered problem is placed again wherever the line stands)."""

    __slots__ = ("message", "line", "column")

    def __init__(self, message: str, line: Optional[int], column: Optional[int]) -> None:
        self.message, self.line, self.column = message, line, column


class _Scope:
    """Everything the reading of a logical line depends on besides its kind and text: the
    lets, counts, assumed facts, index names and functions in force (``ExprBuilder``'s
    inputs). ``key`` holds all of it, each let by its name, parameters and body (its line is
    not read)."""

    __slots__ = ("lets", "counts", "facts", "index_names", "functions", "key")

    def __init__(self, lets: Dict[str, Definition], counts: FrozenSet[str],
                 facts: Tuple[Tuple[Expr, str, Expr], ...], index_names: FrozenSet[str],
                 functions: FrozenSet[str]) -> None:
        self.lets, self.counts, self.facts = lets, counts, facts
        self.index_names, self.functions = index_names, functions
        lets_key = tuple((name, d.params, d.body) for name, d in lets.items())
        self.key = (lets_key, counts, facts, index_names, functions)


MAX_REMEMBERED_LINES = 4096
# (kind, text, scope key) -> the transformed line or its _Problem; the oldest use dropped first
_read_lines: "OrderedDict[Tuple[Any, ...], Union[Tuple[Any, ...], _Problem]]" = OrderedDict()
_read_lines_lock = threading.Lock()


def clear_read_lines() -> None:
    """Forget every remembered logical line (for benchmarks that time from cold)."""
    with _read_lines_lock:
        _read_lines.clear()


def _read_line(kind: str, text: str, scope: _Scope) -> Union[Tuple[Any, ...], _Problem]:
    """The transformed logical line (a tuple whose first item is its kind), or its problem;
    remembered, so that a document checked again (an editor, the API) re-reads only the lines
    that changed. Sound to share: the key holds every input, the results are immutable (sympy
    expressions, tokens placed relative to the line) and a problem is placed by the caller."""
    key = (kind, text, scope.key)
    with _read_lines_lock:
        found = _read_lines.get(key)
        if found is not None:
            _read_lines.move_to_end(key)
            return found
    outcome, lasting = _transform_line(kind, text, scope)
    if lasting:
        with _read_lines_lock:
            _read_lines[key] = outcome
            while len(_read_lines) > MAX_REMEMBERED_LINES:
                _read_lines.popitem(last=False)
    return outcome


def _transform_line(kind: str, text: str,
                    scope: _Scope) -> Tuple[Union[Tuple[Any, ...], _Problem], bool]:
    """The line parsed and transformed, or its problem; and whether the outcome may be
    remembered (not when the interpreter's stack ran out, which depends on the caller)."""
    try:
        tree = _get_parser().parse(text, start=_START_OF_KIND[kind])
    except UnexpectedInput as exc:
        return _syntax_problem(text, exc), True
    if _depth(tree) > MAX_TREE_DEPTH:
        return _Problem("expression nested too deep", 1, 1), True
    spell_greek_tokens(tree)
    try:
        # sympy's global switch on, whatever the caller's: the builder passes
        # evaluate=False itself and relies on evaluation when it sizes numbers
        with evaluate(True):
            builder = ExprBuilder(scope.lets, text, scope.counts, scope.facts,
                                  scope.index_names, scope.functions)
            return builder.transform(tree), True
    except LocatedError as exc:
        return _Problem(exc.message, exc.line, exc.column), True
    except RecursionError:
        return _Problem("expression nested too deep", 1, 1), False


def _syntax_problem(text: str, exc: UnexpectedInput) -> _Problem:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = text[pos] if pos is not None and 0 <= pos < len(text) else "?"
        hint = ""
        if ch == "_":
            hint = ": names start with a letter, and '_' only joins a subscript (z_1)"
        elif ch in "\"'":
            hint = ": quotes belong only around a derivation's title"
        elif ch == ".":
            hint = ": '.' belongs only inside a number (0.5)"
        return _Problem(f"unexpected character {ch!r}{hint}", exc.line, exc.column)
    if isinstance(exc, UnexpectedToken):
        expected = _describe_expected(exc.expected)
        if exc.token.type == "$END":
            line, col = _end_of(text)
            return _Problem(f"the line ends too early; expected {expected}", line, col)
        tok = exc.token
        if tok.type in ("RULE_NAME", "DERIV_NAME") and tok.type not in exc.expected:
            return _Problem(f"{_describe_token(tok)} is not a name: names start with a letter, "
                            "and '_' only joins a subscript (z_1)", tok.line, tok.column)
        return _Problem(f"unexpected {_describe_token(tok)}; expected {expected}",
                        tok.line, tok.column)
    return _Problem("syntax error", getattr(exc, "line", 1), getattr(exc, "column", 1))


def _depth(tree):
    """Depth of a lark tree, without recursion."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        if d > deepest:
            deepest = d
            if deepest > MAX_TREE_DEPTH:
                return deepest
        stack.extend((c, d + 1) for c in node.children if isinstance(c, Tree))
    return deepest


def _trailing_rules(text):
    """The catalogue rule names, comma-separated, that ``text`` ends with, and the offset of
    the first; read backwards from the end, so a long line costs one pass."""
    names, start = [], None
    end = _skip_space_back(text, len(text))
    while True:
        i = end
        while i > 0 and text[i - 1] in _RULE_CHARS:
            i -= 1
        word = text[i:end]
        if word not in RULE_NAMES or (i > 0 and text[i - 1] == "."):
            break
        names.append(word)
        start = i
        j = _skip_space_back(text, i)
        if j == 0 or text[j - 1] != ",":
            break
        end = _skip_space_back(text, j - 1)
    return names[::-1], start


def _skip_space_back(text, i):
    while i > 0 and text[i - 1].isspace():
        i -= 1
    return i


def _position(text, offset):
    """(line, column), 1-based, of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _end_of(text):
    """(line, column) just after the last character of ``text`` that is not a space."""
    stripped = text.rstrip()
    line = stripped.count("\n") + 1
    column = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return line, column


_TOKEN_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "FUNC_NAME": "a function", "DERIV_NAME":
    "a derivation name", "RULE_NAME": "a rule name", "STRING": 'a "title"',
    "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'",
    "RBRACE": "'}'", "COMMA": "','", "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'",
    "SLASH": "'/'", "POW": "'^'", "EQ": "'='", "LE": "'<='", "GE": "'>='", "LT": "'<'",
    "GT": "'>'", "BAR": "'|'", "BARBAR": "'||'", "SEMI": "';'", "TILDE": "'~'",
    "SUB_OPEN": "'_{'", "BY": "'by'", "LOG": "'log'", "LN": "'ln'", "SUM": "'sum'",
    "INT": "'int'", "DERIVATION": "'derivation'", "LET": "'let'", "ASSUME": "'assume'",
    "MODEL": "'model'", "FUNCTION": "'function'", "PROD": "'prod'", "SUM_SIGN": "'∑'",
    "PROD_SIGN": "'∏'",
    "INT_SIGN": "'∫'", "COLON": "':'",
    "$END": "the end of the line",
}
_EXPRESSION_STARTS = {"NAME", "NUMBER", "FUNC_NAME", "LPAR", "LSQB", "MINUS", "PLUS", "LOG",
                      "LN", "SUM", "INT", "PROD", "SUM_SIGN", "PROD_SIGN", "INT_SIGN"}


def _describe_expected(expected):
    names = set(expected)
    words = []
    if {"NAME", "NUMBER"} <= names:
        names -= _EXPRESSION_STARTS
        words.append("an expression")
    words += sorted(_TOKEN_WORDS.get(n, n) for n in names)
    if len(words) > 8:
        words = words[:8] + ["..."]
    return " or ".join(words) if len(words) <= 2 else ", ".join(words[:-1]) + " or " + words[-1]


def _describe_token(tok):
    if tok.type in ("NAME", "FUNC_NAME", "NUMBER", "RULE_NAME", "DERIV_NAME"):
        value = str(tok)
        return f"'{value[:40]}{'...' if len(value) > 40 else ''}'"
    return _TOKEN_WORDS.get(tok.type, f"'{tok}'")
