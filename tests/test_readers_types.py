"""The LaTeX and Markdown readers on the one notation module (issue 17): the readers read the
Greek letters, density families and known words of ``elbo_sym.notation``, and the sentences
elbo-check's LaTeX printer writes around a chain never crash the reader."""
import textwrap

import pytest

from elbo_sym import notation
from elbo_sym.errors import InputError
from elbo_sym.readers import check_reading, read_text
from elbo_sym.readers.document import ChainBlock, SkippedBlock
from elbo_sym.readers.tokens import tokenize
from elbo_sym.readers.translate import Context, Translator, normalize, text_of


def tr(latex: str) -> str:
    """The file-language text of one LaTeX expression."""
    return text_of(Translator(normalize(tokenize(latex)), Context(latex)).expression())


def check(text: str, kind: str = "tex", name: str = "paper.tex"):
    reading = read_text(textwrap.dedent(text), name, kind)
    return reading, check_reading(reading, numeric=False)


def verdicts(results):
    return [[s.verdict for s in r.steps] for r in results]


# -- the notation's tables, read by the LaTeX reader -------------------------------------------

def test_a_greek_letter_of_the_notation_is_read(monkeypatch):
    # the reader has no table of its own: a letter the notation adds is a letter of the reader
    monkeypatch.setitem(notation.GREEK_LATEX, r"\digamma", "digamma")
    assert tr(r"\digamma_t + 1") == "digamma_t + 1"


def test_greek_commands_and_a_family_in_a_display():
    reading, results = check(r"""
        \begin{align}
        \log p_\theta(x) &= \log p_\theta(x) + \sigma^2 - \sigma^2 \\
        &= \log p_\theta(x) + 2\,\sigma^2 - \sigma^2
        \end{align}
        """)
    assert [type(b) for b in reading.blocks] == [ChainBlock]
    assert verdicts(results) == [["verified", "refuted"]]


def test_a_declared_family_gives_a_bare_expectation_its_density():
    _, results = check(r"""
        % elbo-check: let q = q_phi(z | x)
        \begin{equation}
        \mathbb{E}_q[\log p(x, z) - \log p(x, z)] = 0
        \end{equation}
        """)
    assert verdicts(results) == [["verified"]]


def test_a_family_declaration_that_names_no_density_is_an_input_error():
    with pytest.raises(InputError) as err:
        check("""
            % elbo-check: let q = z + 1
            $$ a = a $$
            """)
    assert "write let q = q(z | x)" in err.value.message


def test_a_known_word_is_never_defined_by_a_display():
    # E is the expectation's name (notation.KNOWN_WORDS): 'E = a + a' defines nothing
    reading, results = check(r"""
        \begin{align}
        E &= a + a \\
        &= 2 a
        \end{align}
        """)
    assert [b.derivation.definitions for b in reading.chains] == [()]
    assert verdicts(results) == [["refuted", "verified"]]


# -- the printer's sentences around a chain ------------------------------------------------------

def test_a_where_sentence_with_an_implication_is_no_let():
    # it used to end the run with an internal error ('NoneType' has no attribute 'kind')
    reading, results = check(r"""
        \noindent where $\displaystyle x \Rightarrow y$.\par
        \begin{equation}
        x + x = 2 x
        \end{equation}
        """)
    assert verdicts(results) == [["verified"]]


def test_a_where_sentence_whose_left_side_is_no_name():
    # it used to end the run with an internal error ('NoneType' has no attribute 'group'); the
    # let it states has no reading, so the chain it belongs to is skipped, located
    reading, results = check(r"""
        \noindent where $\displaystyle [a] = 2$.\par
        \begin{equation}
        x + x = 2 x
        \end{equation}
        """)
    assert results == []
    assert [(b.line, b.column, b.reason) for b in reading.blocks] == [
        (2, 32, "unexpected '['; expected a function or a name")]


# -- braces: side claims are numbered after the equations ----------------------------------------

def test_brace_claims_are_named_after_their_display():
    reading, results = check(r"""
        \begin{equation}
        a + \underbrace{b - b}_{= 0} = a \label{eq:sum}
        \end{equation}
        """)
    names = [b.derivation.name for b in reading.blocks if isinstance(b, ChainBlock)]
    assert names == ["eq:sum", "eq:sum-brace-1"]
    assert verdicts(results) == [["verified"], ["verified"]]
    assert not any(isinstance(b, SkippedBlock) for b in reading.blocks)
