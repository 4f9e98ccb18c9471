r"""A display's rows and the chain in them.

Rows split at ``\\`` (outside braces and inner environments such as ``cases``), ``&`` is
ignored, and annotations are taken off: ``\tag``, ``\label`` (kept as the display's name),
``\nonumber``, and a tail that is only commentary (``&& \text{..}``, ``\quad \text{(Jensen)}``,
the printer's ``&& \checkmark\ \text{linearity}``, whose rule names are read as the step's
citation). A row that begins with a relation is a step; one that begins with neither continues
the row above. Each row is then cut at its top-level relations into the chain's nodes.
"""
import re
from dataclasses import dataclass, field
from typing import Container, List, Optional, Tuple

from ..notation import GREEK_LATEX
from .tokens import AMP, CLOSE, CS, DIGIT, LETTER, OPEN, OTHER, SPACE, SUB, SUP, Tok
from .translate import (BIG, CLAIM_BREAKS, RELATION_CHARS, RELATION_CS, SPACING, TIMES,
                        UNREAD_RELATIONS)

TRANSPARENT = frozenset("aligned split gathered alignedat align align* equation equation* "
                        "gather gather* eqnarray eqnarray* multline multline* flalign "
                        "flalign* alignat alignat* displaymath math".split())
INNER = frozenset("aligned split gathered alignedat".split())
WORDS_HEADS = frozenset(r"\text \textrm \textit \textnormal \mbox \textup \textsf \emph "
                        r"\textbf".split())
ROW_BREAKS = frozenset((r"\\", r"\cr", r"\newline"))
ANNOTATION_HEADS = frozenset(r"\text \mbox \textrm \textit \textnormal \checkmark \textup "
                             r"\textbf \emph \mathrm \tag \tag*".split())
# sizes a remark is set in (never mathematics by themselves)
STYLES = frozenset(r"\scriptstyle \scriptscriptstyle \textstyle \small \footnotesize \tiny "
                   r"\scriptsize".split())
WIDE_SPACES = frozenset(r"\quad \qquad \hspace \hspace* \hfill".split())
# what sets an equation number apart from the row on the page: a wide gap, or \nonumber's kin
LABEL_SPACES = WIDE_SPACES | frozenset(r"\nonumber \notag \enspace".split())
# a word of prose that starts a condition or a remark (x \text{ if } x > 0), never a name
CONNECTIVES = frozenset("if iff for when where whenever with since as because using by and or "
                        "then so thus hence given unless provided otherwise via".split())
DEFINITION_MARKS = ("def", "Delta", "triangle", "triangleq", ":", "DEF", "d")
# a hand-written equation number: (2), (3a), (A.1), (2.1)
EQUATION_NUMBER = re.compile(r"[0-9]+[a-z]?|[A-Z]?[0-9]*(?:\.[0-9]+)+[a-z]?|[A-Z][0-9]+[a-z]?")
# a brace label that marks a term for the prose, \underbrace{X}_{(a)}: no claim
REFERENCE_MARK = re.compile(r"\([A-Za-z0-9.]{1,6}\)|\[[A-Za-z0-9.]{1,6}\]|\((?:\*|\\star|\\ast|"
                            r"\\dagger)\)")
# what continues the expression of the row above when a row begins with it
OPERATOR_TEXTS = frozenset("+ - * / , ; − · ×".split()) | TIMES | {r"\pm", r"\mp", r"\div"}


@dataclass
class Relation:
    kind: str             # '=', '<=', '>=', '<', '>', ':=', '=:', or 'unread'
    text: str             # as written
    pos: int


@dataclass
class Row:
    tokens: List[Tok]
    rules: List[str] = field(default_factory=list)
    marked: bool = False      # carries a verdict mark (elbo-check's own documents): a step
    labels: List[str] = field(default_factory=list)     # its \label{..}s
    problem: Optional[Tuple[str, int]] = None           # why it has no reading, and where


