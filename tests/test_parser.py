"""The parser against the contract (derivation-format.md in the shared folder, ../shared
next to the repository; the tests that need its conformance files skip when it is absent).

Expressions are compared after re-evaluating both sides (``ev``), which is exact for the
precedence cases: a wrong grouping gives a different evaluated expression. A few tests compare
the unevaluated structure itself, where order or laziness is the point.
"""
import csv
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import (Abs, E, Indexed, IndexedBase, Integer, Pow, Rational, Sum, Symbol, exp,
                   log, pi, sqrt)

from elbo_sym.algebra import KL, Defined, Density, Entropy, Expectation, Gaussian, SpaceIntegral
from elbo_sym.derivation import Assumption, Definition, Derivation
from elbo_sym.errors import InputError
from elbo_sym.parser import parse_expression, parse_file, parse_text

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CONFORMANCE = next((p for p in (Path(__file__).parent / "conformance", SHARED / "conformance")
                    if p.is_dir()), None)
needs_conformance = pytest.mark.skipif(CONFORMANCE is None, reason="no conformance folder")

x, y, z, mu, sigma, J, j, a, b, c = (Symbol(n) for n in
                                    ("x", "y", "z", "mu", "sigma", "J", "j", "a", "b", "c"))


def ev(e):
    """``e`` rebuilt bottom-up with sympy's evaluation on."""
    if not e.args:
        return e
    return e.func(*[ev(arg) for arg in e.args])


def same(text, expected):
    got = parse_expression(text)
    assert ev(got) == ev(expected), f"{text!r} gave {got}, wanted {expected}"


def p_(*vs, given=()):
    return Density("p", vs, given)


def q_(*vs, given=()):
    return Density("q", vs, given)


def error_of(text, filename="t.deriv"):
    with pytest.raises(InputError) as info:
        parse_text(text, filename)
    return info.value


def assert_error(text, line, column, *words):
    err = error_of(text)
    assert (err.line, err.column) == (line, column), str(err)
    for w in words:
        assert w in err.message, str(err)
    assert err.filename == "t.deriv"
    return err


# -- the expression table ------------------------------------------------------------------

TABLE = [
    # numbers
    ("2", Integer(2)),
    ("0.5", Rational(1, 2)),
    ("1/2", Rational(1, 2)),
    ("2.25", Rational(9, 4)),
    # variables, parameters, constants
    ("x", x), ("z_1", Symbol("z_1")), ("mu", mu), ("sigma", sigma), ("beta", Symbol("beta")),
    ("J", J), ("pi", pi), ("e", E),
    # arithmetic
    ("a + b", a + b), ("a - b", a - b), ("a * b", a * b), ("a / b", a / b), ("a ^ 2", a ** 2),
    ("a ** 2", a ** 2), ("(a + b) c", (a + b) * c), ("2 (b + c)", 2 * (b + c)),
    # juxtaposition
    ("p(x | z) p(z)", p_(x, given=(z,)) * p_(z)),
    ("2 log p(x)", 2 * log(p_(x))),
    # densities
    ("p(x)", p_(x)), ("p(x, z)", p_(x, z)), ("p(z | x)", p_(z, given=(x,))),
    ("q(z | x)", q_(z, given=(x,))),
    ("p_theta(x | z)", Density("p_theta", (x,), (z,))),
    ("q_phi(z | x)", Density("q_phi", (z,), (x,))),
    ("r(z)", Density("r", (z,))),
    ("p(z, x)", p_(x, z)),
    ("p(z_1 | x)", Density("p", (Symbol("z_1"),), (x,))),
    # logarithm
    ("log p(x)", log(p_(x))), ("log(a + 1)", log(a + 1)), ("ln a", log(a)),
    ("log p(x, z) / q(z)", log(p_(x, z) / q_(z))),
    # exp, sqrt, abs
    ("exp(a)", exp(a)), ("sqrt(a)", sqrt(a)), ("abs(a)", Abs(a)),
    # expectation
    ("E_{q(z|x)}[ z ]", Expectation(z, q_(z, given=(x,)))),
    ("E_{z ~ q(z|x)}[ z ]", Expectation(z, q_(z, given=(x,)))),
    ("E_{N(z; mu, sigma^2)}[ z^2 ]", Expectation(z ** 2, Gaussian(z, mu, sigma ** 2))),
    # KL, entropy
    ("KL(q(z|x) || p(z|x))", KL(q_(z, given=(x,)), p_(z, given=(x,)))),
    ("D_KL(q(z|x) || p(z|x))", KL(q_(z, given=(x,)), p_(z, given=(x,)))),
    ("KL(N(z; mu, sigma^2) || N(z; 0, 1))", KL(Gaussian(z, mu, sigma ** 2), Gaussian(z, 0, 1))),
    ("H(q(z|x))", Entropy(q_(z, given=(x,)))),
    # integral, sum, Gaussian
    ("int p(x, z) dz", SpaceIntegral(p_(x, z), (z,))),
    ("int (p(x, z) + q(z)) dz", SpaceIntegral(p_(x, z) + q_(z), (z,))),
    ("sum_{j=1}^{J} mu_j", Sum(IndexedBase("mu")[j], (j, 1, J))),
    ("sum_{j=1}^{3} z_j", Sum(IndexedBase("z")[j], (j, 1, 3))),
    ("N(z; mu, sigma^2)", Gaussian(z, mu, sigma ** 2)),
]


