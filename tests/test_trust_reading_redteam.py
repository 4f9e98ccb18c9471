r"""Issue 16, reading, red team: notation that a careless reader reads one way when the page
shows another. Each construct has one reading a mathematician sees, or the row is not read:
a number in brackets after an invisible gap, plain TeX's ``\eqno``, ``\log^{-1}``, a factor after
a divisor, a word of prose in ``\text``, a reference mark under a brace, ``x^10``."""
import textwrap

import pytest

from elbo_sym.readers import check_reading, read_text, summary_lines


def run(rows: str, kind: str = "md"):
    """([(verdict, reason)] of every step, skipped lines) of one display of ``rows``."""
    rows = textwrap.dedent(rows).strip("\n")
    if kind == "md":
        text, name = "$$\n\\begin{aligned}\n" + rows + "\n\\end{aligned}\n$$\n", "notes.md"
    else:
        text, name = "\\begin{align}\n" + rows + "\n\\end{align}\n", "notes.tex"
    reading = read_text(text, name, kind)
    steps = [(s.verdict, s.reason) for r in check_reading(reading, numeric=True)
             for s in r.steps]
    return steps, summary_lines(reading)[1:]


def verdicts(rows: str, kind: str = "md"):
    return [v for v, _ in run(rows, kind)[0]]


KINDS = pytest.mark.parametrize("kind", ["md", "tex"])


# -- a number in brackets: an equation number only where the page shows a gap -------------------

@KINDS
@pytest.mark.parametrize("gap", [" ", r"\,", r"\;", "~"])
def test_a_bracketed_number_after_a_narrow_gap_is_not_read(kind, gap):
    # 2 (3) is typeset as 2(3): six, or two with an equation number? No single reading
    steps, skipped = run(r"""
        x + x &= 2x \\
        &= 2%s(3)
        """ % gap, kind)
    assert [v for v, _ in steps] == ["verified", "unknown"]
    assert "a number in brackets ends the row" in steps[1][1]
    # a wide gap sets a number apart (a label), and so does a letter in it, after any gap
    for wide in (r"\quad", r"\qquad", r"\hfill", "&"):
        assert verdicts(r"x + x &= 2x %s (3)" % wide, kind) == ["verified"]
        assert verdicts(r"x + x &= 3x %s (2)" % wide, kind) == ["refuted"]
    assert verdicts(r"x + x &= 2x%s(3a)" % gap, kind) == ["verified"]
    assert verdicts(r"x + x &= x%s(3a)" % gap, kind) == ["refuted"]


@KINDS
def test_plain_tex_eqno_is_an_equation_number(kind):
    assert verdicts(r"x &= \frac{2x}{2} \eqno(2)", kind) == ["verified"]
    assert verdicts(r"x &= \frac{x}{2} \leqno(2)", kind) == ["refuted"]


# -- \log^{-1}: the inverse function or a reciprocal --------------------------------------------

@KINDS
@pytest.mark.parametrize("right", [r"\frac{1}{\log x}", "e^{x}"])
def test_log_to_the_minus_one_is_not_read(kind, right):
    steps, skipped = run(rf"\log^{{-1}} x &= {right}", kind)
    assert steps == []
    assert any(r"\log^{-1} has no single reading" in line for line in skipped)
    assert verdicts(r"\log^{2} x &= (\log x)^2", kind) == ["verified"]


# -- a factor after a divisor: 1/2x -------------------------------------------------------------

@KINDS
@pytest.mark.parametrize("rows", [r"1/2x &= \frac{1}{2} x", r"a/bc &= \frac{a}{b} c",
                                  r"x / 2 \sigma^2 &= \frac{x}{2} \sigma^2",
                                  r"a \div b\, c &= \frac{a}{b} c",
                                  r"p(x)/p(z) p(y) &= \frac{p(x)}{p(z)} p(y)",
                                  r"(x - \mu)^2 / 2\sigma^2 &= \frac{(x - \mu)^2 \sigma^2}{2}"])