@dataclass
class Node:
    """An expression of the chain, and the relation that leads to it (None for the start)."""
    tokens: List[Tok]
    relation: Optional[Relation]
    rules: List[str] = field(default_factory=list)
    labels: List[str] = field(default_factory=list)     # the labels of its row
    problem: Optional[Tuple[str, int]] = None           # its row has no reading: why, where
    implied: bool = False     # it follows \Rightarrow: the claim of an implication

    @property
    def pos(self) -> int:
        if self.relation is not None:
            return self.relation.pos
        meaningful = [t for t in self.tokens if t.kind not in (SPACE, AMP)]
        return meaningful[0].at if meaningful else (self.tokens[0].at if self.tokens else 0)


def _skip_spaces(tokens: List[Tok], i: int) -> int:
    while i < len(tokens) and tokens[i].kind == SPACE:
        i += 1
    return i


def _group_end(tokens: List[Tok], i: int) -> int:
    """Index just after the group or single token that starts at ``i`` (spaces skipped)."""
    i = _skip_spaces(tokens, i)
    if i >= len(tokens):
        return i
    if tokens[i].kind != OPEN:
        return i + 1
    level = 0
    while i < len(tokens):
        if tokens[i].kind == OPEN:
            level += 1
        elif tokens[i].kind == CLOSE:
            level -= 1
            if level == 0:
                return i + 1
        i += 1
    return i


def _group_text(source: str, tokens: List[Tok], i: int, j: int) -> str:
    """The text of the group ``tokens[i:j]`` without its braces (as its tokens spell it: a
    macro's expansion, or Markdown unescaped, is what is read)."""
    inner = [t for t in tokens[i:j] if t.kind not in (OPEN, CLOSE) or False]
    if not inner:
        return ""
    s = "".join(t.text for t in tokens[i:j])
    return s[1:-1] if s.startswith("{") and s.endswith("}") else s


def split_rows(tokens: List[Tok], source: str) -> Tuple[List[List[Tok]], List[Tuple[int, str]]]:
    """(rows, labels): the display's rows and the ``\\label``s written in it, each as (the
    index of its row, its text). A label outside an inner environment (after
    ``\\end{aligned}``) names the whole display: it goes with the first row."""
    rows: List[List[Tok]] = []
    labels: List[Tuple[int, str]] = []
    current: List[Tok] = []
    level = opaque = 0
    inner = seen_inner = 0       # inner environments open, and seen (aligned, split, ...)
    i = 0
    n = len(tokens)
    while i < n:
        t = tokens[i]
        if t.kind == CS and t.text in (r"\begin", r"\end"):
            j = _group_end(tokens, i + 1)
            name = _group_text(source, tokens, i + 1, j).strip()
            if name in TRANSPARENT:
                if name in ("alignedat", "alignat", "alignat*") and t.text == r"\begin":
                    j = _group_end(tokens, j)
                if name in INNER:
                    inner += 1 if t.text == r"\begin" else -1
                    seen_inner = 1
                i = j
                continue
            opaque += 1 if t.text == r"\begin" else -1
            current.extend(tokens[i:j])
            i = j
            continue
        if t.kind == OPEN:
            level += 1
        elif t.kind == CLOSE:
            level -= 1
        if t.kind == CS and t.text == r"\label":
            j = _group_end(tokens, i + 1)
            whole = seen_inner and inner <= 0
            labels.append((0 if whole else len(rows), _group_text(source, tokens, i + 1, j)
                           .strip()))
            i = j
            continue
        if t.kind == CS and t.text in ROW_BREAKS and level <= 0 and opaque <= 0:
            rows.append(current)
            current = []
            i += 1
            k = _skip_spaces(tokens, i)
            if k < n and tokens[k].text == "*":
                k = _skip_spaces(tokens, k + 1)
                i = k
            if k < n and tokens[k].text == "[":          # \\[2pt]
                close = next((m for m in range(k, min(n, k + 12)) if tokens[m].text == "]"), None)
                if close is not None:
                    i = close + 1
            continue
        current.append(t)
        i += 1
    rows.append(current)
    kept: List[List[Tok]] = []
    index: List[int] = []
    for r in rows:
        if any(t.kind != SPACE for t in r):
            kept.append(r)
        index.append(max(len(kept) - 1, 0))
    return kept, [(index[k], text) for k, text in labels]