@pytest.mark.parametrize("text, expected", TABLE, ids=[t for t, _ in TABLE])
def test_expression_table(text, expected):
    same(text, expected)


PRECEDENCE = [
    ("-x^2", -(x ** 2)),
    ("2 sigma^2", 2 * sigma ** 2),
    ("1/2 log(x)", log(x) / 2),
    ("-J/2 log(2 pi)", -(J / 2) * log(2 * pi)),
    ("log p(x, z) / q(z | x)", log(p_(x, z) / q_(z, given=(x,)))),
    ("log p(x) + 1", log(p_(x)) + 1),
    ("log(2 pi sigma^2)", log(2 * pi * sigma ** 2)),
    ("log(sigma^2) - mu^2", log(sigma ** 2) - mu ** 2),
    ("1/2 log(2 pi sigma^2)", log(2 * pi * sigma ** 2) / 2),
    ("log p(x) q(z)", log(p_(x) * q_(z))),
    ("2 pi sigma^2", 2 * pi * sigma ** 2),
    ("2^3^2", Integer(512)),
    ("2**3**2", Integer(512)),
    ("a - b - c", a - b - c),
    ("a / b / c", a / b / c),
    ("a / b c", a * c / b),
    ("a -b", a - b),
    ("a * -b", -a * b),
    ("a^-1", 1 / a),
    ("-a b", -a * b),
    ("(a + b)^2", (a + b) ** 2),
    ("a log b c + 1", a * log(b * c) + 1),
    ("-log p(x) + 1", -log(p_(x)) + 1),
    ("log p(x) - log q(z)", log(p_(x)) - log(q_(z))),
    ("log(x) y", y * log(x)),
    ("sum_{j=1}^{J} mu_j sigma_j^2 + 1",
     Sum(IndexedBase("mu")[j] * IndexedBase("sigma")[j] ** 2, (j, 1, J)) + 1),
    ("sum_{j=1}^{J} (mu_j + 1) - 1", Sum(IndexedBase("mu")[j] + 1, (j, 1, J)) - 1),
    ("int log p(x, z) dz", SpaceIntegral(log(p_(x, z)), (z,))),
    ("int q(z | x) p(x, z) / q(z | x) dz",
     SpaceIntegral(q_(z, given=(x,)) * p_(x, z) / q_(z, given=(x,)), (z,))),
    ("log int p(x, z) dz", log(SpaceIntegral(p_(x, z), (z,)))),
    ("int int p(x, z) dx dz", SpaceIntegral(SpaceIntegral(p_(x, z), (x,)), (z,))),
    ("-1/2 (1 + log(sigma^2) - mu^2 - sigma^2)",
     -(1 + log(sigma ** 2) - mu ** 2 - sigma ** 2) / 2),
    ("E_{q(z|x)}[ log p(x, z) / q(z | x) ]",
     Expectation(log(p_(x, z) / q_(z, given=(x,))), q_(z, given=(x,)))),
]


