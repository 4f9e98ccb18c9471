r"""Issue 19, reading the notation inside a row: integrals in every spelling, expectations
without brackets or with a bare family, KL spelt with a comma, parameters after a semicolon,
accents over an indexed name, Gaussians without their variable. For each class a true step is
verified and a false one is never verified; a convention that adds meaning is noted."""
import textwrap

import pytest

from elbo_sym.readers import check_reading, read_text, summary_lines
from elbo_sym.readers.tokens import tokenize
from elbo_sym.readers.translate import Context, NoReading, Translator, normalize, text_of


def verdicts(rows: str):
    """The verdicts of the steps of one aligned display holding ``rows``, and the summary."""
    text = "$$\n\\begin{aligned}\n" + textwrap.dedent(rows).strip() + "\n\\end{aligned}\n$$\n"
    reading = read_text(text, "notes.md", "md")
    results = check_reading(reading, numeric=True)
    return [s.verdict for r in results for s in r.steps], summary_lines(reading)[1:]


def translate(latex: str):
    """(the file-language text of one LaTeX expression, the conventions noted)."""
    ctx = Context(latex)
    pieces = Translator(normalize(tokenize(latex)), ctx).expression()
    return text_of(pieces), ctx.conventions


# -- integrals ------------------------------------------------------------------------------

@pytest.mark.parametrize("integral", [
    r"\int_z p(x, z)",
    r"\int_{\mathbf{z}} p(x, z)",
    r"\int dz\, p(x, z)",
    r"\int \mathrm{d}z\, p(x \mid z)\, p(z)",
    r"\int{p(x, z)\,dz}",
    r"\int_{z \in \mathcal{Z}} p(x, z)\, dz",
])
def test_integrals_in_every_spelling_read_over_the_whole_space(integral):
    assert verdicts(rf"""
        p(x) + 1 &= {integral} + 1 \\
        &= 1 + p(x)
    """)[0] == ["verified", "verified"]
    assert verdicts(rf"""
        p(x) + 1 &= {integral} + 2 \\
        &= 1 + p(x)
    """)[0] == ["refuted", "refuted"]


def test_an_integrand_runs_to_its_differential_across_a_sum():
    assert verdicts(r"""
        p(x) + 1 &= \int p(x \mid z)\, p(z) + q(z)\, dz \\
        &= 1 + p(x)
    """)[0] == ["verified", "verified"]
    assert translate(r"\int f(z) + g(z)\, dz")[0].replace(" ", "") == "int[f(z)+g(z)]dz"


def test_the_integrand_of_int_z_or_of_a_leading_dz_ends_with_the_term():
    assert translate(r"\int_z p(x, z) + 1")[0].replace(" ", "") == "intp(x,z)dz+1"
    assert translate(r"\int dz\, p(x, z) - 1")[0].replace(" ", "") == "intp(x,z)dz-1"


@pytest.mark.parametrize("integral, reason", [
    (r"\int_0^1 p(x, z)\, dz", "bounds"),
    (r"\int_{0}^{\infty} p(x, z)\, dz", "bounds"),
    (r"\int_x p(x, z)\, dz", "is not its variable"),
    (r"\int p(x, z)", "no differential"),
    (r"\int dz\, dx\, p(x, z)", "two differentials"),
])
def test_integrals_that_are_not_over_the_whole_space_have_no_reading(integral, reason):
    with pytest.raises(NoReading, match=reason):
        translate(integral)


def test_an_integral_over_the_real_line_is_over_the_whole_space_only_upwards():
    assert translate(r"\int_{-\infty}^{\infty} f(z)\, dz")[0].replace(" ", "") == "intf(z)dz"
    with pytest.raises(NoReading, match="bounds"):
        translate(r"\int_{\infty}^{-\infty} f(z)\, dz")


# -- expectations -----------------------------------------------------------------------------

def test_an_expectation_without_brackets_takes_the_rest_of_the_term():
    rows = r"""
        \mathbb{E}_{z \sim q(z|x)} \log \frac{p(x, z)}{q(z|x)}
        &= \mathbb{E}_{z \sim q(z|x)} \log p(x|z) + \mathbb{E}_{z \sim q(z|x)} \log \frac{p(z)}{q(z|x)} \\
        &= \mathbb{E}_{z \sim q(z|x)} \log p(x|z) + %s
    """
    assert verdicts(rows % r"\mathbb{E}_{q(z|x)}[\log p(z) - \log q(z|x)]")[0] == \
        ["verified", "verified"]
    assert verdicts(rows % r"\mathbb{E}_{q(z|x)}[\log p(z) + \log q(z|x)]")[0][0] == "verified"
    assert verdicts(r"""
        \mathbb{E}_{z \sim q(z|x)} \log p(x|z) + 1 \\
        &= \mathbb{E}_{z \sim q(z|x)} [\log p(x|z) + 2]
    """) == (["refuted"], [])
    assert verdicts(r"""
        \mathbb{E}_{z \sim q(z|x)} \log p(x|z) + 1 \\
        &= \mathbb{E}_{z \sim q(z|x)} [\log p(x|z) + 1]
    """)[0] == ["verified"]


@pytest.mark.parametrize("spelling", [
    r"\mathbb{E}_{q(z)}\!\left[\log p(z)\right]",
    r"\mathbb{E}_{q(z)}\,[\log p(z)]",
    r"\operatorname*{\mathbb{E}}_{z\sim q(z)}[\log p(z)]",
    r"\operatorname{\mathbb{E}}_{z\sim q(z)}\log p(z)",
])
def test_expectation_spellings(spelling):
    assert verdicts(rf"""
        \mathbb{{E}}_{{q(z)}}[\log p(z)] + 1 \\
        &= {spelling} + 1
    """)[0] == ["verified"]
    assert verdicts(rf"""
        \mathbb{{E}}_{{q(z)}}[\log p(z)] + 1 \\
        &= {spelling} + 2
    """)[0] == ["refuted"]


