r"""Issue 19, item 1 (checker side): an integral over the whole space of z of a density OF z
times f is the expectation of f under that density (the rule `importance-weighting` with
f = q g), so the KL written as an integral meets its definition; and marginalization integrates
out a run of a range (int p(x_{0:T}) dx_{1:T} = p(x_0)). A density that is not one of the
integrated variable (p(x | z) for dz), one of another variable, or an integral over a variable
the density does not have, never gives an expectation under it."""
import textwrap

import pytest

from elbo_sym.readers import check_reading, read_text

from conftest import check_deriv


def verdict(tmp_path, step: str, *options: str, preamble: str = "") -> str:
    """The verdict of the one step of a derivation ``step`` (its first line the start), after
    the lines of ``preamble`` (assumptions)."""
    lines = textwrap.dedent(step).strip().splitlines()
    text = preamble + 'derivation d "d"\n' + "\n".join("  " + line for line in lines) + "\n"
    _, steps = check_deriv(tmp_path, text, *options)
    assert len(steps) == 1
    return steps[0]["verdict"]


TRUE = [
    # (a) and its reverse
    "int q(z|x) log p(x, z) dz\n= E_{q(z|x)}[ log p(x, z) ]",
    "E_{q(z|x)}[ log p(x, z) ]\n= int q(z|x) log p(x, z) dz",
    "int q(z|x) log p(x|z) dz + log p(x)\n= E_{q(z|x)}[ log p(x|z) ] + log p(x)",
    "int (log p(x, z)) q(z|x) dz\n= E_{q(z|x)}[ log p(x, z) ]",
    # a density of z given something else, and a Gaussian over z
    "int p(z|x) log q(z) dz\n= E_{p(z|x)}[ log q(z) ]",
    "int N(z; mu, s) z^2 dz\n= mu^2 + s",
    # (b) the KL as an integral, both ways round
    "KL(q(z|x) || p(z))\n= int q(z|x) log (q(z|x) / p(z)) dz",
    "int q(z|x) log (q(z|x) / p(z)) dz\n= KL(q(z|x) || p(z))",
    "int q(z|x) log (p(x, z) / q(z|x)) dz\n= E_{q(z|x)}[ log p(x|z) ] - KL(q(z|x) || p(z))",
    # (c) marginalising over a run of a range
    "p(x_0)\n= int p(x_{0:T}) dx_{1:T}",
    "p(x_0 | y)\n= int p(x_{0:T} | y) dx_{1:T}",
    "p(x_T)\n= int p(x_{0:T}) dx_{0:T-1}",
]


@pytest.mark.parametrize("step", TRUE)
def test_true_steps_are_verified(tmp_path, step):
    assert verdict(tmp_path, step) == "verified"


def test_the_integral_as_an_expectation_is_importance_weighting(tmp_path):
    step = "int q(z|x) log p(x, z) dz\n= E_{q(z|x)}[ log p(x, z) ]     by importance-weighting"
    assert verdict(tmp_path, step, "--strict") == "verified"


def test_a_run_inside_a_range_leaves_the_rest_where_the_range_is_long_enough(tmp_path):
    step = "p(x_{0:1})\n= int p(x_{0:T}) dx_{2:T}"
    assert verdict(tmp_path, step, preamble="assume T >= 1\n") == "verified"
    # at T = 0 nothing is integrated, and p(x_0) is no p(x_0, x_1)
    assert verdict(tmp_path, step) != "verified"


def test_a_range_marginal_is_marginalization(tmp_path):
    step = "p(x_0)\n= int p(x_{0:T}) dx_{1:T}     by marginalization"
    assert verdict(tmp_path, step, "--strict") == "verified"


FALSE = [
    # p(x | z) is not a density of z
    ("int p(x|z) log p(x, z) dz\n= E_{p(x|z)}[ log p(x, z) ]", "refuted"),
    ("int p(x|z) log p(z) dz\n= E_{p(z|x)}[ log p(z) ]", "refuted"),
    ("int p(x|z) dz\n= 1", "refuted"),
    # a density of another variable
    ("int q(w|x) log p(x, z) dz\n= E_{q(w|x)}[ log p(x, z) ]", "unknown"),
    # an integral over a variable the density does not have
    ("int q(z|x) log p(x, w) dw\n= E_{q(z|x)}[ log p(x, w) ]", "unknown"),
    # a joint of z and x is not normalised over z
    ("int q(x, z) log p(x, z) dz\n= E_{q(z|x)}[ log p(x, z) ]", "refuted"),
    # the KL with its arguments swapped under the integral
    ("KL(q(z|x) || p(z))\n= int p(z) log (q(z|x) / p(z)) dz", "refuted"),
]


@pytest.mark.parametrize("step, expected", FALSE)
def test_false_steps_are_never_verified(tmp_path, step, expected):
    assert verdict(tmp_path, step) == expected


@pytest.mark.parametrize("step", [
    "p(x_0)\n= int p(x_{0:T}) dx_{2:T}",         # leaves x_1
    "p(x_0)\n= int p(x_{0:T}) dx_{0:T-1}",       # leaves x_T
    "p(x_0)\n= int p(x_{1:T}) dx_{0:T}",         # x_0 is no variable of the density
    "p(x_0)\n= int p(x_{0:T}) dx_{k:T}",         # how much is left depends on k
])
def test_false_or_undecided_range_marginals_are_not_verified(tmp_path, step):
    assert verdict(tmp_path, step) != "verified"


def steps_of_display(display: str):
    reading = read_text("$$\n" + display + "\n$$\n", "notes.md", "md")
    return [s.verdict for r in check_reading(reading, numeric=True) for s in r.steps]


def test_a_markdown_integral_is_the_expectation():
    display = r"\int q(z|x) \log p(x,z)\,dz = \mathbb{E}_{q(z|x)}[\log p(x,z)]"
    assert steps_of_display(display) == ["verified"]


def test_a_markdown_kl_written_as_an_integral():
    display = (r"D_{KL}(q(z|x) \| p(z)) = \int q(z|x) \log\frac{q(z|x)}{p(z)}\,dz")
    assert steps_of_display(display) == ["verified"]


def test_a_markdown_integral_of_a_likelihood_over_z_is_not_its_expectation():
    display = r"\int p(x|z) \log p(x,z)\,dz = \mathbb{E}_{p(x|z)}[\log p(x,z)]"
    assert "verified" not in steps_of_display(display)
