r"""A Jupyter notebook (``.ipynb``) read as the Markdown of its Markdown cells.

The cells' sources are joined (a blank line between cells) into one Markdown text, read as any
note is; each character of that text keeps the offset in the ``.ipynb`` file of the JSON
string character it was decoded from, so that every message names FILE:LINE:COL of the
notebook as an editor shows it. Code cells and outputs are never read, let alone run.

The JSON is read by a small scanner that keeps the places of strings (the json module gives
none); a file that is no notebook is an input error at its place.
"""
import json
import re
from typing import Any, List, Optional, Tuple

from ..errors import InputError
from .tokens import LineIndex

MAX_DEPTH = 64

_SPACE = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"', re.S)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_ESCAPE = re.compile(r'\\(?:u[0-9a-fA-F]{4}(?:\\u[0-9a-fA-F]{4})?|.)', re.S)


def _after_space(text: str, i: int) -> int:
    """The offset after the JSON whitespace at ``i``."""
    m = _SPACE.match(text, i)
    return m.end() if m is not None else i


class _Str:
    """A JSON string: its place in the file (decoded only when it is Markdown)."""

    __slots__ = ("start", "end")

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end    # the literal, quotes included


class _Scanner:
    def __init__(self, text: str, filename: str) -> None:
        self.text, self.filename = text, filename
        self.lines = LineIndex(text)

    def error(self, message: str, pos: int) -> InputError:
        line, col = self.lines.at(min(pos, max(len(self.text) - 1, 0)))
        return InputError(f"not a notebook: {message}", line, col, self.filename)

    def value(self, i: int, depth: int = 0) -> Tuple[Any, int]:
        i = _after_space(self.text, i)
        if depth > MAX_DEPTH:
            raise self.error("nested too deep", i)
        c = self.text[i:i + 1]
        if c == '"':
            m = _STRING.match(self.text, i)
            if m is None:
                raise self.error("a string is never closed", i)
            return _Str(m.start(), m.end()), m.end()
        if c == "{":
            return self.container(i, depth, "}")
        if c == "[":
            return self.container(i, depth, "]")
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, i):
                return value, i + len(word)
        m = _NUMBER.match(self.text, i)
        if m is None or not m.group():
            raise self.error("a JSON value was expected here", i)
        return m.group(), m.end()

    def container(self, i: int, depth: int, closer: str) -> Tuple[Any, int]:
        is_object = closer == "}"
        items: Any = {} if is_object else []
        i += 1
        first = True
        while True:
            i = _after_space(self.text, i)
            if self.text.startswith(closer, i):
                return items, i + 1
            if not first:
                if not self.text.startswith(",", i):
                    raise self.error(f"',' or '{closer}' was expected here", i)
                i = _after_space(self.text, i + 1)
            first = False
            if is_object:
                key, i = self.value(i, depth + 1)
                if not isinstance(key, _Str):
                    raise self.error("a key must be a string", i)
                i = _after_space(self.text, i)
                if not self.text.startswith(":", i):
                    raise self.error("':' was expected here", i)
                value, i = self.value(i + 1, depth + 1)
                items[_decode(self.text, key)[0]] = value
            else:
                value, i = self.value(i, depth + 1)
                items.append(value)


def _decode(text: str, s: _Str) -> Tuple[str, List[int]]:
    """The string's characters and, for each, the offset in ``text`` it was written at."""
    out: List[str] = []
    offsets: List[int] = []
    i, end = s.start + 1, s.end - 1
    while i < end:
        if text[i] == "\\":
            m = _ESCAPE.match(text, i, end)
            if m is None:
                break
            try:
                decoded = json.loads('"' + m.group() + '"')
            except ValueError:
                decoded = m.group()      # not JSON: kept as written (the scanner said where)
            out.append(decoded)
            offsets.extend([i] * len(decoded))
            i = m.end()
            continue
        out.append(text[i])
        offsets.append(i)
        i += 1
    return "".join(out), offsets


class NotebookPositions:
    """Offsets of the Markdown text to (line, column) of the ``.ipynb`` file."""

    def __init__(self, offsets: List[int], lines: LineIndex, size: int) -> None:
        self.offsets, self.lines, self.size = offsets, lines, size

    def at(self, offset: int) -> Tuple[int, int]:
        if not self.offsets:
            return 1, 1
        k = min(max(offset, 0), len(self.offsets) - 1)
        return self.lines.at(self.offsets[k])


def markdown_of_notebook(text: str, filename: str) -> Tuple[str, NotebookPositions]:
    """The Markdown of the notebook's Markdown cells, and where each of its characters is in
    the file. InputError for a file that is no notebook."""
    scanner = _Scanner(text, filename)
    root, end = scanner.value(0)
    rest = _after_space(text, end)
    if rest < len(text):
        raise scanner.error("text after the notebook's JSON", rest)
    cells = root.get("cells") if isinstance(root, dict) else None
    if not isinstance(cells, list):
        raise scanner.error("no list of cells", 0)
    parts: List[str] = []
    offsets: List[int] = []
    for cell in cells:
        if not isinstance(cell, dict) or _text_of(text, cell.get("cell_type")) != "markdown":
            continue
        source = cell.get("source")
        pieces = source if isinstance(source, list) else [source]
        for piece in pieces:
            if isinstance(piece, _Str):
                chars, where = _decode(text, piece)
                parts.append(chars)
                offsets.extend(where)
        # a blank line between cells: a display never runs from one cell into the next
        last = offsets[-1] if offsets else 0
        parts.append("\n\n")
        offsets.extend([last, last])
    return "".join(parts), NotebookPositions(offsets, scanner.lines, len(text))


def _text_of(text: str, value: Any) -> Optional[str]:
    return _decode(text, value)[0] if isinstance(value, _Str) else None