@pytest.mark.parametrize("text, expected", PRECEDENCE, ids=[t for t, _ in PRECEDENCE])
def test_precedence(text, expected):
    same(text, expected)


def test_bracketed_differential_is_a_product_outside_int():
    dz = Symbol("dz")
    same("(a dz) b", a * dz * b)
    same("a dz", a * dz)
    same("int (p(x, z) dz)", SpaceIntegral(p_(x, z), (z,)))


def test_caller_evaluate_context_does_not_matter():
    from sympy.core.parameters import evaluate
    with evaluate(False):
        got = parse_expression("sum_{j=1}^{J} mu_j / log(2)")
    assert got == parse_expression("sum_{j=1}^{J} mu_j / log(2)")
    assert isinstance(got, Sum)


def test_sum_index_makes_elements():
    s = parse_expression("sum_{j=1}^{J} sigma_j^2 log p(z_j)")
    assert isinstance(s, Sum)
    assert s.has(Indexed(IndexedBase("sigma"), j))
    assert s.has(Density("p", (IndexedBase("z")[j],)))
    assert not s.has(Symbol("sigma_j"))


def test_sum_over_gaussians_and_expectations():
    zj, muj, sj = (IndexedBase(n)[j] for n in ("z", "mu", "sigma"))
    same("sum_{j=1}^{J} E_{z_j ~ N(z_j; mu_j, sigma_j^2)}[ z_j^2 ]",
         Sum(Expectation(zj ** 2, Gaussian(zj, muj, sj ** 2)), (j, 1, J)))
    same("sum_{j=1}^{J} log q(z_j | x)", Sum(log(Density("q", (zj,), (x,))), (j, 1, J)))


def test_keyword_in_the_wrong_place():
    assert_error("x\n= a^log b\n", 2, 5, "without brackets")
    same("a^log(b)", a ** log(b))


def test_order_is_kept_and_nothing_is_computed():
    e = parse_expression("b + a")
    assert e.args == (b, a)
    big = parse_expression("x^(10^10)")      # a symbol's power stays symbolic
    assert isinstance(big, Pow) and isinstance(big.exp, Pow)
    assert parse_expression("2^10000") == Pow(2, 10000, evaluate=False)


def test_huge_literal_is_refused_quickly():
    """Kept symbolic, 10^(10^10) is computed by the first printer that meets it: refused."""
    started = time.monotonic()
    err = error_of("x\n= 10^(10^(10^10))\n")
    assert time.monotonic() - started < 2
    assert (err.line, err.column) == (2, 7) and "too large" in err.message
    assert "10^(10^10)" in err.message
    assert_error("x\n= 1 + 2^100001\n", 2, 7, "too large")
    assert_error("x\n= " + "9" * 1000 + " " + "10^3500\n", 2, 3, "too large")
    assert_error("x\n= 1 + 2^(2^(2^(2^3)))\n", 2, 7, "too large")
    assert_error("x\n= y exp(10^6)\n", 2, 5, "too large")
    assert_error("x\n= 1 + (2 y)^(10^10)\n", 2, 7, "too large")
    assert_error("x\n= (y + 1)^(10^10)\n", 2, 3, "too large")
    assert_error("let f(a) = a^100\nx\n= f(10^1000)\n", 3, 3, "too large")
    assert isinstance(parse_expression("y^(10^10)"), Pow)
    assert_error("x\n= y " + "2^9999 " * 2 + "\n", 2, 3, "too large")
    assert parse_expression("2^(2^(2^3))") == Pow(2, Pow(2, Pow(2, 3, evaluate=False),
                                                         evaluate=False), evaluate=False)
    assert_error("x\n= a / 0\n", 2, 7, "division by zero")
    assert_error("x\n= a / log(1)\n", 2, 7, "division by zero")
    assert_error("x\n= 0^(-1) + 1\n", 2, 3, "division by zero")
    assert_error("x\n= log(1 - 1)\n", 2, 3, "log of zero")


