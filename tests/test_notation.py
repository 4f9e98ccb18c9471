"""The notation has one home, ``elbo_sym.notation``: the ``.deriv`` parser and the printers
read and write Greek letters, density families and known functions from its tables."""
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

from elbo_sym import notation
from elbo_sym.errors import InputError
from elbo_sym.parser import parse_expression, parse_text
from elbo_sym.printing.latex import latex
from elbo_sym.printing.source import deriv_text
from elbo_sym.printing.text import text

# the modules themselves (``elbo_sym.printing.text`` is also the name of a function there)
reader_module = import_module("elbo_sym.parser.reader")
transformer_module = import_module("elbo_sym.parser.transformer")
escape_module = import_module("elbo_sym.printing.escape")
latex_module = import_module("elbo_sym.printing.latex")
source_module = import_module("elbo_sym.printing.source")
text_module = import_module("elbo_sym.printing.text")

LETTERS = sorted(notation.GREEK_UNICODE.items())


# -- Greek letters: read, printed in text, in LaTeX and in the file's own spelling -------------

@pytest.mark.parametrize("name,letter", LETTERS)
def test_every_letter_reads_and_prints_back(name, letter):
    expr = parse_text(f"{letter}_1 * y\n= y * {letter}_1\n")[0].start
    assert text(expr) == f"{letter}_1 y"
    assert deriv_text(expr) == f"{name}_1 y"
    if name in notation.GREEK_COMMANDS:
        assert latex(expr) == f"\\{name}_{{1}} y"


@pytest.mark.parametrize("name,letter", LETTERS)
def test_a_spelt_name_prints_as_its_letter(name, letter):
    expr = parse_expression(f"{name}_1 * y")
    assert text(expr) == f"{letter}_1 y"


def test_every_command_is_a_letter_the_latex_reader_knows():
    assert notation.GREEK_COMMANDS <= notation.GREEK_NAMES


@pytest.mark.parametrize("letter,name", [("Α", "Alpha"), ("ο", "omicron"), ("Β", "Beta")])
def test_latin_lookalikes_read_as_their_name_and_print_spelt(letter, name):
    expr = parse_expression(f"{letter} * y")
    assert text(expr) == f"{name} y"
    assert deriv_text(expr) == f"{name} y"
    assert latex(expr) == f"\\mathrm{{{name}}} y"


def test_the_alias_lamda_stays_spelt():
    assert text(parse_expression("lamda * y")) == "lamda y"
    assert text(parse_expression("lambda * y")) == "λ y"


def test_spell_greek():
    assert notation.spell_greek("σ_j") == "sigma_j"
    assert notation.spell_greek("λ") == "lambda"
    assert notation.spell_greek("Α") == "Alpha"
    assert notation.spell_greek("x_2") == "x_2"


def test_the_unicode_table_is_sympys_without_its_alias():
    from sympy.printing.pretty.pretty_symbology import greek_unicode

    spelt = {n: c for n, c in greek_unicode.items() if n not in ("lamda", "Lamda")}
    assert {c: n for n, c in spelt.items()} == notation.UNICODE_GREEK
    assert set(notation.GREEK_UNICODE.items()) <= set(spelt.items())
    assert set(spelt) - set(notation.GREEK_UNICODE) == {
        "omicron", "Alpha", "Beta", "Epsilon", "Zeta", "Eta", "Iota", "Kappa", "Mu", "Nu",
        "Omicron", "Rho", "Tau", "Upsilon", "Chi"}


def test_importing_the_notation_imports_no_sympy():
    code = "import sys, elbo_sym.notation; assert 'sympy' not in sys.modules, 'sympy imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


# -- known functions: reserved by the parser, printed as the language writes them -------------

WRITTEN = {"log": "log(x)", "ln": "ln(x)", "exp": "exp(x)", "sqrt": "sqrt(x)",
           "abs": "abs(x)", "KL": "KL(q(z) || p(z))", "D_KL": "D_KL(q(z) || p(z))",
           "H": "H(q(z))", "N": "N(z; 0, 1)"}
# the other spelling of a function prints as its first one
CANONICAL = {"ln": "log", "D_KL": "KL"}


def test_every_known_function_has_an_example():
    assert set(WRITTEN) == set(notation.KNOWN_FUNCTIONS)


@pytest.mark.parametrize("name", notation.KNOWN_FUNCTIONS)
def test_every_known_function_prints_back_as_written(name):
    written = WRITTEN[name]
    expr = parse_expression(written)
    printed = deriv_text(expr)
    assert printed == written.replace(name, CANONICAL.get(name, name), 1)
    assert parse_expression(printed) == expr


@pytest.mark.parametrize("word", sorted(notation.KNOWN_WORDS))
def test_every_known_word_is_reserved(word):
    assert word in transformer_module.RESERVED
    assert not source_module.is_writable(word)
    with pytest.raises(InputError):
        parse_text(f"let {word} = 1\nx\n= x\n")


@pytest.mark.parametrize("family", ["p", "q_phi", "r_theta_0"])
def test_a_density_family_cannot_be_a_let(family):
    assert notation.is_density_family(family)
    with pytest.raises(InputError, match="already means something"):
        parse_text(f"let {family} = 1\nx\n= x\n")


# -- one home: the modules hold the notation's objects, no table of their own ------------------

def test_the_modules_use_the_notations_tables():
    assert text_module.GREEK_UNICODE is notation.GREEK_UNICODE
    assert latex_module.GREEK_COMMANDS is notation.GREEK_COMMANDS
    assert escape_module.GREEK_COMMANDS is notation.GREEK_COMMANDS
    assert escape_module.UNICODE_GREEK is notation.UNICODE_GREEK
    assert source_module.UNICODE_GREEK is notation.UNICODE_GREEK
    assert reader_module.spell_greek is notation.spell_greek
    for name in ("BRACKETED_ONLY", "UNARY_FUNCTIONS", "KNOWN_FUNCTIONS", "KL_NAMES",
                 "LOGARITHMS"):
        assert getattr(transformer_module, name) is getattr(notation, name)
    assert transformer_module.RESERVED == transformer_module.KEYWORDS | notation.KNOWN_WORDS


def test_no_private_tables_are_left():
    for module, names in ((text_module, ("_GREEK", "_LOOKALIKES")),
                          (reader_module, ("_GREEK", "_greek_names")),
                          (transformer_module, ("DENSITY_FAMILY",)),
                          (source_module, ("_GREEK",))):
        for name in names:
            assert not hasattr(module, name), f"{module.__name__}.{name}"
    for path in Path(notation.__file__).parent.glob("*/*.py"):
        if path.parent.name in ("parser", "printing", "algebra", "derivations"):
            assert "greek_unicode" not in path.read_text(encoding="utf-8"), path.name
