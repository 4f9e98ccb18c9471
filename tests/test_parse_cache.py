"""A logical line is read once per process for the same text in the same scope: a document
checked again re-reads only the lines that changed, with the same results and the same error
positions as a cold read."""
from typing import Any, Iterator, List

import pytest
from sympy import srepr

from elbo_sym.parser import parse_text, reader

from conftest import error_of

DOC = """\
derivation d "a title"
let L(x) = log(p(x, z)) - log(q(z | x))
assume sigma > 0
log(p(x))
  = log(p(x, z)) - log(p(z | x)) by product-rule
  = E_{q(z | x)}[log(p(x, z)) - log(p(z | x))] by product-rule, expectation-of-constant
  >= L(x) + sigma - sigma by algebra
"""


class _CountingParser:
    """Stands for the lark parser and counts its parses, by text."""

    def __init__(self, parser: Any) -> None:
        self.parser, self.texts = parser, []  # type: Any, List[str]

    def parse(self, text: str, start: str) -> Any:
        self.texts.append(text)
        return self.parser.parse(text, start=start)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[_CountingParser]:
    reader.clear_read_lines()
    counting = _CountingParser(reader._get_parser())
    monkeypatch.setattr(reader, "_get_parser", lambda: counting)
    yield counting
    reader.clear_read_lines()


def _exact(derivations: Any) -> List[str]:
    """Every expression of the derivations, exactly (srepr), with the lines they stand on."""
    out = []
    for d in derivations:
        out.append(srepr(d.start) + f"@{d.start_line}")
        out += [f"{s.relation} {srepr(s.expr)} {s.rules} @{s.line}" for s in d.steps]
        out += [f"{a.relation} {srepr(a.lhs)} {srepr(a.rhs)} @{a.line}" for a in d.assumptions]
        out += [f"{e.name} {srepr(e.params)} {srepr(e.body)} @{e.line}" for e in d.definitions]
    return out


def test_the_same_text_twice_is_parsed_once(spy: _CountingParser) -> None:
    first = parse_text(DOC, "t.deriv")
    assert len(spy.texts) == 7
    second = parse_text(DOC, "other.deriv")
    assert len(spy.texts) == 7
    assert _exact(second) == _exact(first)


def test_an_edited_line_is_parsed_alone(spy: _CountingParser) -> None:
    parse_text(DOC, "t.deriv")
    spy.texts.clear()
    edited = DOC.replace(">= L(x) + sigma - sigma", ">= L(x) + 2*sigma - 2*sigma")
    parse_text(edited, "t.deriv")
    assert spy.texts == ["  >= L(x) + 2*sigma - 2*sigma by algebra"]


def test_a_changed_let_reparses_the_lines_that_may_use_it(spy: _CountingParser) -> None:
    parse_text(DOC, "t.deriv")
    spy.texts.clear()
    edited = DOC.replace("let L(x) = log(p(x, z)) - log(q(z | x))",
                         "let L(x) = log(p(x, z)) + log(q(z | x))")
    derivation, = parse_text(edited, "t.deriv")
    assert spy.texts[0] == "let L(x) = log(p(x, z)) + log(q(z | x))"
    assert len(spy.texts) == 6     # the let and every line after it: each may use it
    assert _exact([derivation]) == _exact(_cold(edited))


def test_an_added_assumption_reparses_what_follows(spy: _CountingParser) -> None:
    parse_text(DOC, "t.deriv")
    spy.texts.clear()
    parse_text(DOC.replace("assume sigma > 0\n", "assume sigma > 0\nassume T >= 2\n"), "t.deriv")
    assert spy.texts == ["assume T >= 2", "log(p(x))",
                         "  = log(p(x, z)) - log(p(z | x)) by product-rule",
                         "  = E_{q(z | x)}[log(p(x, z)) - log(p(z | x))] by product-rule, "
                         "expectation-of-constant",
                         "  >= L(x) + sigma - sigma by algebra"]


def _cold(text: str) -> Any:
    reader.clear_read_lines()
    return parse_text(text, "t.deriv")


def test_the_same_results_with_and_without_remembered_lines() -> None:
    texts = [DOC, DOC.replace("derivation d", "derivation e"),
             "function g\nlet K = 3\nsum_{t=1}^{T} x_t\n  = sum_{t=1}^{T} x_T - x_T + x_t by algebra\n"
             "  = g(K) - g(K) + sum_{t=1}^{T} x_t by algebra\n"]
    cold = [_exact(_cold(t)) for t in texts]
    reader.clear_read_lines()
    warm = [_exact(parse_text(t, "t.deriv")) for t in texts + texts]
    assert warm == cold + cold


@pytest.mark.parametrize("bad, where", [
    ("  = log(p(x)) + by algebra", "3:17"),        # a syntax error (lark)
    ("  = p(x) | z by algebra", "3:10"),            # a semantic one (the builder)
    ("  = L(x, z) by definition", "3:5"),           # wrong arity of a let: depends on the let
])
def test_a_bad_line_is_placed_where_it_stands(bad: str, where: str) -> None:
    reader.clear_read_lines()
    text = f"let L(x) = log(p(x))\nlog(p(x))\n{bad}\n"
    first = error_of(text)
    again = error_of(text)
    line, column = map(int, where.split(":"))
    assert (first.line, first.column) == (again.line, again.column) == (line, column)
    moved = error_of(f"let L(x) = log(p(x))\n# a comment\n\nlog(p(x))\n{bad}\n")
    assert (moved.line, moved.column, moved.message) == (line + 2, column, first.message)
    assert str(moved).startswith(f"t.deriv:{line + 2}:{column}: error: ")


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    reader.clear_read_lines()
    monkeypatch.setattr(reader, "MAX_REMEMBERED_LINES", 3)
    parse_text("a\n= b\n= c\n= d\n= e\n", "t.deriv")
    assert [key[1] for key in reader._read_lines] == ["= c", "= d", "= e"]
    reader.clear_read_lines()