def test_numbers_are_rationals_from_digits():
    assert parse_expression("0.125") == Rational(1, 8)
    assert parse_expression("3.0") == Integer(3)
    long_ok = "9" * 1000
    assert parse_expression(long_ok) == Integer(int(long_ok))


def test_parsing_never_evaluates_text():
    """The parser builds from tokens: none of these appears in its sources."""
    src = "".join(p.read_text() for p in Path(__file__).parents[1].joinpath(
        "elbo_sym", "parser").glob("*.py"))
    for banned in ("sympify(", "parse_expr(", "eval(", "exec(", "S(", "import sympy.parsing"):
        assert banned not in src


def test_import_builds_no_parser():
    code = ("import elbo_sym.parser, elbo_sym.parser.reader as r; "
            "assert r._parser is None; elbo_sym.parser.parse_text('x\\n= x\\n'); "
            "assert r._parser is not None")
    subprocess.run([sys.executable, "-c", code], check=True,
                   cwd=Path(__file__).parents[1])


# -- layout --------------------------------------------------------------------------------

ELBO = """\
# a comment
derivation elbo "Evidence lower bound"   # a comment after the title
let L(x) = E_{q(z|x)}[ log p(x, z) - log q(z | x) ]

  log p(x)
  = log p(x, z) - log p(z | x)                      by product-rule
  = E_{q(z|x)}[ log p(x, z) - log p(z | x) ]        by product-rule, expectation-of-constant
  = E_{q(z|x)}[ log p(x, z) - log q(z | x) ]
    + KL(q(z|x) || p(z|x))                          by kl-definition, linearity
  >= L(x)                                           by kl-nonneg, definition
"""


def test_contract_layout_example():
    (d,) = parse_text(ELBO)
    assert isinstance(d, Derivation)
    assert (d.name, d.title, d.start_line) == ("elbo", "Evidence lower bound", 5)
    assert d.start == log(p_(x))
    assert [s.line for s in d.steps] == [6, 7, 8, 10]
    assert [s.relation for s in d.steps] == ["=", "=", "=", ">="]
    assert d.steps[0].rules == ("product-rule",)
    assert d.steps[2].rules == ("kl-definition", "linearity")
    q = q_(z, given=(x,))
    body = Expectation(log(p_(x, z)) - log(q), q)
    assert ev(d.steps[2].expr) == ev(body + KL(q, p_(z, given=(x,))))
    (definition,) = d.definitions
    assert isinstance(definition, Definition)
    assert (definition.name, definition.params, definition.line) == ("L", (x,), 3)
    assert ev(definition.body) == ev(body)
    last = d.steps[3].expr
    assert isinstance(last, Defined) and last.name == "L" and last.arguments == (x,)
    assert ev(last.body) == ev(body)
    assert d.conclusion_relation == ">="
    assert d.source == ""  # a file cites no bibliographic source


def test_let_applies_to_other_arguments_and_without_arguments():
    (d,) = parse_text("let L(x) = E_{q(z|x)}[ log p(x, z) ]\nlet c = 2\n"
                      "L(y) c\n= c L(y)\n")
    use, const = d.start.args
    assert isinstance(use, Defined) and use.arguments == (y,)
    qy = q_(z, given=(y,))
    assert ev(use.body) == ev(Expectation(log(p_(y, z)), qy))
    assert const == Defined("c", (), Integer(2))
    assert [df.name for df in d.definitions] == ["L", "c"]


def test_assumptions_and_unicode_relations():
    (d,) = parse_text("derivation d\nassume beta >= 1\nassume s > 0\nx\n≤ y\n< z\n= z\n")
    assert d.assumptions == (Assumption(Symbol("beta"), ">=", Integer(1), 2),
                             Assumption(Symbol("s"), ">", Integer(0), 3))
    assert [s.relation for s in d.steps] == ["<=", "<", "="]
    assert d.conclusion_relation == "<"


