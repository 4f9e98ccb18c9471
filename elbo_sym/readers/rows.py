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
from typing import List, Optional

from .tokens import AMP, CLOSE, CS, OPEN, OTHER, SPACE, SUB, SUP, Tok
from .translate import BIG, RELATION_CHARS, RELATION_CS, UNREAD_RELATIONS

TRANSPARENT = frozenset("aligned split gathered alignedat align align* equation equation* "
                        "gather gather* eqnarray eqnarray* multline multline* flalign "
                        "flalign* alignat alignat* displaymath math".split())
ROW_BREAKS = frozenset((r"\\", r"\cr", r"\newline"))
ANNOTATION_HEADS = frozenset(r"\text \mbox \textrm \textit \textnormal \checkmark \textup "
                             r"\textbf \emph \mathrm \tag \tag*".split())
WIDE_SPACES = frozenset(r"\quad \qquad \hspace \hspace* \hfill".split())
DEFINITION_MARKS = ("def", "Delta", "triangle", "triangleq", ":", "DEF", "d")


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


@dataclass
class Node:
    """An expression of the chain, and the relation that leads to it (None for the start)."""
    tokens: List[Tok]
    relation: Optional[Relation]
    rules: List[str] = field(default_factory=list)

    @property
    def pos(self) -> int:
        if self.relation is not None:
            return self.relation.pos
        meaningful = [t for t in self.tokens if t.kind not in (SPACE, AMP)]
        return meaningful[0].pos if meaningful else (self.tokens[0].pos if self.tokens else 0)


def _skip_spaces(tokens, i):
    while i < len(tokens) and tokens[i].kind == SPACE:
        i += 1
    return i


def _group_end(tokens, i):
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


def _group_text(source, tokens, i, j):
    inner = [t for t in tokens[i:j] if t.kind not in (OPEN, CLOSE) or False]
    if not inner:
        return ""
    first, last = tokens[i], tokens[j - 1]
    s = source[first.pos:last.pos + len(last.text)]
    return s[1:-1] if s.startswith("{") and s.endswith("}") else s


def split_rows(tokens: List[Tok], source: str):
    """(rows, labels): the display's rows and the ``\\label``s written in it."""
    rows, labels = [], []
    current: List[Tok] = []
    level = opaque = 0
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
            labels.append(_group_text(source, tokens, i + 1, j).strip())
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
    return [r for r in rows if any(t.kind != SPACE for t in r)], labels


def strip_annotations(row: List[Tok], source: str, rule_names) -> Row:
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
    # '.' and ',' that end the row
    while out and (out[-1].kind == SPACE or (out[-1].kind == OTHER and out[-1].text in ".,;")
                   or out[-1].kind == AMP):
        out.pop()
    return Row(out, rules, marked)


def _tail_starts(row, i, source) -> bool:
    """Whether commentary starts at ``row[i]``: ``&&``, or a wide space or text before prose."""
    t = row[i]
    if t.kind == AMP:
        j = _skip_spaces(row, i + 1)
        return j < len(row) and row[j].kind == AMP
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
        return not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", words)
    if t.kind == CS and t.text == r"\checkmark":
        return True
    return False


def _cited(tail, source, rule_names) -> List[str]:
    """Rule names in the texts of a commentary tail, when a text holds only rule names."""
    found = []
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


def _starts_with_relation(tokens) -> bool:
    i = _skip_spaces_amp(tokens, 0)
    return i < len(tokens) and relation_at(tokens, i) is not None


def _skip_spaces_amp(tokens, i):
    while i < len(tokens) and tokens[i].kind in (SPACE, AMP):
        i += 1
    return i


def relation_at(tokens, i):
    """(Relation, index after it) when a relation starts at ``tokens[i]``, else None."""
    t = tokens[i]
    if t.kind == OTHER and t.text == ":":
        j = _skip_spaces(tokens, i + 1)
        if j < len(tokens) and tokens[j].text == "=":
            return Relation(":=", ":=", t.pos), j + 1
        return None
    if t.kind == OTHER and t.text in RELATION_CHARS:
        kind = RELATION_CHARS[t.text]
        j = i + 1
        if t.text == "=":
            k = _skip_spaces(tokens, j)
            if k < len(tokens) and tokens[k].text == ":":
                return Relation("=:", "=:", t.pos), k + 1
        elif t.text in "<>":
            k = j
            if k < len(tokens) and tokens[k].text == "=":
                return Relation(kind + "=", t.text + "=", t.pos), k + 1
        return Relation(kind, t.text, t.pos), j
    if t.kind == OTHER and t.text in ("≠", "≈", "∝"):
        return Relation("unread", t.text, t.pos), i + 1
    if t.kind == CS and t.text in RELATION_CS:
        return Relation(RELATION_CS[t.text], t.text, t.pos), i + 1
    if t.kind == CS and t.text in UNREAD_RELATIONS:
        j = i + 1
        if t.text == r"\not":
            j = _group_end(tokens, j)
        return Relation("unread", t.text, t.pos), j
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
            return Relation(":=", "\\stackrel{def}{=}", t.pos), k
        return Relation(rel.kind, rel.text, t.pos), k
    return None


def chain_nodes(rows: List[Row]):
    """(nodes, continues): the chain's nodes; ``continues`` is True when the first row begins
    with a relation (the display continues the chain of the display before it)."""
    merged: List[Row] = []
    for row in rows:
        if merged and not _starts_with_relation(row.tokens):
            merged[-1].tokens.extend(row.tokens)
            merged[-1].rules.extend(r for r in row.rules if r not in merged[-1].rules)
        else:
            merged.append(Row(list(row.tokens), list(row.rules)))
    nodes: List[Node] = []
    continues = bool(merged) and _starts_with_relation(merged[0].tokens)
    for row in merged:
        parts = _split(row.tokens)
        for k, (relation, tokens) in enumerate(parts):
            if relation is None and k == 0 and not any(t.kind not in (SPACE, AMP) for t in tokens):
                continue
            nodes.append(Node(tokens, relation, row.rules if k == len(parts) - 1 else []))
    return nodes, continues


def _split(tokens):
    """[(relation or None, tokens)]: the row cut at its top-level relations."""
    parts = [(None, [])]
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
