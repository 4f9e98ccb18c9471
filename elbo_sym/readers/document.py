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
from typing import Dict, List, Optional, Tuple

from ..errors import InputError
from ..rules.catalogue import RULE_NAMES
from .rows import (Node, brace_claims, chain_nodes, display_rows, split_rows,
                   strip_annotations)
from .scan import Declaration, Display, Sentence, Unclosed, scan
from .tokens import AMP, SPACE, LineIndex, tokenize
from .translate import (FAMILY, GREEK_NAMES, NAME, Bare, Context, NoReading, Piece, Translator, normalize,
                        text_of)

MAX_DOCUMENT_CHARS = 2_000_000     # as the .deriv reader: a long paper is a few hundred kB
MAX_DISPLAY_CHARS = 50_000
KNOWN_WORDS = frozenset("log ln exp sqrt abs KL D_KL H N E pi e sum int prod".split())


@dataclass
class ChainBlock:
    derivation: object                    # the whole chain, for reports
    segments: List[Tuple[object, List[int]]]   # (parsed derivation, its steps' indices)
    unread: Dict[int, str]                # step index -> why it is unknown
    line: int
    display: Optional[int] = None         # the first line of its display (a display may hold
                                          # several equations, and side claims of braces)
    role: str = ""                        # "hypothesis" before \Rightarrow, "consequence" after


@dataclass
class DeclaredBlock:
    line: int
    text: str


@dataclass
class SkippedBlock:
    line: int
    column: Optional[int]
    reason: str
    has_relation: bool = True   # looks like a chain: reported in every format, fails --strict


@dataclass
class Reading:
    filename: str
    blocks: List[object] = field(default_factory=list)

    @property
    def chains(self):
        return [b for b in self.blocks if isinstance(b, ChainBlock)]


class _Line:
    """A line of the synthesized ``.deriv`` text and where its pieces came from."""

    __slots__ = ("text", "cols", "owner", "exact")

    def __init__(self, prefix, pieces, suffix="", owner=None, exact=False):
        self.exact = exact          # one piece, the file's own text: columns map one to one
        s, cols = prefix, []
        for p in pieces:
            if s and not s.endswith(" "):
                s += " "
            cols.append((len(s) + 1, p.pos))
            s += p.text
        self.text, self.cols, self.owner = s + suffix, cols, owner

    def source_pos(self, column):
        column = column or 1
        best = None
        for col, pos in self.cols:
            if col <= column:
                best = pos + (column - col if self.exact else 0)
        return best if best is not None else (self.cols[0][1] if self.cols else None)