def test_several_derivations_and_scopes():
    text = ("let c = 3\n"                          # file-wide: before the first header
            "derivation one\nlet k = 1\nc k\n= 3\n"
            "derivation two \"Second\"\nc\n>= 2\n")
    one, two = parse_text(text)
    assert (one.name, two.name, two.title) == ("one", "two", "Second")
    assert [df.name for df in one.definitions] == ["c", "k"]
    assert [df.name for df in two.definitions] == ["c"]
    assert two.start == Defined("c", (), Integer(3))
    # k belongs to derivation one only: in two it is a plain name
    (_, two) = parse_text(text.replace("c\n>= 2", "k\n>= 2"))
    assert two.start == Symbol("k")


def test_headerless_file_takes_its_stem(tmp_path):
    f = tmp_path / "my-bound.deriv"
    f.write_text("log p(x)\n= log p(x, z) - log p(z | x)   by product-rule\n", encoding="utf-8")
    (d,) = parse_file(f)
    assert d.name == "my-bound" and d.start_line == 1 and d.steps[0].line == 2


def test_continuation_lines():
    text = ("derivation d\n"
            "  a\n"
            "  = b\n"
            "    + c\n"
            "    # a comment inside the step\n"
            "    - 1\n"
            "      by algebra\n"
            "  = E_{q(z|x)}[\n"
            "      z ]\n")
    (d,) = parse_text(text)
    assert ev(d.steps[0].expr) == b + c - 1 and d.steps[0].rules == ("algebra",)
    assert [s.line for s in d.steps] == [3, 8]
    assert d.steps[1].expr == Expectation(z, q_(z, given=(x,)))


def test_start_right_under_a_let():
    (d,) = parse_text("let c = 2\nc\n= 2\n")
    assert d.start == Defined("c", (), Integer(2))
    (d,) = parse_text("let c = 2\n  + 1\nc\n= 3\n")    # '+' continues the let
    assert ev(d.definitions[0].body) == 3


@needs_conformance
@pytest.mark.parametrize("folder", ["valid", "invalid"])
def test_conformance_files_parse(folder):
    files = sorted((CONFORMANCE / folder).glob("*.deriv"))
    assert files
    for f in files:
        ders = parse_file(f)
        assert ders and all(d.steps for d in ders)


MALFORMED_COLUMNS = {"malformed/code.deriv": 5, "malformed/mixed-relations.deriv": 3,
                     "malformed/unbalanced.deriv": 15, "malformed/unknown-rule.deriv": 56}


