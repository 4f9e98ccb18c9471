"""sympy's protocol on the algebra (issue 17): ``expr.subs`` is capture-avoiding on every binder
(as ``binders.substitute``), and the ``_latex`` / ``_sympystr`` hooks hand the arguments back
to the printer they are given."""
import pytest
import sympy
from sympy import Symbol, log
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from elbo_sym.algebra import (KL, Density, Draws, Entropy, Expectation, Gaussian,
                              IndexedVariable, SpaceIntegral, VariableRange, substitute)
from elbo_sym.errors import DomainError
from elbo_sym.printing import latex, text

x, y, z, m, v, w, K = (Symbol(n) for n in "x y z m v w K".split())
q = Density("q", (z,), (x,))
p_joint = Density("p", (x, z))
elbo = Expectation(log(p_joint) - log(q), q)


# -- subs of a bound variable: nothing happens to it

@pytest.mark.parametrize("expr", [
    elbo,
    SpaceIntegral(p_joint, (z,)),
    KL(q, Density("p", (z,), (x,))),
    Entropy(q),
    Expectation(z ** 2, Gaussian(z, m, v)),
    Draws(q, VariableRange("z", 1, K)),
], ids=["expectation", "integral", "KL", "entropy", "gaussian", "draws"])
def test_subs_of_a_bound_variable_leaves_the_binder_unchanged(expr):
    assert expr.subs(z, y) == expr
    assert substitute(expr, {z: y}) == expr


def test_subs_of_a_bound_variable_changes_only_the_free_occurrences():
    assert (elbo + z).subs(z, y) == elbo + y


# -- subs of a free variable goes inside

def test_subs_of_a_free_variable_goes_inside():
    expected = Expectation(log(Density("p", (y, z))) - log(Density("q", (z,), (y,))),
                           Density("q", (z,), (y,)))
    assert elbo.subs(x, y) == expected
    assert substitute(elbo, {x: y}) == expected
    assert elbo.subs([(x, y), (z, w)]) == expected          # z is bound: only x goes in


def test_xreplace_of_a_free_variable_agrees_with_subs_and_only_xreplace_renames_bound_ones():
    assert elbo.xreplace({x: y}) == elbo.subs(x, y)
    # xreplace is structural (the binders' alpha-renaming is built on it); subs is not
    assert elbo.xreplace({z: y}) != elbo and elbo.subs(z, y) == elbo
    assert Entropy(q).xreplace({x: w}) == Entropy(q).subs(x, w) == Entropy(Density("q", (z,), (w,)))


def test_subs_into_draws_keeps_the_base_variable():
    draws = Draws(q, VariableRange("z", 1, K))
    assert draws.subs(x, y) == Draws(Density("q", (z,), (y,)), VariableRange("z", 1, K))
    assert draws.subs([(x, y), (z, w)]) == draws.subs(x, y)


# -- capture

def test_capture_of_a_pure_dummy_renames_it():
    expr = Expectation(m * z ** 2, Gaussian(z, m, v))
    renamed = Symbol("z'")
    expected = Expectation(z * renamed ** 2, Gaussian(renamed, z, v))
    assert expr.subs(m, z) == expected
    assert substitute(expr, {m: z}) == expected


def test_capture_of_a_family_variable_is_refused():
    with pytest.raises(DomainError, match="variable of a density family"):
        elbo.subs(x, z)
    with pytest.raises(DomainError, match="variable of a density family"):
        substitute(elbo, {x: z})


def test_capture_of_a_family_variable_is_refused_under_sympy_arithmetic():
    with pytest.raises(DomainError, match="variable of a density family"):
        (x + elbo).subs(x, z)


# -- compound expressions

def test_a_pattern_of_a_family_variable_goes_inside_one_of_a_pure_dummy_does_not():
    r = Density("r", (z,), (x,))
    assert elbo.subs(q, r) == Expectation(log(p_joint) - log(r), r)     # z is a name of q
    expr = Expectation(z ** 2, Gaussian(z, m, v))
    assert expr.subs(z ** 2, w) == expr


def test_subs_of_a_free_pattern_bringing_in_a_family_variable_is_refused():
    expr = Expectation(log(Density("p", (x,))) + log(q), q)
    with pytest.raises(DomainError):
        expr.subs(log(Density("p", (x,))), log(Density("p", (z,))))


# -- printers passed through

class BoldSymbols(LatexPrinter):
    def _print_Symbol(self, expr, style="plain"):
        return r"\mathbf{%s}" % expr.name


def test_a_latex_printer_subclass_reaches_the_arguments():
    assert BoldSymbols().doprint(Expectation(x * y, q)) == (
        r"\mathbb{E}_{q(\mathbf{z} \mid \mathbf{x})}\left[ \mathbf{x} \mathbf{y} \right]")
    assert BoldSymbols().doprint(IndexedVariable("z", Symbol("j"))) == r"z_{\mathbf{j}}"


def test_latex_settings_reach_the_arguments():
    assert sympy.latex(Expectation(x * y, q), mul_symbol="times") == (
        r"\mathbb{E}_{q(z \mid x)}\left[ x \times y \right]")
    assert sympy.latex(Entropy(Gaussian(z, x * y, v)), mul_symbol="dot") == (
        r"\operatorname{H}\left(\mathcal{N}(z; x \cdot y, v)\right)")


class Shouting(StrPrinter):
    def _print_Symbol(self, expr):
        return expr.name.upper()


def test_a_string_printer_subclass_reaches_the_arguments():
    assert Shouting().doprint(Expectation(x ** 2, q)) == "E_q(Z | X)[X**2]"
    assert Shouting().doprint(SpaceIntegral(x + z, (z,))) == "∫ (X + Z) dZ"
    assert str(Expectation(x ** 2, q)) == "E_q(z | x)[x**2]"
    # the command's own printers keep their notation
    assert latex(Expectation(x * y, q)) == r"\mathbb{E}_{q(z \mid x)}\left[ x y \right]"
    assert text(Expectation(x ** 2, q)) == "E_q(z | x)[x^2]"