def display_rows(tokens: List[Tok], source: str,
                 rule_names: Container[str]) -> Tuple[List[Row], List[str]]:
    """The display's rows without their annotations, each with its labels (rows left empty
    give theirs to the row above), and all the labels in order."""
    token_rows, labels = split_rows(tokens, source)
    rows = [strip_annotations(r, source, rule_names) for r in token_rows]
    for k, text in labels:
        if rows:
            rows[k].labels.append(text)
    kept: List[Row] = []
    waiting: List[str] = []          # labels of empty rows before the first row kept
    for row in rows:
        if any(t.kind not in (SPACE, AMP) for t in row.tokens):
            row.labels[:0] = waiting
            waiting = []
            kept.append(row)
        elif kept:
            kept[-1].labels.extend(row.labels)
        else:
            waiting.extend(row.labels)
    return kept, [text for _, text in labels]


def strip_annotations(row: List[Tok], source: str, rule_names: Container[str]) -> Row:
    """The row without tags and commentary; rule names in the commentary are its citation."""
    out: List[Tok] = []
    rules: List[str] = []
    marked = False
    i, n = 0, len(row)
    level = 0
    while i < n:
        t = row[i]
        if t.kind == CS and t.text in (r"\tag", r"\tag*"):
            i = _group_end(row, i + 1)
            continue
        if t.kind == CS and t.text in (r"\nonumber", r"\notag"):
            i += 1
            continue
        if t.kind == OPEN:
            level += 1
        elif t.kind == CLOSE:
            level -= 1
        if level == 0 and _tail_starts(row, i, source):
            rules.extend(_cited(row[i:], source, rule_names))
            marked = any(x.text in (r"\checkmark", r"\times", "?") for x in row[i:])
            break
        out.append(t)
        i += 1
    _trim_end(out)
    problem = None
    number = _equation_number(out)
    if number is not None:
        start, label = number
        if label:
            del out[start:]
            _trim_end(out)
            while out and out[-1].kind == CS and out[-1].text in LABEL_SPACES:
                out.pop()          # the gap before the number (\hfill (2))
                _trim_end(out)
        else:
            problem = ("a number in brackets ends the row: an equation number or a factor? "
                       "(an equation number stands after a wide gap, \\qquad (2); a factor "
                       "after \\cdot)", out[start].pos)
    return Row(out, rules, marked, problem=problem)


def _trim_end(out: List[Tok]) -> None:
    """Spaces, ``&`` and the ``.``, ``,`` that end a row taken off."""
    while out and (out[-1].kind == SPACE or (out[-1].kind == OTHER and out[-1].text in ".,;")
                   or out[-1].kind == AMP):
        out.pop()