def test_an_expectation_without_brackets_inside_an_integral_has_no_reading():
    with pytest.raises(NoReading, match="inside an integral"):
        translate(r"\int_z \mathbb{E}_{q(y)} \log p(y, z)\, dz")


BARE = r"""
    \mathbb{E}_{q_\phi(z \mid x)}\left[\log p(x, z) - \log q_\phi(z \mid x)\right] \\
    &= \mathbb{E}_{q}\left[\log p(x, z)\right] - \mathbb{E}_{q}\left[\log q_\phi(z \mid x)\right] %s
"""


def test_a_bare_family_letter_means_the_one_density_of_that_letter_written_in_full():
    assert verdicts(BARE % "")[0] == ["verified"]
    assert verdicts(BARE.replace(r"- \mathbb{E}_{q}\left[\log q", r"+ \mathbb{E}_{q}\left[\log q")
                    % "")[0] == ["refuted"]


def test_two_densities_of_the_letter_leave_a_bare_family_unread():
    found, skipped = verdicts(BARE % r"\\ &= \mathbb{E}_{q(z)}[\log p(x, z)] + 1")
    assert found == []
    assert any("bare" in line and "writes 2" in line for line in skipped)


def test_the_resolution_of_a_bare_family_is_noted():
    ctx = Context("")
    Translator(normalize(tokenize(r"q_\phi(z \mid x)")), ctx).expression()
    assert len(ctx.densities.get("q")) == 1
    assert ctx.conventions == ["reading a bare q as q_phi(z | x), the one density of q the "
                               "display writes in full"]


# -- KL ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kl", [r"KL(q(z), p(z))", r"\mathrm{KL}(q(z) \,,\, p(z))"])
def test_kl_spellings(kl):
    assert verdicts(rf"""
        \mathbb{{E}}_{{q(z)}}[\log q(z) - \log p(z)] \\
        &= {kl}
    """)[0] == ["verified"]
    assert verdicts(rf"""
        \mathbb{{E}}_{{q(z)}}[\log p(z) - \log q(z)] \\
        &= {kl}
    """)[0] != ["verified"]


def test_a_kl_with_three_arguments_has_no_reading():
    with pytest.raises(NoReading):
        translate(r"KL(q(z), p(z), r(z))")


# -- parameters after a semicolon --------------------------------------------------------------

def test_parameters_after_a_semicolon_name_the_density():
    assert translate(r"p(x, z; \theta)") == \
        ("p_theta ( x , z )", ["reading p(..; theta) as the density p_theta(..)"])
    assert verdicts(r"""
        \log p(x; \theta) \\
        &= \log p(x, z; \theta) - \log p(z \mid x; \theta)
    """)[0] == ["verified"]
    # another parameter is another density
    assert verdicts(r"""
        \log p(x; \theta) \\
        &= \log p(x, z; \theta) - \log p(z \mid x; \psi)
    """)[0] != ["verified"]


@pytest.mark.parametrize("density", [r"p(x; 2\theta)", r"p(x; \theta; \phi)",
                                     r"p_\theta(x; \phi)"])
def test_parameters_that_are_not_names_have_no_reading(density):
    with pytest.raises(NoReading):
        translate(density)


# -- accents ----------------------------------------------------------------------------------

def test_a_subscript_under_an_accent_is_the_accented_names_subscript():
    assert translate(r"\bar{\alpha_t}") == translate(r"\bar{\alpha}_t")
    assert verdicts(r"""
        \sqrt{\bar{\alpha_t}}^2 \\
        &= \bar\alpha_t
    """)[0] == ["verified"]
    assert verdicts(r"""
        \sqrt{\bar{\alpha_t}}^2 \\
        &= \alpha_t
    """)[0] == ["refuted"]
    assert translate(r"\tilde\beta_t + \hat x")[0] == "betatilde_t + xhat"
    with pytest.raises(NoReading):
        translate(r"\bar{\alpha_t}_s")


def test_a_name_applied_to_a_bracket_holding_itself_is_a_product_noted():
    text, notes = translate(r"\bar\alpha_t (1 - \bar\alpha_t)")
    assert text.replace(" ", "") == "alphabar_t*(1-alphabar_t)"
    assert notes == ["reading alphabar_t(..) as a product: alphabar_t is a variable inside "
                     "the bracket"]


# -- Gaussians without their variable ----------------------------------------------------------

def test_a_gaussian_under_sim_takes_its_variable_from_the_left():
    text, notes = translate(r"\mathbb{E}_{z \sim \mathcal{N}(0, 1)}[z^2]")
    assert text.replace(" ", "") == "E_{z~N(z;0,1)}[z^2]"
    assert notes and "the variable z" in notes[0]
    assert verdicts(r"""
        \mathbb{E}_{z \sim \mathcal{N}(0, 1)}[z^2] + 1 \\
        &= 2
    """)[0] == ["verified"]
    assert verdicts(r"""
        \mathbb{E}_{z \sim \mathcal{N}(0, 1)}[z^2] + 1 \\
        &= 3
    """)[0] == ["refuted"]


def test_a_gaussian_row_takes_its_variable_from_the_density_row_before():
    found, summary = verdicts(r"q(z \mid x) &= \mathcal{N}(\mu, \sigma^2)")
    assert any("model q(z | x) = N(z; μ, σ^2)" in line for line in summary)
    # over two variables there is no single one to take
    found, summary = verdicts(r"p(x, z) &= \mathcal{N}(0, 1)")
    assert found == [] and not any("declared" in line for line in summary)
