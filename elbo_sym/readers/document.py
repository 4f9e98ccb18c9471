r"""A Markdown or LaTeX document read into derivations, declarations and skipped displays.

Each display that is a chain becomes one ``Derivation`` named after its ``\label`` or
``line-N``. Its rows are translated to the file language (``translate``) and parsed by the one
parser, inside a small ``.deriv`` text that holds what the document declared before it
(comments, earlier definitions, models written as displays). A row the reader cannot read, or
that the parser refuses, is taken out and the chain is cut there: the rest is parsed again and
checked in segments, and the steps that touch the row are ``unknown`` with the reason, located
at FILE:LINE:COL. Nothing here raises for a display; only the file itself (too large, not
UTF-8, a declaration comment that is not a line of the file language) is an input error.
"""
import re
from dataclasses import dataclass, field
from typing import (TYPE_CHECKING, Collection, Dict, Iterable, List, NamedTuple, Optional,
                    Protocol, Sequence, Set, Tuple, TypedDict, Union)

from ..errors import InputError
from ..notation import GREEK_NAMES, KNOWN_WORDS, is_density_family
from ..rules.catalogue import RULE_NAMES
from .rows import (Node, Relation, brace_claims, chain_nodes, display_rows, split_rows,
                   strip_annotations)
from .macros import MacroError, Macros, document_macros
from .scan import MD, TEX, Declaration, Display, Sentence, Unclosed, scan
from .tokens import AMP, SPACE, LineIndex, Tok, tokenize, unescape_markdown
from .translate import NAME, Bare, Context, NoReading, Piece, Translator, normalize, text_of

if TYPE_CHECKING:
    from ..derivation import Derivation

MAX_DOCUMENT_CHARS = 2_000_000     # as the .deriv reader: a long paper is a few hundred kB
MAX_DISPLAY_CHARS = 50_000


@dataclass
class ChainBlock:
    derivation: "Derivation"              # the whole chain, for reports
    segments: List[Tuple["Derivation", List[int]]]   # (parsed derivation, its steps' indices)
    unread: Dict[int, str]                # step index -> why it is unknown
    line: int
    display: Optional[int] = None         # the first line of its display (a display may hold
                                          # several equations, and side claims of braces)
    role: str = ""                        # "hypothesis" before \Rightarrow, "consequence" after
    conventions: Tuple[str, ...] = ()     # readings that add meaning, printed with the chain


@dataclass
class DeclaredBlock:
    line: int
    text: str
    conventions: Tuple[str, ...] = ()     # readings that add meaning, printed with it


@dataclass
class SkippedBlock:
    line: int
    column: Optional[int]
    reason: str
    has_relation: bool = True   # looks like a chain: reported in every format, fails --strict


Block = Union[ChainBlock, DeclaredBlock, SkippedBlock]


@dataclass
class Reading:
    filename: str
    blocks: List[Block] = field(default_factory=list)

    @property
    def chains(self) -> List[ChainBlock]:
        return [b for b in self.blocks if isinstance(b, ChainBlock)]


class _Owner(NamedTuple):
    """What a line of the synthesized text comes from: the declarations, a derivation's
    header, or the node of the chain at index ``node``."""
    kind: str                   # "declaration", "header" or "node"
    node: int = -1


_DECLARED = _Owner("declaration")
_HEADER = _Owner("header")


class _Line:
    """A line of the synthesized ``.deriv`` text and where its pieces came from."""

    __slots__ = ("text", "cols", "owner", "exact")

    def __init__(self, prefix: str, pieces: Iterable[Piece], suffix: str = "",
                 owner: Optional[_Owner] = None, exact: bool = False) -> None:
        self.exact = exact          # one piece, the file's own text: columns map one to one
        s = prefix
        cols: List[Tuple[int, int]] = []
        for p in pieces:
            if s and not s.endswith(" "):
                s += " "
            cols.append((len(s) + 1, p.pos))
            s += p.text
        self.text, self.cols, self.owner = s + suffix, cols, owner

    def source_pos(self, column: Optional[int]) -> Optional[int]:
        column = column or 1
        best = None
        for col, pos in self.cols:
            if col <= column:
                best = pos + (column - col if self.exact else 0)
        return best if best is not None else (self.cols[0][1] if self.cols else None)


class Positions(Protocol):
    """Offsets of the text read to (line, column) of the file: the text itself, or the file
    the text was taken from (a notebook's Markdown cells)."""

    def at(self, offset: int) -> Tuple[int, int]: ...