def _malformed_rows():
    if CONFORMANCE is None:
        return []
    with open(CONFORMANCE / "expected.tsv", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t") if r and r[1] == "input-error"]
    return [(r[0], int(r[2])) for r in rows]


@needs_conformance
@pytest.mark.parametrize("rel, line", _malformed_rows())
def test_conformance_malformed(rel, line):
    with pytest.raises(InputError) as info:
        parse_file(CONFORMANCE / rel)
    err = info.value
    assert err.line == line and err.column == MALFORMED_COLUMNS[rel], str(err)
    assert err.filename == str(CONFORMANCE / rel)
    assert err.source_line is not None


# -- errors, one per class, with exact positions -------------------------------------------

def test_error_syntax():
    assert_error("derivation d\nx\n= a + * b\n", 3, 7, "unexpected '*'")


def test_error_line_ends_early():
    assert_error("x\n= a +\n", 2, 6, "ends too early")


def test_error_unclosed_bracket():
    assert_error("x\n= log(a + b\n= c\n", 2, 6, "'(' is never closed")
    assert_error("x\n= E_{q(z|x)}[ a\n", 2, 13, "'[' is never closed")


def test_error_mismatched_bracket():
    assert_error("x\n= (a + b]\n", 2, 9, "']' does not match")
    assert_error("x\n= a + b)\n", 2, 8, "')' closes no bracket")


def test_error_unknown_rule():
    err = assert_error("x\n= x   by algebra, product-rul\n", 2, 19, "unknown rule 'product-rul'")
    assert "'product-rule'" in err.message


def test_error_unknown_function():
    assert_error("x\n= 1 + foo(x)\n", 2, 7, "'foo' is not defined")
    assert_error("x\n= sigma (x + 1)\n", 2, 3, "'sigma' is not defined")


def test_error_undefined_let():
    # used before its let, and used in a derivation other than its own
    assert_error("L(x)\n= 0\nlet L(x) = x\n", 1, 1, "'L' is not defined")
    assert_error("derivation a\nlet L(x) = x\nL(x)\n= x\nderivation b\nL(y)\n= y\n",
                 6, 1, "'L' is not defined")


def test_error_let_argument_count():
    assert_error("let L(x) = x\nL(x, y)\n= 0\n", 2, 1, "takes 1 argument, not 2")
    assert_error("let L(x) = x\nx\n= 1 + L\n", 3, 7, "L takes 1 argument")
    assert_error("let c = 2\nx\n= c(x)\n", 3, 3, "takes 0 arguments")


def test_error_bad_let_names():
    assert_error("let log = 2\nx\n= x\n", 1, 5, "cannot be a let")
    assert_error("let p(x) = 2\nx\n= x\n", 1, 5, "cannot be a let")
    assert_error("let c = 2\nlet c = 3\nx\n= x\n", 2, 5, "already defined")


def test_error_variable_on_both_sides_of_the_bar():
    assert_error("x\n= log p(x, z | z)\n", 2, 7, "both sides of the bar")


def test_error_density_variable_not_a_name():
    assert_error("x\n= p(x + 1)\n", 2, 3, "variables of a density are names")


def test_error_expectation_over_non_density():
    assert_error("x\n= E_{x^2}[ z ]\n", 2, 6, "under a density")
    assert_error("x\n= E_{y ~ q(z|x)}[ z ]\n", 2, 6, "not a variable of")
    assert_error("x\n= KL(x || p(z))\n", 2, 3, "densities")


def test_error_mixed_relations():
    assert_error("derivation d\na\n>= b\n= c\n  <= d\n", 5, 3, "cannot mix")


def test_error_step_without_expression():
    assert_error("derivation d\na\n  >=   \n= b\n", 3, 3, "needs an expression")
    assert_error("derivation d\na\n= by algebra\n", 3, 3, "'by' is a keyword")


def test_error_no_start_and_no_steps():
    assert_error("derivation a\nderivation b\nx\n= x\n", 1, 1, "has no expression")
    assert_error("derivation a\n  x\n", 2, 1, "has no steps")
    assert_error("derivation a\n= x\n", 2, 1, "before the start")


def test_error_duplicate_derivation():
    assert_error("derivation a\nx\n= x\nderivation a\ny\n= y\n", 4, 12, "second derivation")


def test_error_chain_before_first_header():
    assert_error("x\n= x\nderivation a\ny\n= y\n", 1, 1, "before the first")


@pytest.mark.parametrize("code, column", [
    ("__import__('os').system('x')", 3),
    ("x.system(1)", 4),
    ("'os'", 3),
    ('"os"', 3),
    ("_x", 3),
    ("x_", 4),
    ("open('f').read()", 8),
    ("lambda: 0", 9),
])
def test_error_python_is_a_syntax_error(code, column):
    err = assert_error(f"x\n= {code}\n", 2, column)
    assert "Traceback" not in str(err)


def test_error_empty_file():
    assert_error("", 1, 1, "empty file")
    assert_error("# only a comment\n\n   # another\n", 1, 1, "empty file")


def test_error_non_utf8(tmp_path):
    f = tmp_path / "latin.deriv"
    f.write_bytes("x\n= é + \xff".encode("utf-8")[:-2] + b"\xff\n")
    with pytest.raises(InputError) as info:
        parse_file(f)
    assert (info.value.line, info.value.column) == (2, 7)
    assert "UTF-8" in info.value.message
    with pytest.raises(InputError) as info:
        parse_text(b"\xfe\xff")
    assert (info.value.line, info.value.column) == (1, 1)


def test_error_missing_file(tmp_path):
    with pytest.raises(InputError):
        parse_file(tmp_path / "nope.deriv")


# -- bounds --------------------------------------------------------------------------------

def test_deep_nesting_is_refused_quickly():
    started = time.monotonic()
    err = error_of("(" * 5000 + "x" + ")" * 5000 + "\n= x\n")
    assert time.monotonic() - started < 5
    assert (err.line, err.column) == (1, 201) and "nesting too deep" in err.message
    assert parse_expression("(" * 200 + "x" + ")" * 200) == x


@pytest.mark.parametrize("text", ["- " * 5000 + "x", "x^" * 5000 + "x", "log " * 5000 + "x",
                                  "sqrt(" * 150 + "x" + ")" * 150])
def test_long_chains_parse_or_refuse_quickly(text):
    started = time.monotonic()
    try:
        parse_text(text + "\n= x\n")
    except InputError as err:
        assert err.line == 1
    assert time.monotonic() - started < 5


def test_number_too_long():
    assert_error("x\n= 1 + " + "7" * 1001 + "\n", 2, 7, "number too long")


def test_long_line_is_fine_or_refused():
    started = time.monotonic()
    (d,) = parse_text("x\n= " + " + ".join(["a"] * 10000) + "\n")
    assert len(d.steps[0].expr.args) == 10000
    with pytest.raises(InputError):
        parse_text("x\n= " + "a " * 200000 + "\n")
    assert time.monotonic() - started < 10


# -- robustness ----------------------------------------------------------------------------

TOKENS = ["derivation", "d", "let", "assume", "by", "algebra", "product-rule", "x", "z", "z_1",
          "mu", "sigma", "J", "j", "L", "p", "q", "r", "p_theta", "N", "E", "E_{", "KL", "D_KL",
          "H", "log", "ln", "exp", "sqrt", "abs", "sum_{", "int", "dz", "pi", "e", "0", "2",
          "0.5", "10", "(", ")", "[", "]", "{", "}", "|", "||", ";", ",", "~", "=", "<=", ">=",
          "<", ">", "≤", "≥", "+", "-", "*", "/", "^", "**", "#", '"t"', "\n", "\n", "\n",
          "_", ".", "'", "__import__", "é", "\t", "\x00"]


def _check_only_input_errors(text):
    try:
        result = parse_text(text, "soup.deriv")
    except InputError as err:
        assert err.message and "internal" not in err.message
        assert err.line is None or (err.line >= 1 and err.column >= 1)
        str(err)
    else:
        assert all(isinstance(d, Derivation) and d.steps for d in result)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=200))