def _equation_number(out: List[Tok]) -> Optional[Tuple[int, bool]]:
    """(index of its '(', True) when the row ends in a hand-written equation number, (index,
    False) when a bracketed number ends it that may be a number or a factor, else None.

    ``(2)``, ``(3a)``, ``(A.1)`` after a wide gap the page shows (``\\quad``, ``\\qquad``,
    ``\\hfill``, ``&``) is a label, and so is ``(3a)`` or ``(A.1)`` at the end after anything
    but a name; after an operator (``\\cdot (2)``) or a name it may apply to (``f(2)``) it is
    written mathematics. A plain number after a space or a thin gap (``2 (3)``, ``2\\,(3)``:
    typeset as 2(3)) may be either."""
    if not out or out[-1].text != ")":
        return None
    k = len(out) - 2
    while k >= 0 and (out[k].kind in (DIGIT, LETTER, SPACE) or out[k].text == "."):
        k -= 1
    if k < 0 or out[k].text != "(":
        return None
    label = "".join(t.text for t in out[k + 1:-1] if t.kind != SPACE)
    if not EQUATION_NUMBER.fullmatch(label):
        return None
    j = k - 1
    while j >= 0 and out[j].kind == SPACE:
        j -= 1
    prev = out[j] if j >= 0 else None
    if prev is not None and (prev.kind == OPEN or prev.text in OPERATOR_TEXTS or
                             prev.text in RELATION_CHARS or prev.text in "([" or
                             (prev.kind == CS and prev.text in RELATION_CS)):
        return None                      # \cdot (2), = (2): written mathematics
    if prev is None or prev.kind == AMP or (prev.kind == CS and prev.text in LABEL_SPACES):
        return k, True                   # \qquad (2), & (2): a wide gap that a reader sees
    before = out[k - 1]                  # prev is a token: k - 1 >= j >= 0
    if before.kind == LETTER or (before.kind == CS and before.text in GREEK_LATEX):
        return None                      # f(2), f(3a): an application
    if re.search("[A-Za-z]", label):
        return k, True                   # (3a), (A.1): no number
    # a space typesets as nothing in math, and \, as a thin gap: '2 (3)' is 2(3) on the page
    return k, False


def _tail_starts(row: List[Tok], i: int, source: str) -> bool:
    """Whether commentary starts at ``row[i]``: ``&&``, or a wide space or text before prose."""
    t = row[i]
    if t.kind == AMP:
        j = _skip_spaces(row, i + 1)
        if j < len(row) and row[j].kind == AMP:
            return True
        # a remark set small in a column of its own: & \scriptstyle{\text{; because} ..}
        k = j
        while k < len(row) and (row[k].text in STYLES or row[k].kind in (OPEN, SPACE)):
            k += 1
        return j < k < len(row) and any(x.text in STYLES for x in row[j:k]) and \
            row[k].text in WORDS_HEADS and _tail_starts(row, k, source)
    if t.kind == CS and t.text in WIDE_SPACES:
        j = i + 1
        if t.text.startswith(r"\hspace"):
            j = _group_end(row, j)
        while j < len(row) and (row[j].kind == SPACE or row[j].text in (r"\quad", r"\qquad",
                                                                          r"\,", r"\;", "(")):
            j += 1
        if j >= len(row):
            return True
        return row[j].kind == CS and row[j].text in ANNOTATION_HEADS and row[j].text != r"\mathrm"
    if t.kind == CS and t.text in (r"\text", r"\mbox", r"\textrm", r"\textit", r"\textnormal"):
        j = _group_end(row, i + 1)
        words = _group_text(source, row, i + 1, j).strip()
        return not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", words) or words in CONNECTIVES
    if t.kind == CS and t.text in (r"\checkmark", r"\eqno", r"\leqno"):
        return True      # plain TeX's \eqno (2): an equation number to the row's end
    return False


def _cited(tail: List[Tok], source: str, rule_names: Container[str]) -> List[str]:
    """Rule names in the texts of a commentary tail, when a text holds only rule names."""
    found: List[str] = []
    i = 0
    while i < len(tail):
        t = tail[i]
        if t.kind == CS and t.text in (r"\text", r"\mbox", r"\textrm", r"\textnormal"):
            j = _group_end(tail, i + 1)
            words = [w for w in re.split(r"[\s,()]+", _group_text(source, tail, i + 1, j)) if w]
            if words and all(w in rule_names for w in words):
                found.extend(w for w in words if w not in found)
            i = j
            continue
        i += 1
    return found


def _skip_spaces_amp(tokens: List[Tok], i: int) -> int:
    while i < len(tokens) and tokens[i].kind in (SPACE, AMP):
        i += 1
    return i