def read_document(text: str, filename: str, kind: str, positions: Optional[Positions] = None,
                  file_lines: Optional[List[str]] = None) -> Reading:
    """The chains, declarations and skipped displays of a Markdown (``md``) or LaTeX (``tex``)
    document. ``positions`` and ``file_lines`` say where an offset of ``text`` is in the file,
    when ``text`` was taken out of it. Raises InputError only for the file as a whole."""
    if text.startswith("\ufeff") and positions is None:
        text = text[1:]
    if len(text) > MAX_DOCUMENT_CHARS:
        raise InputError(f"file too large (over {MAX_DOCUMENT_CHARS} characters)", 1, 1, filename)
    return _Document(text, filename, kind, positions, file_lines).read()


class _Chain(TypedDict):
    """A chain being read: its nodes and what its reading needs (rebuilt when a display
    after it continues it)."""
    nodes: List[Node]
    name: str
    marked: bool
    role: str
    display: int                # the first line of its display
    line: int
    before: List[Sentence]      # the printer's sentences around it
    after: List[Sentence]
    index: Optional[int]        # its block's index in the Reading, once placed
    added: List[_Line]          # the preamble lines it added
    names: Set[str]             # the lets and functions before it
    functions: Set[str]


@dataclass
class _DisplayItem:
    """A display with the printer's sentences attached before and after it."""
    display: Display
    before: List[Sentence]
    after: List[Sentence] = field(default_factory=list)


