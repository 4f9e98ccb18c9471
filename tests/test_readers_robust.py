"""The readers never crash and never hang: random LaTeX token soups and truncated displays give
positioned skips or input errors only; a 5 MB file is refused at once."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elbo_sym.errors import InputError
from elbo_sym.readers import check_reading, read_text
from elbo_sym.readers.document import ChainBlock, DeclaredBlock, SkippedBlock

from conftest import no_hang

ROBUST = settings(deadline=None, derandomize=True, database=None, max_examples=150,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TOKENS = [r"\log", r"\frac", r"\mathbb{E}", r"_", "^", "{", "}", "(", ")", "[", "]",
          r"\left(", r"\right)", r"\left[", r"\right]", r"\left.", r"\right|", r"\big(",
          r"\mid", "|", r"\|", r"\Vert", "=", r"\geq", r"\le", ":=", "=:", "&", "&&", r"\\",
          "+", "-", r"\cdot", ",", ";", ".", "'", "p", "q", "x", "z", "d", "e", "E", "D", "KL",
          r"\mathcal{N}", r"\mu", r"\sigma", "2", "0", r"\sum", r"\prod", r"\int", r"\,",
          r"\mathrm{d}", r"\text{(Jensen)}", r"\tag{1}", r"\label{a}", r"\begin{aligned}",
          r"\end{aligned}", r"\begin{cases}", r"\end{cases}", r"\sim", r"\ldots", r"\nabla",
          r"\operatorname{KL}", r"\underbrace", r"\boxed", "$$", "$", "%", r"\[", r"\]",
          "```math", "```", "<!-- elbo-check: assume s > 0 -->", "\n", " ", r"\mathbf",
          r"\sqrt", r"\exp", r"\text{ELBO}", r"\stackrel{\text{def}}{=}"]

soups = st.lists(st.sampled_from(TOKENS), max_size=80).map(" ".join)
DISPLAY = r"""Some text.

$$
\begin{aligned}
\log p_\theta(x) &= \log \int p_\theta(x, z)\, \mathrm{d}z \\
&\geq \mathbb{E}_{q_\phi(z \mid x)}\left[\log \frac{p_\theta(x, z)}{q_\phi(z \mid x)}\right] \\
&= \mathbb{E}_{q_\phi(z \mid x)}\left[\log p_\theta(x \mid z)\right] - D_{\mathrm{KL}}\left(q_\phi(z \mid x) \,\|\, p(z)\right)
\end{aligned}
$$
"""


def _survives(text, kind):
    """Reading and checking ``text`` ends in blocks or a located input error, not in a hang."""
    with no_hang():
        try:
            reading = read_text(text, "soup." + kind, kind)
        except InputError as exc:
            assert exc.filename == "soup." + kind and exc.line is not None
            return None
        for block in reading.blocks:
            assert isinstance(block, (ChainBlock, DeclaredBlock, SkippedBlock))
            if isinstance(block, SkippedBlock):
                assert block.line >= 1 and block.reason
        results = check_reading(reading, numeric=False, timeout=2)
    for result in results:
        for step in result.steps:
            assert step.verdict in ("verified", "refuted", "unknown")
    return reading


@ROBUST
@given(soups, st.sampled_from(["md", "tex"]))
def test_token_soups_in_a_display(soup, kind):
    _survives(f"$$\n{soup}\n$$\n", kind)


@ROBUST
@given(soups, st.sampled_from(["md", "tex"]))
def test_token_soups_as_a_document(soup, kind):
    _survives(soup, kind)


@ROBUST
@given(st.integers(0, len(DISPLAY)), st.sampled_from(["md", "tex"]))
def test_truncated_displays(cut, kind):
    reading = _survives(DISPLAY[:cut], kind)
    if reading is not None and cut < DISPLAY.index("\\end{aligned}"):
        # whatever the cut, nothing is verified that the cut display does not say
        assert all(isinstance(b, SkippedBlock) for b in reading.blocks) or \
            DISPLAY[:cut].count("$$") != 1


def test_the_whole_display_is_checked():
    reading = _survives(DISPLAY, "md")
    assert [type(b).__name__ for b in reading.blocks] == ["ChainBlock"]


def test_a_5_mb_file_is_refused_before_it_is_read():
    text = ("$$ a = a $$\n" + "x" * 100 + "\n") * 48_000
    assert len(text) > 5_000_000
    with no_hang(), pytest.raises(InputError) as info:
        read_text(text, "big.tex", "tex")
    exc = info.value
    assert "too large" in exc.message and (exc.line, exc.column) == (1, 1)


def test_a_large_file_under_the_bound_is_read():
    text = ("prose " * 20 + "\n$$ x + 1 $$\n") * 15_000     # 2 MB of text, 15,000 displays
    text = text[:1_900_000]
    with no_hang():
        reading = read_text(text, "long.md", "md")
    assert len(reading.blocks) > 10_000


def test_deep_nesting_is_a_skip_not_a_crash():
    text = "$$ a = " + r"\left(" * 400 + "x" + r"\right)" * 400 + " $$"
    reading = read_text(text, "deep.md", "md")
    (block,) = reading.blocks
    assert isinstance(block, SkippedBlock)