def test_a_factor_after_a_divisor_is_not_read(kind, rows):
    steps, skipped = run(rows, kind)
    assert steps == []
    assert any("a factor right after a divisor has no single reading" in line
               for line in skipped)
    # an operator or an integral's differential after the divisor: read
    assert verdicts(r"1/2 \cdot x + a/b &= \frac{x}{2} + \frac{a}{b}", kind) == ["verified"]
    assert verdicts(r"1/(2x) &= \frac{1}{2x}", kind) == ["verified"]
    assert verdicts(r"\int q(z) \cdot 2/2 \, dz &= 1", kind) == ["verified"]


# -- a word of prose inside a row starts a remark, never a factor -------------------------------

@KINDS
@pytest.mark.parametrize("word", ["if", "when", "for", "where", "since"])
def test_a_connective_in_text_starts_a_remark(kind, word):
    # 'x = x if x = x' is one true step; the condition is prose, not a factor 'if' and a step
    steps, _ = run(rf"x &= x \text{{ {word} }} x = x", kind)
    assert steps == [("verified", None)]
    assert verdicts(rf"x + 1 &= x \text{{ {word} }} 1 = 0", kind) == ["refuted"]
    # a one-word text that is no connective is still a name
    assert verdicts(r"\text{ELBO} + 1 &= 1 + \text{ELBO}", kind) == ["verified"]


# -- a brace label that is a reference mark claims nothing --------------------------------------

@KINDS
@pytest.mark.parametrize("mark", ["(a)", "(1)", "(ii)", "[3]"])
def test_a_reference_mark_under_a_brace_is_no_claim(kind, mark):
    # \underbrace{x^2}_{(a)} marks the term for the prose: it does not claim x^2 = a
    steps, _ = run(rf"y + x^2 &= y + \underbrace{{x^2}}_{{{mark}}}", kind)
    assert steps == [("verified", None)]
    # a label that is mathematics is still a side claim, checked
    assert verdicts(r"y + x^2 &= y + \underbrace{x^2}_{(a + 1)}", kind) == ["verified", "refuted"]


# -- x^10: TeX's script takes one digit ----------------------------------------------------------

@KINDS
@pytest.mark.parametrize("rows", ["x^10 &= 0", "x_10 &= 0", "2^10 &= 0"])
def test_a_two_digit_script_without_braces_is_not_read(kind, rows):
    # x^10 is x^1 0 on the page, x * 0 = 0: a slip for x^{10}, never the verified x^10 = 0
    steps, skipped = run(rows, kind)
    assert steps == []
    assert any("followed by 0 in TeX" in line for line in skipped)
    assert verdicts(r"x^{10} &= x^5 x^5", kind) == ["verified"]


# \Rightarrow: the rows before may be a hypothesis ------------------------------------------

@KINDS
@pytest.mark.parametrize("claim", ["3", "4"])
def test_an_implications_hypothesis_and_claim_are_never_refuted_on_their_own(kind, claim):
    # x = 2 is assumed, not claimed: refuting it (or x + 1 = 3 alone) would refute a true
    # implication; the false x + 1 = 4 is not verified either
    steps, _ = run(r"""
        x &= 2 \\
        \Rightarrow x + 1 &= %s
        """ % claim, kind)
    assert [v for v, _ in steps] == ["unknown", "unknown"]
    assert steps[0][1].startswith("a hypothesis of an implication")
    assert steps[1][1].startswith("the claim of an implication whose hypothesis is not shown")


@KINDS
def test_after_a_verified_chain_the_implied_claim_stands_on_its_own(kind):
    rows = r"""
        x + 1 &= 1 + x \\
        \Rightarrow x + 2 &= %s
        """
    assert verdicts(rows % "2 + x", kind) == ["verified", "verified"]
    assert verdicts(rows % "3 + x", kind) == ["verified", "refuted"]
