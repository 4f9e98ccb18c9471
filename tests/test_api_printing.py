"""sympy's printing protocol on the algebra: ``sympy.latex(expr)`` and ``str(expr)`` read as the
command prints, inside sympy's own printers too."""
import sympy
from sympy import Integer, Symbol, log

from elbo_sym.algebra import (KL, Defined, Density, Draws, Entropy, Expectation, Gaussian,
                              IndexedVariable, SpaceIntegral, VariableRange)
from elbo_sym.printing import latex, text

x, z, m, v, K = (Symbol(n) for n in "x z m v K".split())
q = Density("q", (z,), (x,))
p_joint = Density("p", (x, z))
p_post = Density("p", (z,), (x,))
z1 = IndexedVariable("z", 1)
elbo_integrand = log(p_joint) - log(q)


def test_str_of_a_density_is_its_written_form_not_the_constructor():
    assert str(q) == "q(z | x)"
    assert repr(q) == "q(z | x)"
    assert str(Gaussian(z, m, v)) == "N(z; m, v)"


def test_sympy_latex_of_an_expectation_keeps_its_measure():
    e = Expectation(elbo_integrand, q)
    tex = sympy.latex(e)
    # the measure is the algebra's notation; the integrand is sympy's to print (its protocol)
    assert tex == (r"\mathbb{E}_{q(z \mid x)}\left[ \log{\left(p(x, z) \right)} "
                   r"- \log{\left(q(z \mid x) \right)} \right]")
    assert str(e) == "E_q(z | x)[log(p(x, z)) - log(q(z | x))]"


def test_every_algebra_class_prints_through_sympy_as_the_command_prints():
    r = VariableRange("z", 1, K)
    objects = [q, Gaussian(z, m, v), Expectation(q, q), SpaceIntegral(p_joint, (z,)),
               KL(q, p_post), Entropy(q), Defined("L", (x,), Integer(0)), z1, r,
               Draws(q, r)]
    for obj in objects:
        assert sympy.latex(obj) == latex(obj), obj
        assert str(obj) == text(obj), obj
    assert str(z1) == "z_1" and sympy.latex(z1) == "z_{1}"
    assert str(KL(q, p_post)) == "KL(q(z | x) ‖ p(z | x))"


def test_inside_sympy_arithmetic_the_pieces_print_as_the_command_does():
    expr = sympy.Add(KL(q, p_post), Expectation(elbo_integrand, q), evaluate=False)
    assert r"\operatorname{KL}\left(q(z \mid x) \,\middle\|\, p(z \mid x)\right)" in sympy.latex(expr)
    assert r"\mathbb{E}_{q(z \mid x)}" in sympy.latex(expr)
    assert "KL(q(z | x) ‖ p(z | x))" in str(expr) and "Density(" not in str(expr)
    # a notebook shows sympy's own _repr_latex_, which goes through the same hook
    assert sympy.latex(Expectation(log(q), q)) in Expectation(log(q), q)._repr_latex_()