def read_document(text: str, filename: str, kind: str) -> Reading:
    """The chains, declarations and skipped displays of a Markdown (``md``) or LaTeX (``tex``)
    document. Raises InputError only for the file as a whole."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > MAX_DOCUMENT_CHARS:
        raise InputError(f"file too large (over {MAX_DOCUMENT_CHARS} characters)", 1, 1, filename)
    return _Document(text, filename, kind).read()


class _Document:
    def __init__(self, text, filename, kind):
        self.text, self.filename, self.kind = text, filename, kind
        self.lines = LineIndex(text)
        self.raw_lines = text.split("\n")
        self.preamble: List[_Line] = []        # file-wide lines of the file language
        self.families: Dict[str, Tuple[str, int]] = {}   # let q = q_phi(z | x)
        self.functions = set()                 # lets with parameters
        self.names = set()                     # every let's name
        self.reading = Reading(filename)

    # -- positions
    def at(self, pos):
        return self.lines.at(pos)

    def where(self, pos):
        line, col = self.at(pos)
        return f"{self.filename}:{line}:{col}"

    def input_error(self, message, pos):
        line, col = self.at(pos)
        source = self.raw_lines[line - 1] if line - 1 < len(self.raw_lines) else None
        if source is not None and len(source) > 500:
            source = None
        return InputError(message, line, col, self.filename, source)

    # -- the whole document
    def read(self):
        items = scan(self.text, self.kind)
        chains = []           # (display items, attached before, attached after)
        pending_before: List[Sentence] = []
        for item in items:
            if isinstance(item, Declaration):
                chains.append(("declaration", item))
            elif isinstance(item, Unclosed):
                chains.append(("unclosed", item))
            elif isinstance(item, Sentence):
                if item.kind == "assuming":
                    last = next((c for c in reversed(chains) if c[0] == "display"), None)
                    if last is not None:
                        last[3].append(item)
                else:
                    pending_before.append(item)
            elif isinstance(item, Display):
                chains.append(("display", item, pending_before, []))
                pending_before = []
        previous = None
        for entry in chains:
            if entry[0] == "declaration":
                self.declare(entry[1])
            elif entry[0] == "unclosed":
                line, _ = self.at(entry[1].pos)
                self.reading.blocks.append(SkippedBlock(line, None, f"{entry[1].what} is "
                                                                    "never closed"))
            else:
                previous = self.display(entry[1], entry[2], entry[3], previous)
        return self.reading

    # -- declarations
    def declare(self, item: Declaration):
        m = re.match(r"let\s+([pqr](?:_[A-Za-z0-9]+)*)\s*=\s*(.+)\Z", item.text)
        if m is not None:
            family, density = m.group(1), m.group(2).strip()
            if not re.fullmatch(r"[pqr](?:_[A-Za-z0-9]+)*\s*\(.*\)", density):
                raise self.input_error(f"'let {family} = ...' names the density that a bare "
                                       f"{family} means: write let {family} = {family}(z | x)",
                                       item.pos)
            self.validate([_Line("let elbocheckfamily = log ", [Piece(density, m.start(2) + item.pos)],
                                 owner=("declaration",), exact=True)], item.pos)
            self.families[family] = (density, item.pos)
            return
        line = _Line("", [Piece(item.text, item.pos)], owner=("declaration",), exact=True)
        self.validate([line], item.pos)
        self.note_let(item.text)
        self.preamble.append(line)

    def note_let(self, text):
        m = re.match(r"let\s+([A-Za-z][A-Za-z0-9_]*)\s*(\()?", text)
        if m:
            self.names.add(m.group(1))
            if m.group(2):
                self.functions.add(m.group(1))

    def validate(self, lines, pos):
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
    def display(self, item: Display, before, after, previous):
        first_line = self.at(item.body_start)[0]
        if item.body_end - item.body_start > MAX_DISPLAY_CHARS:
            self.reading.blocks.append(SkippedBlock(first_line, None, "display too long "
                                                    f"(over {MAX_DISPLAY_CHARS} characters)"))
            return None
        tokens = tokenize(self.text, item.body_start, item.body_end)
        rows, labels = display_rows(tokens, self.text, RULE_NAMES)
        if not rows:
            self.reading.blocks.append(SkippedBlock(first_line, None, "an empty display",
                                                    has_relation=False))
            return None
        nodes, continues = chain_nodes(rows)
        marked = any(r.marked for r in rows)
        equations = _equations(nodes)
        chain = None
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
        claims = []
        for eq in equations:
            claims += brace_claims(eq)
        for eq in equations + [None] + claims:
            if eq is None:          # the side claims of the braces follow the equations
                continue
            side = eq in claims
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
                name = f"{name}-brace-{claims.index(eq) + 1}"
            k = next((i for i, e in enumerate(equations) if e is eq), -1)
            role = ("consequence" if not side and eq[0].implied else
                    "hypothesis" if not side and k + 1 < len(equations)
                    and equations[k + 1][0].implied else "")
            chain = {"nodes": eq, "name": name, "marked": marked or side, "role": role,
                     "display": first_line, "line": line, "before": before, "after": after, "index": None,
                     "added": [], "names": set(self.names),
                     "functions": set(self.functions)}
            if len(eq) == 2 and eq[1].relation.kind == "=" and not marked and self.model(chain):
                chain = None
                continue
            self.rebuild(chain)
        return chain

    def place(self, chain, block):
        if chain["index"] is None:
            chain["index"] = len(self.reading.blocks)
            self.reading.blocks.append(block)
        else:
            self.reading.blocks[chain["index"]] = block

    # -- models written as displays
    def model(self, chain) -> bool:
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
                     owner=("declaration",))
        try:
            parsed = self.validate([line], chain["nodes"][0].pos)
        except InputError as exc:
            self.reading.blocks.append(SkippedBlock(exc.line, exc.column,
                                                    f"no model: {exc.message}"))
            return True
        from ..printing.text import model_text

        self.preamble.append(line)
        models = parsed[0].models if parsed else ()
        shown = model_text(models[-1]) if models else text_of(left) + " = " + text_of(right)
        self.reading.blocks.append(DeclaredBlock(chain["line"], "model " + shown))
        return True

    # -- chains
    def rebuild(self, chain):
        for ln in chain["added"]:
            if ln in self.preamble:
                self.preamble.remove(ln)
        chain["added"] = []
        self.names, self.functions = set(chain["names"]), set(chain["functions"])
        block = self.chain_block(chain)
        self.place(chain, block)

    def chain_block(self, chain):
        nodes: List[Node] = chain["nodes"]
        ctx = Context(self.text, self.functions)
        pieces: List[Optional[List[Piece]]] = []
        reasons: Dict[int, str] = {}
        for i, node in enumerate(nodes):
            read = None
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
        # bare families: the one density of that family written out in the display
        for i, ps in enumerate(pieces):
            if ps is None:
                continue
            for p in ps:
                if isinstance(p, Bare):
                    problem = self.resolve(p, ctx)
                    if problem is not None:
                        line, col = self.at(p.pos)
                        block = SkippedBlock(line, col, problem)
                        return block
        step_unread: Dict[int, str] = {}
        for i, node in enumerate(nodes[1:], 1):
            if node.relation.kind == "unread":
                step_unread[i] = (f"{self.where(node.relation.pos)}: {node.relation.text} "
                                  "has no reading")
        # definitions: a new name on the left of the first '=', ':=' anywhere, '=:'
        lets: List[_Line] = []
        relations = [None] + [n.relation.kind for n in nodes[1:]]
        by_definition = set()
        attached = self.attached(chain)
        local_names = {re.match(r"let\s+([A-Za-z][A-Za-z0-9_]*)", ln.text).group(1)
                       for ln in attached if ln.text.startswith("let ")}
        # elbo-check's own documents (rows with a verdict mark) state their lets in where
        # lines: their chains start from an expression as written, never define a name
        marked = chain.get("marked", False)
        if pieces[0] is not None and len(nodes) > 1 and pieces[1] is not None and \
                (relations[1] == ":=" or (relations[1] == "=" and not marked)):
            elsewhere = [p for ps in pieces[2:] if ps is not None for p in ps]
            head = self.new_name(pieces[0], pieces[1] + elsewhere, ctx, local_names,
                                 explicit=relations[1] == ":=")
            if head is not None:
                lets.append(_Line("let ", [Piece(head, nodes[0].pos),
                                           Piece("=", nodes[1].pos)] + pieces[1],
                                  owner=("node", 1)))
                pieces[0] = [Piece(head, pieces[0][0].pos, "name")]   # L(theta, phi; x)
                local_names.add(head.split("(")[0])
                by_definition.add(1)
        for i in range(1, len(nodes)):
            if relations[i] == "=:" and pieces[i] is not None and pieces[i - 1] is not None:
                name = self.new_name(pieces[i], pieces[i - 1], ctx, local_names)
                if name is not None:
                    lets.append(_Line("let ", [Piece(name, nodes[i].pos),
                                               Piece("=", nodes[i].pos)] + pieces[i - 1],
                                      owner=("node", i - 1)))
                    local_names.add(name.split("(")[0])
                    by_definition.add(i)
        functions, conflicts = self.unknown_functions(pieces, local_names)
        for i, reason in conflicts.items():
            reasons.setdefault(i, reason)
        declared = [_function_line(functions)] if functions else []
        bad = dict(reasons)
        for _ in range(len(nodes) + 2):
            segments = _segments(len(nodes), bad, step_unread)
            lines = list(self.preamble[:]) + declared + attached + [
                ln for ln in lets if ln.owner[1] not in bad]
            seg_steps = []
            for k, seg in enumerate(segments):
                lines.append(_Line(f"derivation seg{k}", [], owner=("header",)))
                for j, i in enumerate(seg):
                    if j == 0:
                        lines.append(_Line("", pieces[i], owner=("node", i)))
                    else:
                        rel = "=" if relations[i] in (":=", "=:") else relations[i]
                        rules = list(nodes[i].rules)
                        if i in by_definition and "definition" not in rules:
                            rules = rules + ["definition"] if rules else []
                        by = " by " + ", ".join(rules) if rules else ""
                        lines.append(_Line("", [Piece(rel, nodes[i].pos)] + pieces[i], by,
                                           owner=("node", i)))
                seg_steps.append(seg[1:])
            if not segments:
                break
            problem = self.parse(lines)
            if isinstance(problem, list):
                parsed = problem
                break
            owner, message, pos = problem
            if owner is None or owner[0] != "node":
                # a problem of the declarations or the chain as a whole: no reading at all
                for i in range(len(nodes)):
                    bad.setdefault(i, f"{self.where(pos)}: {message}")
                segments = []
                break
            bad[owner[1]] = f"{self.where(pos)}: {message}"
        else:
            segments = []
        if not segments:
            first = next(iter(sorted({**bad, **step_unread}.items())), (0, "no readable row"))
            reason = first[1]
            m = re.match(re.escape(self.filename) + r":(\d+):(\d+): (.*)\Z", reason, re.S)
            if m:
                return SkippedBlock(int(m.group(1)), int(m.group(2)), m.group(3))
            return SkippedBlock(chain["line"], None, reason)
        return self.assemble(chain, nodes, pieces, parsed, segments, bad, step_unread,
                             relations, lets, functions)

    def attached(self, chain) -> List[_Line]:
        """The printer's sentences around this chain: where (let), Model, Assuming."""
        out = []
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
                try:
                    left = Translator(normalize(nodes[0].tokens), ctx).expression()
                    right = Translator(normalize(nodes[1].tokens), ctx).expression()
                except NoReading:
                    continue
                rel = nodes[1].relation
                if sentence.kind == "where" and rel.kind == "=":
                    head = text_of(left)
                    line = _Line("let ", left + [Piece("=", rel.pos)] + right,
                                 owner=("declaration",))
                    self.functions.add(head.split("(")[0].strip()) if "(" in head else None
                elif sentence.kind == "model" and rel.kind == "=":
                    line = _Line("model ", left + [Piece("=", rel.pos)] + right,
                                 owner=("declaration",))
                elif sentence.kind == "assuming" and rel.kind not in ("unread", ":=", "=:"):
                    line = _Line("assume ", left + [Piece(rel.kind, rel.pos)] + right,
                                 owner=("declaration",))
                else:
                    continue
                out.append(line)
        return out

    def parse(self, lines):
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
                if ln.owner and ln.owner[0] == "header":
                    # 'derivation has no steps' and the like: blame the line after it
                    nxt = lines[index + 1] if index + 1 < len(lines) else None
                    return ((nxt.owner if nxt else None), exc.message,
                            nxt.source_pos(1) if nxt else 0)
                return ln.owner, exc.message, pos if pos is not None else 0
            return None, exc.message, 0
        except RecursionError:
            return None, "nested too deep", 0

    def new_name(self, head: List[Piece], body: List[Piece], ctx, local,
                 explicit=True) -> Optional[str]:
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
        if not NAME.match(name) or FAMILY.match(name) or name in KNOWN_WORDS \
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

    def unknown_functions(self, pieces, local):
        """(names, conflicts): the names the display applies to brackets that are no let (the
        unknown functions, \\mathrm{ReLU}(x)), and for each node that uses one of them also
        as a plain variable (\\sigma(x) and \\sigma^2), why it has no reading."""
        applied, plain = {}, {}
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

    def resolve(self, bare: Bare, ctx) -> Optional[str]:
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

    def assemble(self, chain, nodes, pieces, parsed, segments, bad, step_unread, relations,
                 lets, functions=frozenset()):
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
        used |= {ln.text.split()[1].split("(")[0] for ln in lets + self.attached(chain)
                 if ln.text.startswith("let ")}
        definitions = [d for d in definitions if d.name in used]
        derivation = Derivation(chain["name"], "", start, tuple(steps),
                                tuple(first.assumptions), tuple(definitions), "",
                                self.at(nodes[0].pos)[0], tuple(first.models), "latex")
        # the names a display defines hold for the displays after it (with the unknown
        # functions their bodies apply)
        kept = [ln for ln in lets if ln.owner[1] not in bad]
        applied = sorted(f for f in functions
                         if any(re.search(r"(?<![A-Za-z0-9_])" + re.escape(f) + r" \(", ln.text)
                                for ln in kept))
        if applied:
            line = _function_line(applied)
            self.preamble.append(line)
            chain["added"].append(line)
        for ln in lets:
            if ln.owner[1] not in bad:
                kept = _Line("", [], owner=("declaration",))
                kept.text, kept.cols = ln.text, ln.cols
                self.preamble.append(kept)
                chain["added"].append(kept)
        return ChainBlock(derivation, steps_of, unread, chain["line"],
                          chain.get("display", chain["line"]), chain.get("role", ""))


def _source(tokens):
    kept = [t for t in tokens if t.kind != AMP]
    while kept and kept[0].kind == SPACE:
        kept.pop(0)
    return "".join(t.text for t in kept).strip()


def _one_density(pieces) -> bool:
    return bool(pieces) and pieces[0].tag == "family" and _closing(pieces, 1) == len(pieces) - 1


def _closing(pieces, i):
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


def _product_of_densities(pieces) -> bool:
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


def _function_line(names) -> "_Line":
    """``function ReLU, g_theta``: the display's unknown functions, declared for the parser."""
    return _Line("function " + ", ".join(sorted(names)), [], owner=("declaration",))


def _equations(nodes: List[Node]) -> List[List[Node]]:
    """The display's equations: a node with no relation after the first starts a new one."""
    out: List[List[Node]] = []
    for node in nodes:
        if node.relation is None or not out:
            out.append([])
        out[-1].append(node)
    return out


def _segments(n, bad, step_unread):
    """Maximal runs of readable nodes joined by readable relations, of two nodes or more."""
    out, run = [], []
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