class _Document:
    def __init__(self, text: str, filename: str, kind: str,
                 positions: Optional[Positions] = None,
                 file_lines: Optional[List[str]] = None) -> None:
        self.text, self.filename, self.kind = text, filename, kind
        self.lines: Positions = positions if positions is not None else LineIndex(text)
        self.raw_lines = file_lines if file_lines is not None else text.split("\n")
        self.macros = Macros()
        self.preamble: List[_Line] = []        # file-wide lines of the file language
        self.families: Dict[str, Tuple[str, int]] = {}   # let q = q_phi(z | x)
        self.functions: Set[str] = set()       # lets with parameters
        self.names: Set[str] = set()           # every let's name
        self.reading = Reading(filename)

    # -- positions
    def at(self, pos: int) -> Tuple[int, int]:
        return self.lines.at(pos)

    def where(self, pos: int) -> str:
        line, col = self.at(pos)
        return f"{self.filename}:{line}:{col}"

    def input_error(self, message: str, pos: int) -> InputError:
        line, col = self.at(pos)
        source = self.raw_lines[line - 1] if line - 1 < len(self.raw_lines) else None
        if source is not None and len(source) > 500:
            source = None
        return InputError(message, line, col, self.filename, source)

    # -- the whole document
    def read(self) -> Reading:
        items = scan(self.text, self.kind)
        # a LaTeX preamble defines macros anywhere; a Markdown note, in its math (MathJax)
        self.macros = document_macros(self.text, [] if self.kind == TEX else [
            (d.body_start, d.body_end) for d in items if isinstance(d, Display)] or [(0, 0)],
            markdown=self.kind != TEX)
        entries: List[Union[Declaration, Unclosed, _DisplayItem]] = []
        pending_before: List[Sentence] = []
        for item in items:
            if isinstance(item, (Declaration, Unclosed)):
                entries.append(item)
            elif isinstance(item, Sentence):
                if item.kind == "assuming":
                    last = next((e for e in reversed(entries) if isinstance(e, _DisplayItem)),
                                None)
                    if last is not None:
                        last.after.append(item)
                else:
                    pending_before.append(item)
            else:
                entries.append(_DisplayItem(item, pending_before))
                pending_before = []
        previous: Optional[_Chain] = None
        for entry in entries:
            if isinstance(entry, Declaration):
                self.declare(entry)
            elif isinstance(entry, Unclosed):
                line, _ = self.at(entry.pos)
                self.reading.blocks.append(SkippedBlock(line, None, f"{entry.what} is "
                                                                    "never closed"))
            else:
                previous = self.display(entry.display, entry.before, entry.after, previous)
        return self.reading

    # -- declarations
    def declare(self, item: Declaration) -> None:
        m = re.match(r"let\s+([A-Za-z0-9_]+)\s*=\s*(.+)\Z", item.text)
        if m is not None and is_density_family(m.group(1)):
            family, density = m.group(1), m.group(2).strip()
            head = re.match(r"([A-Za-z0-9_]+)\s*\(.*\)\Z", density)
            if head is None or not is_density_family(head.group(1)):
                raise self.input_error(f"'let {family} = ...' names the density that a bare "
                                       f"{family} means: write let {family} = {family}(z | x)",
                                       item.pos)
            self.validate([_Line("let elbocheckfamily = log ",
                                 [Piece(density, m.start(2) + item.pos)],
                                 owner=_DECLARED, exact=True)], item.pos)
            self.families[family] = (density, item.pos)
            return
        line = _Line("", [Piece(item.text, item.pos)], owner=_DECLARED, exact=True)
        self.validate([line], item.pos)
        self.note_let(item.text)
        self.preamble.append(line)

    def note_let(self, text: str) -> None:
        m = re.match(r"let\s+([A-Za-z][A-Za-z0-9_]*)\s*(\()?", text)
        if m:
            self.names.add(m.group(1))
            if m.group(2):
                self.functions.add(m.group(1))

    def validate(self, lines: List[_Line], pos: int) -> List["Derivation"]:
        """Raise the located input error of a declaration that the parser refuses."""
        from ..parser import parse_text

        body = self.preamble + lines
        text = "\n".join(ln.text for ln in body) + "\nderivation probe_\n0\n= 0\n"
        try:
            return parse_text(text, filename=self.filename)
        except InputError as exc:
            index = (exc.line or 1) - 1
            if len(self.preamble) <= index < len(body):
                src = body[index].source_pos(exc.column)
                offset = src if src is not None else pos
                raise self.input_error(exc.message, min(offset, len(self.text) - 1)) from None
            raise self.input_error(exc.message, pos) from None

    # -- displays
    def display(self, item: Display, before: List[Sentence], after: List[Sentence],
                previous: Optional[_Chain]) -> Optional[_Chain]:
        """Read one display into its chains (the last one is returned: a display after it
        may continue it)."""
        first_line = self.at(item.body_start)[0]
        if item.body_end - item.body_start > MAX_DISPLAY_CHARS:
            self.reading.blocks.append(SkippedBlock(first_line, None, "display too long "
                                                    f"(over {MAX_DISPLAY_CHARS} characters)"))
            return None
        tokens = self.display_tokens(item)
        if isinstance(tokens, SkippedBlock):
            self.reading.blocks.append(tokens)
            return None
        if not any(t.kind != SPACE for t in tokens):
            return previous          # a display of macro definitions (MathJax's): no block
        rows, labels = display_rows(tokens, self.text, RULE_NAMES)
        if not rows:
            self.reading.blocks.append(SkippedBlock(first_line, None, "an empty display",
                                                    has_relation=False))
            return None
        nodes, continues = chain_nodes(rows)
        marked = any(r.marked for r in rows)
        equations = _equations(nodes)
        chain: Optional[_Chain] = None
        if continues:
            first, equations = equations[0], equations[1:]
            if previous is not None and item.opener == "$$":
                previous["nodes"].extend(first)
                previous["marked"] = previous["marked"] or marked
                self.rebuild(previous)
                chain = previous
            else:
                line, col = self.at(first[0].pos)
                self.reading.blocks.append(SkippedBlock(line, col, "the display begins with a "
                                                        "relation, and no chain comes before it"))
        claims: List[List[Node]] = []
        for eq in equations:
            claims += brace_claims(eq)
        # the side claims of the braces follow the equations, numbered from 1
        entries = [(eq, 0) for eq in equations] + [(c, n) for n, c in enumerate(claims, 1)]
        for k, (eq, brace) in enumerate(entries):
            side = brace > 0
            line = self.at(eq[0].pos)[0]
            if len(eq) < 2:
                if len(equations) == 1 and not continues:
                    self.reading.blocks.append(SkippedBlock(line, None, "a single formula, no "
                                                            "chain (no relation)",
                                                            has_relation=False))
                continue       # a lone formula among the equations of a display states nothing
            own = [x for node in eq for x in node.labels]
            name = own[0] if own else (labels[0] if labels and len(equations) == 1
                                       else f"line-{line}")
            if side:
                name = f"{name}-brace-{brace}"
            role = ("consequence" if not side and eq[0].implied else
                    "hypothesis" if not side and k + 1 < len(equations)
                    and equations[k + 1][0].implied else "")
            chain = _Chain(nodes=eq, name=name, marked=marked or side, role=role,
                           display=first_line, line=line, before=before, after=after,
                           index=None, added=[], names=set(self.names),
                           functions=set(self.functions))
            if len(eq) == 2 and _relation(eq[1]).kind == "=" and not marked and \
                    self.model(chain):
                chain = None
                continue
            self.rebuild(chain)
        return chain

    def display_tokens(self, item: Display) -> Union[List[Tok], SkippedBlock]:
        """The display's tokens as they are read: Markdown escapes read back, the macro
        definitions taken out and the macros in force expanded (a macro whose expansion
        does not end skips the display, with its reason at the use)."""
        tokens = tokenize(self.text, item.body_start, item.body_end)
        if self.kind == MD:
            tokens = unescape_markdown(tokens)
        tokens = Macros().collect(tokens)
        try:
            return self.macros.expand(tokens)
        except MacroError as exc:
            line, col = self.at(exc.pos)
            return SkippedBlock(line, col, exc.message)

    def place(self, chain: _Chain, block: Block) -> None:
        if chain["index"] is None:
            chain["index"] = len(self.reading.blocks)
            self.reading.blocks.append(block)
        else:
            self.reading.blocks[chain["index"]] = block

    # -- models written as displays
    def model(self, chain: _Chain) -> bool:
        """``p_\\theta(x, z) = p_\\theta(x \\mid z) p(z)``, ``p(z) = \\mathcal{N}(z; 0, 1)``: a
        declaration, when the left side is one density and the right a product of densities
        or Gaussians."""
        ctx = Context(self.text, self.functions)
        try:
            left = Translator(normalize(chain["nodes"][0].tokens), ctx).expression()
            right = Translator(normalize(chain["nodes"][1].tokens), ctx).expression()
        except NoReading:
            return False
        if not (_one_density(left) and _product_of_densities(right)):
            return False
        if any(isinstance(p, Bare) for p in left + right):
            return False
        line = _Line("model ", left + [Piece("=", chain["nodes"][1].pos)] + right,
                     owner=_DECLARED)
        try:
            parsed = self.validate([line], chain["nodes"][0].pos)
        except InputError as exc:
            at = exc.line if exc.line is not None else chain["line"]
            self.reading.blocks.append(SkippedBlock(at, exc.column, f"no model: {exc.message}"))
            return True
        from ..printing.text import model_text

        self.preamble.append(line)
        models = parsed[0].models if parsed else ()
        shown = model_text(models[-1]) if models else text_of(left) + " = " + text_of(right)
        self.reading.blocks.append(DeclaredBlock(chain["line"], "model " + shown,
                                                 _unique(ctx.conventions)))
        return True

    # -- chains
    def rebuild(self, chain: _Chain) -> None:
        for ln in chain["added"]:
            if ln in self.preamble:
                self.preamble.remove(ln)
        chain["added"] = []
        self.names, self.functions = set(chain["names"]), set(chain["functions"])
        block = self.chain_block(chain)
        self.place(chain, block)

    def chain_block(self, chain: _Chain) -> Union[ChainBlock, SkippedBlock]:
        nodes: List[Node] = chain["nodes"]
        ctx = Context(self.text, self.functions)
        pieces: List[Optional[List[Piece]]] = []
        reasons: Dict[int, str] = {}
        adopted: Dict[int, List[str]] = {}      # node -> the conventions its reading adopted
        for i, node in enumerate(nodes):
            read = None
            mark = len(ctx.conventions)
            try:
                if node.problem is not None:
                    raise NoReading(*node.problem)
                read = Translator(normalize(node.tokens), ctx).expression()
                if not read:
                    raise NoReading("an empty row: nothing after its relation is mathematics",
                                    node.pos)
            except NoReading as exc:
                read = None
                reasons[i] = f"{self.where(exc.pos)}: {exc.message}"
            except RecursionError:
                read = None
                reasons[i] = f"{self.where(node.pos)}: nested too deep"
            pieces.append(read)
            adopted[i] = ctx.conventions[mark:]
        # bare families: the one density of that family written out in the display
        for i, ps in enumerate(pieces):
            if ps is None:
                continue
            for p in ps:
                if isinstance(p, Bare):
                    mark = len(ctx.conventions)
                    unresolved = self.resolve(p, ctx)
                    if unresolved is not None:
                        line, col = self.at(p.pos)
                        return SkippedBlock(line, col, unresolved)
                    adopted[i] += ctx.conventions[mark:]
        step_unread: Dict[int, str] = {}
        for i, node in enumerate(nodes[1:], 1):
            relation = _relation(node)
            if relation.kind == "unread":
                step_unread[i] = f"{self.where(relation.pos)}: {relation.text} has no reading"
        # definitions: a new name on the left of the first '=', ':=' anywhere, '=:'
        lets: List[_Line] = []
        relations = [""] + [_relation(n).kind for n in nodes[1:]]   # the first has none
        by_definition: Set[int] = set()
        attached = self.attached(chain)
        let_names = (re.match(r"let\s+([A-Za-z][A-Za-z0-9_]*)", ln.text) for ln in attached
                     if ln.text.startswith("let "))
        local_names = {m.group(1) for m in let_names if m is not None}
        # elbo-check's own documents (rows with a verdict mark) state their lets in where
        # lines: their chains start from an expression as written, never define a name
        marked = chain.get("marked", False)
        first = pieces[0]
        value = pieces[1] if len(nodes) > 1 else None
        if first is not None and value is not None and \
                (relations[1] == ":=" or (relations[1] == "=" and not marked)):
            elsewhere = [p for ps in pieces[2:] if ps is not None for p in ps]
            head = self.new_name(first, value + elsewhere, ctx, local_names,
                                 explicit=relations[1] == ":=")
            if head is not None:
                lets.append(_Line("let ", [Piece(head, nodes[0].pos),
                                           Piece("=", nodes[1].pos)] + value,
                                  owner=_Owner("node", 1)))
                pieces[0] = [Piece(head, first[0].pos, "name")]   # L(theta, phi; x)
                local_names.add(head.split("(")[0])
                by_definition.add(1)
        last = len(nodes) - 1
        for i in range(1, len(nodes)):
            named, defined = pieces[i], pieces[i - 1]
            if named is None or defined is None:
                continue
            name = None
            if relations[i] == "=:":
                name = self.new_name(named, defined, ctx, local_names)
            elif i == last and relations[i] == "=" and i not in by_definition and not marked:
                # a name given at the chain's end (\equiv \mathcal{L}, = L_\text{VLB}): a
                # name no row uses elsewhere and not defined before is defined, not compared
                others = [p for k, ps in enumerate(pieces) if k != i and ps for p in ps]
                explicit = _relation(nodes[i]).text in (r"\equiv", "≡")
                name = self.new_name(named, others, ctx, local_names, explicit=explicit)
            if name is not None:
                lets.append(_Line("let ", [Piece(name, nodes[i].pos),
                                           Piece("=", nodes[i].pos)] + defined,
                                  owner=_Owner("node", i - 1)))
                local_names.add(name.split("(")[0])
                by_definition.add(i)
        functions, conflicts = self.unknown_functions(pieces, local_names)
        for i, reason in conflicts.items():
            reasons.setdefault(i, reason)
        declared = [_function_line(functions)] if functions else []
        bad = dict(reasons)
        parsed: List["Derivation"] = []
        for _ in range(len(nodes) + 2):
            segments = _segments(len(nodes), bad, step_unread)
            lines = list(self.preamble[:]) + declared + attached + [
                ln for ln in lets if _node_of(ln) not in bad]
            seg_steps: List[List[int]] = []
            for k, seg in enumerate(segments):
                lines.append(_Line(f"derivation seg{k}", [], owner=_HEADER))
                for j, i in enumerate(seg):
                    if j == 0:
                        lines.append(_Line("", pieces[i] or [], owner=_Owner("node", i)))
                    else:
                        rel = "=" if relations[i] in (":=", "=:") else relations[i]
                        rules = list(nodes[i].rules)
                        if i in by_definition and "definition" not in rules:
                            rules = rules + ["definition"] if rules else []
                        by = " by " + ", ".join(rules) if rules else ""
                        lines.append(_Line("", [Piece(rel, nodes[i].pos)] + (pieces[i] or []), by,
                                           owner=_Owner("node", i)))
                seg_steps.append(seg[1:])
            if not segments:
                break
            problem = self.parse(lines)
            if isinstance(problem, list):
                parsed = problem
                break
            owner, message, pos = problem
            if owner is None or owner.kind != "node":
                # a problem of the declarations or the chain as a whole: no reading at all
                for i in range(len(nodes)):
                    bad.setdefault(i, f"{self.where(pos)}: {message}")
                segments = []
                break
            bad[owner.node] = f"{self.where(pos)}: {message}"
        else:
            segments = []
        if not segments:
            earliest = next(iter(sorted({**bad, **step_unread}.items())), (0, "no readable row"))
            reason = earliest[1]
            m = re.match(re.escape(self.filename) + r":(\d+):(\d+): (.*)\Z", reason, re.S)
            if m:
                return SkippedBlock(int(m.group(1)), int(m.group(2)), m.group(3))
            return SkippedBlock(chain["line"], None, reason)
        conventions = [c for i in sorted(adopted) if i not in bad for c in adopted[i]]
        return self.assemble(chain, nodes, pieces, parsed, segments, bad, step_unread,
                             relations, lets, functions, conventions)

    def attached(self, chain: _Chain, conventions: Optional[List[str]] = None) -> List[_Line]:
        """The printer's sentences around this chain: where (let), Model, Assuming; the
        conventions their readings adopt are added to ``conventions``."""
        out: List[_Line] = []
        ctx = Context(self.text, self.functions)
        for sentence in list(chain["before"]) + list(chain["after"]):
            for start, end in sentence.math:
                tokens = tokenize(self.text, start, end)
                rows, _ = split_rows(tokens, self.text)
                if len(rows) != 1:
                    continue
                nodes, _ = chain_nodes([strip_annotations(rows[0], self.text, RULE_NAMES)])
                if len(nodes) != 2:
                    continue
                mark = len(ctx.conventions)
                try:
                    left = Translator(normalize(nodes[0].tokens), ctx).expression()
                    right = Translator(normalize(nodes[1].tokens), ctx).expression()
                except NoReading:
                    continue
                rel = nodes[1].relation
                if rel is None:     # x \Rightarrow y: a claim, neither a let nor a model
                    continue
                if sentence.kind == "where" and rel.kind == "=":
                    head = text_of(left)
                    line = _Line("let ", left + [Piece("=", rel.pos)] + right,
                                 owner=_DECLARED)
                    self.functions.add(head.split("(")[0].strip()) if "(" in head else None
                elif sentence.kind == "model" and rel.kind == "=":
                    line = _Line("model ", left + [Piece("=", rel.pos)] + right,
                                 owner=_DECLARED)
                elif sentence.kind == "assuming" and rel.kind not in ("unread", ":=", "=:"):
                    line = _Line("assume ", left + [Piece(rel.kind, rel.pos)] + right,
                                 owner=_DECLARED)
                else:
                    continue
                out.append(line)
                if conventions is not None:
                    conventions += ctx.conventions[mark:]
        return out

    def parse(self, lines: List[_Line]
              ) -> Union[List["Derivation"], Tuple[Optional[_Owner], str, int]]:
        """The parsed derivations, or (owner, message, source offset) of the first problem."""
        from ..parser import parse_text

        text = "\n".join(ln.text for ln in lines) + "\n"
        try:
            return parse_text(text, filename=self.filename)
        except InputError as exc:
            index = (exc.line or 1) - 1
            if 0 <= index < len(lines):
                ln = lines[index]
                pos = ln.source_pos(exc.column)
                if ln.owner is not None and ln.owner.kind == "header":
                    # 'derivation has no steps' and the like: blame the line after it
                    nxt = lines[index + 1] if index + 1 < len(lines) else None
                    after = nxt.source_pos(1) if nxt else None
                    return ((nxt.owner if nxt else None), exc.message,
                            after if after is not None else 0)
                return ln.owner, exc.message, pos if pos is not None else 0
            return None, exc.message, 0
        except RecursionError:
            return None, "nested too deep", 0

    def new_name(self, head: List[Piece], body: List[Piece], ctx: Context, local: Set[str],
                 explicit: bool = True) -> Optional[str]:
        """``L``, ``\\mathcal{L}(x)``, ``\\text{ELBO}`` when it is a name not defined before
        and not a variable of the display: the text of the let's head, else None.

        Without an explicit ``:=``, only what looks like the name of a quantity defines: a
        word (ELBO), a capital letter (L, \\mathcal{L}, L_\\theta), or a letter applied to
        variables (g(z)); a Greek or lower-case letter alone (\\sigma, x) is a variable, and
        so is a name the display uses anywhere else."""
        text = text_of(head)
        m = re.fullmatch(r"(\S+)(?: \( (.*) \))?", text)
        if m is None:
            return None
        name, args = m.group(1), m.group(2)
        stem = name.split("_")[0]
        if not explicit and args is None and (
                stem in GREEK_NAMES or (len(stem) == 1 and not stem.isupper())):
            return None
        if not NAME.match(name) or is_density_family(name) or name in KNOWN_WORDS \
                or name in self.names or name in local or re.fullmatch(r".*_[0-9]+", name):
            return None
        params = []
        if args is not None:
            params = [a.strip() for a in re.split(r"[,;]", args)]
            if not all(NAME.match(a) for a in params) or len(set(params)) != len(params):
                return None
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", text_of(body)))
        if name in words:
            return None
        for densities in ctx.densities.values():
            for key in densities:
                if re.search(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])",
                             key.split("(", 1)[1]):
                    return None
        self.names.add(name)
        if params:
            self.functions.add(name)
            return f"{name}({', '.join(params)})"
        return name

    def unknown_functions(self, pieces: List[Optional[List[Piece]]], local: Set[str]
                          ) -> Tuple[Set[str], Dict[int, str]]:
        """(names, conflicts): the names the display applies to brackets that are no let (the
        unknown functions, \\mathrm{ReLU}(x)), and for each node that uses one of them also
        as a plain variable (\\sigma(x) and \\sigma^2), why it has no reading."""
        applied: Dict[str, List[Tuple[int, int]]] = {}
        plain: Dict[str, List[Tuple[int, int]]] = {}
        for i, ps in enumerate(pieces):
            for p in ps or ():
                if p.tag == "apply":
                    applied.setdefault(p.text, []).append((i, p.pos))
                elif p.tag == "name":
                    plain.setdefault(p.text, []).append((i, p.pos))
        names = {n for n in applied if n not in self.functions and n not in self.names
                 and n not in local}
        conflicts: Dict[int, str] = {}
        for name in sorted(names & set(plain)):
            for i, pos in applied[name] + plain[name]:
                conflicts.setdefault(i, f"{self.where(pos)}: '{name}' is used both as a "
                                        f"function, {name}(..), and as a variable: it has no "
                                        "single meaning")
        return names, conflicts

    def resolve(self, bare: Bare, ctx: Context) -> Optional[str]:
        """Give ``bare`` the text of the density it means, or say why there is none."""
        if bare.family in self.families:
            bare.text = self.families[bare.family][0]
            return None
        found = ctx.densities.get(bare.family, {})
        if len(found) == 1:
            bare.text = text_of(next(iter(found.values())))
            return None
        what = r"\mathbb{E}" if bare.family == "q" else bare.family
        if not found:
            return (f"a bare {what} means the one density of {bare.family} that the display "
                    f"writes out, and it writes none (declare it: let {bare.family} = "
                    f"{bare.family}(z | x))")
        shown = ", ".join(sorted(found)[:3])
        return (f"a bare {what} means the one density of {bare.family} that the display "
                f"writes out, and it writes {len(found)}: {shown}")

    def assemble(self, chain: _Chain, nodes: List[Node], pieces: List[Optional[List[Piece]]],
                 parsed: List["Derivation"], segments: List[List[int]], bad: Dict[int, str],
                 step_unread: Dict[int, str], relations: List[str], lets: List[_Line],
                 functions: Collection[str] = frozenset(),
                 conventions: Sequence[str] = ()) -> ChainBlock:
        from ..derivation import Derivation, Step
        from .unread import Unread

        exprs, parsed_steps, steps_of = {}, {}, []
        for derivation, seg in zip(parsed, segments):
            exprs[seg[0]] = derivation.start
            for step, i in zip(derivation.steps, seg[1:]):
                exprs[i] = step.expr
                parsed_steps[i] = step
            steps_of.append((derivation, [i - 1 for i in seg[1:]]))
        unread, steps = {}, []
        for i in range(1, len(nodes)):
            node = nodes[i]
            relation = "=" if relations[i] in (":=", "=:", "unread") else relations[i]
            expr = exprs.get(i)
            if expr is None:
                expr = Unread(_source(nodes[i].tokens))
            rules = parsed_steps[i].rules if i in parsed_steps else ()
            steps.append(Step(relation, expr, rules, self.at(node.pos)[0]))
            if i not in parsed_steps:
                unread[i - 1] = step_unread.get(i) or bad.get(i) or bad.get(i - 1) or \
                    "not read"
        start = exprs.get(0)
        if start is None:
            start = Unread(_source(nodes[0].tokens))
        first = parsed[0]
        definitions, names = list(first.definitions), {d.name for d in first.definitions}
        for d in parsed[1:]:
            definitions += [x for x in d.definitions if x.name not in names]
            names |= {x.name for x in d.definitions}
        # the lets this chain uses (its own, and those of the document it mentions)
        used = set()
        for ps in pieces:
            used |= {w for p in (ps or ()) for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", p.text)}
        adopted = list(conventions)
        used |= {ln.text.split()[1].split("(")[0] for ln in lets + self.attached(chain, adopted)
                 if ln.text.startswith("let ")}
        definitions = [d for d in definitions if d.name in used]
        derivation = Derivation(chain["name"], "", start, tuple(steps),
                                tuple(first.assumptions), tuple(definitions), "",
                                self.at(nodes[0].pos)[0], tuple(first.models), "latex")
        # the names a display defines hold for the displays after it (with the unknown
        # functions their bodies apply)
        kept = [ln for ln in lets if _node_of(ln) not in bad]
        applied = sorted(f for f in functions
                         if any(re.search(r"(?<![A-Za-z0-9_])" + re.escape(f) + r" \(", ln.text)
                                for ln in kept))
        if applied:
            line = _function_line(applied)
            self.preamble.append(line)
            chain["added"].append(line)
        for ln in lets:
            if _node_of(ln) not in bad:
                copy = _Line("", [], owner=_DECLARED)
                copy.text, copy.cols = ln.text, ln.cols
                self.preamble.append(copy)
                chain["added"].append(copy)
        return ChainBlock(derivation, steps_of, unread, chain["line"],
                          chain.get("display", chain["line"]), chain.get("role", ""),
                          _unique(adopted))


def _unique(conventions: Iterable[str]) -> Tuple[str, ...]:
    """The conventions adopted, each once, in the order they were adopted."""
    return tuple(dict.fromkeys(conventions))


def _relation(node: Node) -> Relation:
    """The relation that leads to a node after the first of its equation: it has one
    (``_equations`` starts an equation at a node without); were it missing, the step would be
    unread, never checked."""
    return node.relation if node.relation is not None else Relation("unread", "", node.pos)


def _node_of(line: _Line) -> int:
    """The index of the node a line of the synthesized text reads (-1: no node)."""
    return line.owner.node if line.owner is not None else -1


def _source(tokens: List[Tok]) -> str:
    kept = [t for t in tokens if t.kind != AMP]
    while kept and kept[0].kind == SPACE:
        kept.pop(0)
    return "".join(t.text for t in kept).strip()


def _one_density(pieces: List[Piece]) -> bool:
    return bool(pieces) and pieces[0].tag == "family" and _closing(pieces, 1) == len(pieces) - 1


def _closing(pieces: List[Piece], i: int) -> int:
    """Index of the bracket that closes the one at ``pieces[i]``."""
    level = 0
    for j in range(i, len(pieces)):
        if pieces[j].text in ("(", "["):
            level += 1
        elif pieces[j].text in (")", "]"):
            level -= 1
            if level == 0:
                return j
    return -1


def _product_of_densities(pieces: List[Piece]) -> bool:
    """Densities, Gaussians and products of them side by side (at least a Gaussian or two
    factors): the right side of a model."""
    i, factors, gaussian = 0, 0, False
    while i < len(pieces):
        p = pieces[i]
        if p.tag == "family" or (p.tag == "function" and p.text == "N"):
            gaussian |= p.text == "N"
            j = _closing(pieces, i + 1)
            if j < 0:
                return False
            factors += 1
            i = j + 1
        elif p.tag == "big" and p.text.startswith("prod"):
            factors += 1
            i += 1
        elif p.text == "*":
            i += 1
        else:
            return False
    return factors >= 2 or gaussian


def _function_line(names: Iterable[str]) -> _Line:
    """``function ReLU, g_theta``: the display's unknown functions, declared for the parser."""
    return _Line("function " + ", ".join(sorted(names)), [], owner=_DECLARED)


def _equations(nodes: List[Node]) -> List[List[Node]]:
    """The display's equations: a node with no relation after the first starts a new one."""
    out: List[List[Node]] = []
    for node in nodes:
        if node.relation is None or not out:
            out.append([])
        out[-1].append(node)
    return out


def _segments(n: int, bad: Collection[int], step_unread: Collection[int]) -> List[List[int]]:
    """Maximal runs of readable nodes joined by readable relations, of two nodes or more."""
    out: List[List[int]] = []
    run: List[int] = []
    for i in range(n):
        if i in bad:
            if len(run) > 1:
                out.append(run)
            run = []
            continue
        if run and i in step_unread:
            if len(run) > 1:
                out.append(run)
            run = []
        run.append(i)
    if len(run) > 1:
        out.append(run)
    return out