def relation_at(tokens: List[Tok], i: int) -> Optional[Tuple[Relation, int]]:
    """(Relation, index after it) when a relation starts at ``tokens[i]``, else None."""
    t = tokens[i]
    if t.kind == OTHER and t.text == ":":
        j = _skip_spaces(tokens, i + 1)
        if j < len(tokens) and tokens[j].text == "=":
            return Relation(":=", ":=", t.at), j + 1
        return None
    if t.kind == OTHER and t.text in RELATION_CHARS:
        kind = RELATION_CHARS[t.text]
        j = i + 1
        if t.text == "=":
            k = _skip_spaces(tokens, j)
            if k < len(tokens) and tokens[k].text == ":":
                return Relation("=:", "=:", t.at), k + 1
        elif t.text in "<>":
            k = j
            if k < len(tokens) and tokens[k].text == "=":
                return Relation(kind + "=", t.text + "=", t.at), k + 1
        return Relation(kind, t.text, t.at), j
    if t.text in CLAIM_BREAKS:
        return Relation("claim", t.text, t.at), i + 1
    if t.kind == OTHER and t.text in ("≠", "≈", "∝"):
        return Relation("unread", t.text, t.at), i + 1
    if t.kind == CS and t.text in RELATION_CS:
        return Relation(RELATION_CS[t.text], t.text, t.at), i + 1
    if t.kind == CS and t.text in UNREAD_RELATIONS:
        j = i + 1
        if t.text == r"\not":
            j = _group_end(tokens, j)
        return Relation("unread", t.text, t.at), j
    if t.kind == CS and t.text in (r"\stackrel", r"\overset"):
        j = _group_end(tokens, i + 1)
        above = "".join(x.text for x in tokens[i + 1:j] if x.kind not in (SPACE, OPEN, CLOSE))
        k = _group_end(tokens, j)
        inner = [x for x in tokens[j:k] if x.kind not in (SPACE, OPEN, CLOSE)]
        if not inner:
            return None
        found = relation_at(inner, 0)
        if found is None or found[1] != len(inner):
            return None
        rel = found[0]
        plain = re.sub(r"\\(text|mathrm|mbox|rm)", "", above).strip("{}() ")
        if rel.kind == "=" and plain.lstrip("\\") in DEFINITION_MARKS:
            return Relation(":=", "\\stackrel{def}{=}", t.at), k
        return Relation(rel.kind, rel.text, t.at), k
    return None


def chain_nodes(rows: List[Row]) -> Tuple[List[Node], bool]:
    """(nodes, continues): the chain's nodes; ``continues`` is True when the first row begins
    with a relation (the display continues the chain of the display before it).

    A node after the first whose relation is None starts a new equation of the display: a row
    that begins with its own left side and a relation after a finished row (an equation list),
    or what follows ``\\Rightarrow``, ``\\implies`` (a new claim). Neither is ever joined to
    the row above."""
    merged: List[Row] = []
    for row in rows:
        if merged and _leading_relation(row.tokens) is None and \
                not _starts_equation(merged[-1].tokens, row.tokens):
            last = merged[-1]
            last.tokens.extend(row.tokens)
            last.rules.extend(r for r in row.rules if r not in last.rules)
            last.labels.extend(row.labels)
            last.problem = last.problem or row.problem
        else:
            merged.append(Row(list(row.tokens), list(row.rules), labels=list(row.labels),
                              problem=row.problem))
    nodes: List[Node] = []
    first = _leading_relation(merged[0].tokens) if merged else None
    continues = first is not None and first.kind != "claim"
    implied = False
    for row in merged:
        parts = _split(row.tokens)
        for k, (relation, tokens) in enumerate(parts):
            meaningful = any(t.kind not in (SPACE, AMP) for t in tokens)
            if relation is not None and relation.kind == "claim":
                implied = True
                if not meaningful:
                    continue           # '\\Rightarrow' ending a row: the next row is the claim
                relation = None
            elif relation is None and k == 0 and not meaningful:
                continue
            nodes.append(Node(tokens, relation, row.rules if k == len(parts) - 1 else [],
                              list(row.labels), row.problem,
                              implied=implied and relation is None))
            implied = False
    return _elide_ellipses(nodes), continues