def test_random_text_gives_only_input_errors(text):
    _check_only_input_errors(text)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(TOKENS), max_size=60),
       st.lists(st.sampled_from(["", " ", "\n"]), min_size=60, max_size=60))
def test_token_soup_gives_only_input_errors(tokens, gaps):
    _check_only_input_errors("".join(t + g for t, g in zip(tokens, gaps)))


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=100))
def test_random_bytes_give_only_input_errors(data):
    try:
        parse_text(data)
    except InputError:
        pass


def test_the_first_step_may_share_the_start_line():
    (d,) = parse_text("p(z | x) = p(x | z) p(z) / p(x)   by bayes-rule\n= p(x, z) / p(x)\n", "one.deriv")
    assert [s.relation for s in d.steps] == ["=", "="]
    assert d.steps[0].rules == ("bayes-rule",)
    assert [s.line for s in d.steps] == [1, 2]
    assert d.start == Density("p", (z,), (x,))


def test_unicode_minus_is_a_minus():
    (d,) = parse_text("log p(x)\n= log p(x, z) − log p(z | x)\n= −(−log p(x))\n", "um.deriv")
    assert d.steps[0].expr.doit() == (log(Density("p", (x, z))) - log(Density("p", (z,), (x,)))).doit()
    assert d.steps[1].expr.doit() == log(Density("p", (x,)))


def test_greek_letters_are_read_as_their_names():
    (d,) = parse_text("assume σ > 0\n-KL(N(z; μ, σ^2) || N(z; 0, 1))\n= 1/2 (1 + log(σ^2) - μ^2 - σ^2)\n",
                      "greek.deriv")
    mu_, sigma_ = Symbol("mu"), Symbol("sigma")
    assert d.assumptions[0].lhs == sigma_
    assert d.start.free_symbols == {mu_, sigma_}
    with pytest.raises(InputError) as err:
        parse_text("x\n= σ(x)\n", "greek.deriv")
    assert (err.value.line, err.value.column) == (2, 3)  # the position of what was typed
