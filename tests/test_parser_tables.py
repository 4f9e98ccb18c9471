"""The grammar's LALR tables ship prebuilt (elbo_sym/parser/derivation.lark.tables): they must be
the current grammar's, parse as freshly built tables do, and never be loaded when stale or
when the file names anything but plain data."""
import pickle
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest
from lark import Token, Tree

from elbo_sym.parser import reader, tables

ROOT = Path(__file__).resolve().parents[1]

# one line of each kind the reader parses (start symbol, logical line)
LINES = [
    ("start_header", "derivation elbo"),
    ("start_let", "let f(x) = x^2 + 1"),
    ("start_assume", "assume sigma > 0"),
    ("start_model", "model p(x, z) = p(z) p(x | z)"),
    ("start_function", "function g"),
    ("start_step", "= E_{q(z|x)}[log p(x, z)\n  - log q(z | x)]  by linearity"),
    ("start_expr", "log p(x) >= sum_{t=1}^{T} KL(q(z_t) || p(z_t)) + (a - b)/2"),
]


def _grammar() -> str:
    return reader._GRAMMAR_FILE.read_text(encoding="utf-8")


def _shape(node):
    """A tree with everything the reader reads of it: rule names, token types, values and
    positions (Token equality alone compares only the text)."""
    if isinstance(node, Token):
        return (node.type, str(node), node.line, node.column, node.end_line, node.end_column)
    assert isinstance(node, Tree)
    meta = node.meta
    where = ((meta.line, meta.column, meta.end_line, meta.end_column)
             if not meta.empty else None)
    return (str(node.data), where, [_shape(child) for child in node.children])


def test_shipped_tables_are_those_of_the_current_grammar_and_lark():
    # fails when the grammar, the options or lark change without
    # `python -m elbo_sym.parser.tables`
    key = tables.tables_key(_grammar(), reader._lark_options())
    with open(reader._TABLES_FILE, "rb") as f:
        assert f.readline().rstrip(b"\n").decode("ascii") == key, \
            "stale tables: run `python -m elbo_sym.parser.tables`"


def test_loaded_parser_parses_as_a_freshly_built_one():
    options = reader._lark_options()
    loaded = tables.load_parser(reader._TABLES_FILE, tables.tables_key(_grammar(), options))
    assert loaded is not None
    built = tables.build_parser(_grammar(), options)
    for start, text in LINES:
        assert _shape(loaded.parse(text, start=start)) == _shape(built.parse(text, start=start))


def test_get_parser_loads_the_shipped_tables(monkeypatch):
    def no_building(grammar, options):
        raise AssertionError("the tables were built")
    monkeypatch.setattr(tables, "build_parser", no_building)
    monkeypatch.setattr(reader, "_parser", None)
    tree = reader._get_parser().parse("x + 1", start="start_expr")
    assert str(tree.children[0].data) == "additive"


def test_tables_of_an_edited_grammar_are_not_loaded(tmp_path):
    options = reader._lark_options()
    stale = tmp_path / "derivation.lark.tables"
    tables.write_tables(_grammar() + "\n// edited\n", options, stale)
    assert tables.load_parser(stale, tables.tables_key(_grammar(), options)) is None
    # and a stale file is left alone: the parser is built, the file is not rewritten
    before = stale.read_bytes()
    parser = tables.parser_for(_grammar(), options, stale)
    assert str(parser.parse("x", start="start_expr").children[0].data) == "name"
    assert stale.read_bytes() == before


def test_another_lark_version_builds_the_tables(monkeypatch):
    built = []
    real_build = tables.build_parser

    def counting_build(grammar, options):
        built.append(1)
        return real_build(grammar, options)
    monkeypatch.setattr(tables, "build_parser", counting_build)
    monkeypatch.setattr(tables, "LARK_VERSION", "0.0.1")
    tables.parser_for(_grammar(), reader._lark_options(), reader._TABLES_FILE)
    assert built == [1]


_called = []


def _record_call():
    _called.append(1)
    return {}


class _Payload:
    def __reduce__(self):
        return (_record_call, ())


def test_a_tables_file_naming_code_is_refused_without_running_it(tmp_path):
    options = reader._lark_options()
    key = tables.tables_key(_grammar(), options)
    planted = tmp_path / "derivation.lark.tables"
    planted.write_bytes(key.encode("ascii") + b"\n" + pickle.dumps(_Payload()))
    assert tables.load_parser(planted, key) is None
    assert _called == []


def test_missing_or_garbled_tables_file_gives_none(tmp_path):
    key = tables.tables_key(_grammar(), reader._lark_options())
    assert tables.load_parser(tmp_path / "absent", key) is None
    garbled = tmp_path / "garbled"
    garbled.write_bytes(key.encode("ascii") + b"\nnot a pickle")
    assert tables.load_parser(garbled, key) is None


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib")
def test_tables_file_is_package_data():
    import tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["elbo_sym"]
    shipped = reader._TABLES_FILE.relative_to(ROOT / "elbo_sym").as_posix()
    assert any(fnmatch(shipped, pattern) for pattern in patterns)