ELLIPSES = frozenset(r"\dots \cdots \ldots \vdots \dotsc \dotsb \dotso".split()) | {"…"}
_DIRECTION = {"<": "<=", "<=": "<=", ">": ">=", ">=": ">="}


def _elide_ellipses(nodes: List[Node]) -> List[Node]:
    r"""``A &= \dots \\ &= B``: steps left out, the claim A = B. A node that is only an
    ellipsis is taken out and its relation joined to the next one (= with = is =, = with >=
    is >=, >= with <= has no reading)."""
    out: List[Node] = []
    for k, node in enumerate(nodes):
        after = nodes[k + 1] if k + 1 < len(nodes) else None
        if out and node.relation is not None and _only_ellipsis(node.tokens) and \
                after is not None and after.relation is not None:
            after.relation = _joined(node.relation, after.relation)
            continue
        out.append(node)
    return out


def _only_ellipsis(tokens: List[Tok]) -> bool:
    meaningful = [t for t in tokens if t.kind not in (SPACE, AMP) and t.text not in (r"\,",
                                                                                   r"\;", ".")]
    return len(meaningful) == 1 and meaningful[0].text in ELLIPSES


def _joined(first: Relation, second: Relation) -> Relation:
    """The relation of a step whose middle is left out."""
    kinds = {first.kind, second.kind} - {"="}
    if not kinds:
        return Relation("=", second.text, second.pos)
    if len(kinds) == 1 and kinds <= set(_DIRECTION):
        kind = kinds.pop()
        return Relation(kind, second.text if second.kind == kind else first.text, second.pos)
    if kinds <= set(_DIRECTION) and len({_DIRECTION[k] for k in kinds}) == 1:
        kind = _DIRECTION[next(iter(kinds))]        # < with <= is <=: the weaker claim
        return Relation(kind, second.text, second.pos)
    return Relation("unread", f"{first.text} .. {second.text}", second.pos)


def _leading_relation(tokens: List[Tok]) -> Optional[Relation]:
    i = _skip_spaces_amp(tokens, 0)
    found = relation_at(tokens, i) if i < len(tokens) else None
    return found[0] if found else None


def _starts_equation(above: List[Tok], row: List[Tok]) -> bool:
    """Whether ``row``, which does not begin with a relation, is a new equation rather than the
    continuation of ``above``: ``above`` is finished (it holds a relation, its brackets are
    closed, it ends in no operator, or it ends in a claim break) and ``row`` has a relation of
    its own after a left side that begins with no operator."""
    parts = _split(above)
    if len(parts) < 2:
        return False
    last = [t for t in parts[-1][1] if t.kind not in (SPACE, AMP)]
    if _is_claim(parts[-1][0]) and not last:
        return True
    if not last or _depth(above) != 0 or last[-1].text in OPERATOR_TEXTS:
        return False
    own = _split(row)
    if len(own) < 2 or _is_claim(own[1][0]):
        return False
    head = [t for t in own[0][1]
            if t.kind not in (SPACE, AMP) and not (t.kind == CS and t.text in SPACING)]
    return bool(head) and head[0].text not in OPERATOR_TEXTS


def _is_claim(relation: Optional[Relation]) -> bool:
    """Whether ``relation`` starts a new claim (``\\Rightarrow``)."""
    return relation is not None and relation.kind == "claim"


def _depth(tokens: List[Tok]) -> int:
    """Brackets opened and not closed in ``tokens``, counted as ``_split`` counts them."""
    level, i = 0, 0
    while i < len(tokens):
        t = tokens[i]
        if t.kind == CS and (t.text in (r"\left", r"\right") or BIG.match(t.text)):
            if t.text == r"\left" or (t.text != r"\right" and t.text.endswith("l")):
                level += 1
            elif t.text == r"\right" or t.text.endswith("r"):
                level -= 1
            i = _skip_spaces(tokens, i + 1) + 1
            continue
        if t.kind == OPEN or (t.kind == OTHER and t.text in "([") or \
                (t.kind == CS and t.text in (r"\{", r"\lbrace")):
            level += 1
        elif t.kind == CLOSE or (t.kind == OTHER and t.text in ")]") or \
                (t.kind == CS and t.text in (r"\}", r"\rbrace")):
            level -= 1
        i += 1
    return level


def brace_claims(nodes: List[Node]) -> List[List[Node]]:
    """The side claims of the braces in ``nodes``: ``\\underbrace{X}_{= 0}`` claims X = 0,
    ``\\underbrace{X}_{\\geq 0}`` X >= 0, and a label that is mathematics,
    ``\\underbrace{X}_{D_{KL}(q \\| p)}``, X = label; a label in words claims nothing. Each is an
    equation of two nodes, X and the label (X itself stays in its row, see translate)."""
    claims: List[List[Node]] = []
    for node in nodes:
        tokens = node.tokens
        for i, t in enumerate(tokens):
            if t.kind != CS or t.text not in (r"\underbrace", r"\overbrace"):
                continue
            j = _group_end(tokens, i + 1)
            k = _skip_spaces(tokens, j)
            if k >= len(tokens) or tokens[k].kind not in (SUB, SUP):
                continue
            end = _group_end(tokens, k + 1)
            inner, label = _inside(tokens[i + 1:j]), _inside(tokens[k + 1:end])
            claim = _label_claim(inner, label)
            if claim is not None:
                claims.append(claim)
    return claims


def _inside(tokens: List[Tok]) -> List[Tok]:
    """A group's tokens without its braces (a single token as it is)."""
    kept = [t for t in tokens if t.kind != SPACE]
    if kept and kept[0].kind == OPEN and kept[-1].kind == CLOSE:
        return kept[1:-1]
    return kept


def _label_claim(inner: List[Tok], label: List[Tok]) -> Optional[List[Node]]:
    if not inner or not label:
        return None
    if label[0].kind == CS and label[0].text in WORDS_HEADS:
        return None                      # a label in words: shown, never checked
    found = relation_at(label, 0)
    if found is None and REFERENCE_MARK.fullmatch("".join(t.text for t in label
                                                          if t.kind != SPACE)):
        return None                      # (a), (1), (ii), [3]: a mark the prose refers to
    if found is None:
        relation, rest = Relation("=", "=", label[0].pos), label
    else:
        relation, rest = found[0], label[found[1]:]
    if relation.kind == "claim" or not rest:
        return None
    return [Node(list(inner), None), Node(list(rest), relation)]


def _split(tokens: List[Tok]) -> List[Tuple[Optional[Relation], List[Tok]]]:
    """[(relation or None, tokens)]: the row cut at its top-level relations."""
    parts: List[Tuple[Optional[Relation], List[Tok]]] = [(None, [])]
    level = 0
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        if t.kind == OPEN or (t.kind == OTHER and t.text in "(["):
            level += 1
        elif t.kind == CLOSE or (t.kind == OTHER and t.text in ")]"):
            level -= 1
        elif t.kind == CS and (t.text in (r"\left", r"\right") or BIG.match(t.text)):
            if t.text == r"\left" or t.text.endswith("l"):
                level += 1
            elif t.text == r"\right" or t.text.endswith("r"):
                level -= 1
            j = _skip_spaces(tokens, i + 1)
            parts[-1][1].extend(tokens[i:j + 1])
            i = j + 1
            continue
        elif t.kind == CS and t.text in (r"\{", r"\lbrace"):
            level += 1
        elif t.kind == CS and t.text in (r"\}", r"\rbrace"):
            level -= 1
        if level == 0 and t.kind in (OTHER, CS):
            found = relation_at(tokens, i)
            if found is not None:
                relation, j = found
                parts.append((relation, []))
                i = j
                continue
        if t.kind in (SUB, SUP):     # a script's argument is never cut
            j = _group_end(tokens, i + 1)
            parts[-1][1].extend(tokens[i:j])
            i = j
            continue
        parts[-1][1].append(t)
        i += 1
    return parts
