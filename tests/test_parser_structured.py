"""The parser for structured models (issue 9): indexed variables with expression indices and
counts (x_{t-1}, x_T), ranges (x_{1:T}), products (prod_{t=1}^{T}), i.i.d. draws
(E_{z_{1:K} ~ q(z | x)}[f]) and model lines. Exact objects for what parses, exact
FILE:LINE:COL messages for what does not; the conformance files of models.tsv.
"""
import csv
from pathlib import Path

import pytest
from sympy import Integer, Mul, Pow, Product, Sum, Symbol, log

from conftest import CONFORMANCE, assert_exact_error, error_of
from elbo_sym.algebra import (KL, Density, Draws, Expectation, Gaussian, IndexedVariable,
                              SpaceIntegral, VariableRange)
from elbo_sym.derivation import Assumption, ModelDeclaration
from elbo_sym.errors import InputError
from elbo_sym.parser import parse_expression, parse_file, parse_text
from elbo_sym.printing import text as printed


x, y, z, w, a, s, t, k, j, T, K, J, mu = (Symbol(n) for n in
                                           ("x", "y", "z", "w", "a", "s", "t", "k", "j", "T",
                                            "K", "J", "mu"))


def X(i):
    return IndexedVariable("x", i)


def Z(i):
    return IndexedVariable("z", i)


def p(*vs, given=(), family="p"):
    return Density(family, vs, given)


def q(*vs, given=()):
    return Density("q", vs, given)


def ev(e):
    """``e`` rebuilt bottom-up with sympy's evaluation on (the parser keeps the author's order
    of terms and factors)."""
    if not e.args:
        return e
    return e.func(*[ev(arg) for arg in e.args])


def step(text):
    """The expression of the one step of ``x = ...`` (so a file's counts are in play),
    evaluated."""
    (d,) = parse_text(text, "t.deriv")
    return ev(d.steps[0].expr)


def expression(text):
    return ev(parse_expression(text))


# -- indexed variables ------------------------------------------------------------------------

@pytest.mark.parametrize("written, expected", [
    ("x_{t-1}", X(t - 1)),
    ("x_{t+1}", X(t + 1)),
    ("x_{2 t}", X(2 * t)),
    ("x_{2*t - 1}", X(2 * t - 1)),
    ("x_{-1 + t}", X(t - 1)),          # evaluated: one object however written
    ("x_{1+1}", X(2)),
    ("x_{0}", X(0)),
    ("x_0", X(0)),
    ("z_1", Z(1)),
    ("x_{T}", X(T)),
    ("x_{t - s}", X(t - s)),
])
def test_expression_indices(written, expected):
    assert parse_expression(written) == expected      # exactly: indices are evaluated


def test_a_let_name_in_an_index_is_an_index_name():
    (d,) = parse_text("let t = 5\nx\n= x_{t-1}\n", "t.deriv")
    assert d.steps[0].expr == X(t - 1)


def test_a_count_subscript_is_an_element():
    # T is a count: the upper bound of a sum (written after the use), of a product, of a range
    assert step("x\n= x_T + sum_{t=1}^{T} x_t\n") == X(T) + Sum(X(t), (t, 1, T))
    assert step("x\n= z_K + prod_{k=1}^K z_k\n") == Z(K) + Product(Z(k), (k, 1, K))
    assert step("x\n= log p(x_T) + log q(x_{1:T})\n") == \
        log(p(X(T))) + log(q(VariableRange("x", 1, T)))
    assert step("x\n= sigma_J + sum_{j=1}^{J + 1} mu_j\n") == \
        IndexedVariable("sigma", J) + Sum(IndexedVariable("mu", j), (j, 1, J + 1))
    # x_T is the element x_t at t = T
    (d,) = parse_text("x_T\n= sum_{t=1}^{T} x_t\n", "t.deriv")
    assert d.steps[0].expr.function.xreplace({t: T}) == d.start == X(T)


def test_a_count_in_another_derivation_of_the_file_counts():
    ders = parse_text("derivation a\nx\n= x_T\nderivation b\nx\n= sum_{t=1}^{T} x_t\n",
                      "t.deriv")
    assert ders[0].steps[0].expr == X(T)


def test_a_name_written_in_an_index_indexes():
    # t is written in the index x_{t-1}: x_t is the element t of x, anywhere in the file
    assert step("x\n= q(x_t | x_{t-1}) + sigma_t\n") == \
        q(X(t), given=(X(t - 1),)) + IndexedVariable("sigma", t)
    (d,) = parse_text("x_t\n= log p(x_{2:t-1})\n", "t.deriv")
    assert d.start == X(t)


def test_other_subscripts_stay_plain_names():
    assert step("x\n= sigma_z + mu_q + x_T + z_k\n") == \
        Symbol("sigma_z") + Symbol("mu_q") + Symbol("x_T") + Symbol("z_k")
    # the names of an expectation's subscript index nothing
    assert step("x\n= mu_z + E_{q(z | x)}[ z ] + sigma_x + x_{t-1}\n") == \
        Symbol("mu_z") + Expectation(z, q(z, given=(x,))) + Symbol("sigma_x") + X(t - 1)
    # a count does not index a family
    assert step("x\n= log p_T(x) + sum_{t=1}^{T} x_t\n") == \
        log(Density("p_T", (x,))) + Sum(X(t), (t, 1, T))


@pytest.mark.parametrize("text, where, message", [
    ("x\n= x_{t/2}\n", "2:6", "an index is a whole number or a whole-number expression in "
                              "names (x_{t-1}, x_{2 t}), and 't/2' is none"),
    ("x\n= x_{1.5}\n", "2:6", "an index is a whole number or a whole-number expression in "
                              "names (x_{t-1}, x_{2 t}), and '1.5' is none (3/2 is no whole "
                              "number)"),
    ("x\n= x_{q(z)}\n", "2:6", "an index is a whole number or a whole-number expression in "
                               "names (x_{t-1}, x_{2 t}), and 'q(z)' is none"),
    ("x\n= x_{z_1}\n", "2:6", "an index is a whole number or a whole-number expression in "
                              "names (x_{t-1}, x_{2 t}), and 'z_1' is none"),
    ("x\n= x_{t^2}\n", "2:6", "an index is a whole number or a whole-number expression in "
                              "names (x_{t-1}, x_{2 t}), and 't^2' is none"),
    ("x\n= pi_{t}\n", "2:3", "'pi' cannot take an index"),
    ("x\n= E_{q(z)}\n", "2:3", "an expectation needs its brackets: E_{q(z)}[ f ]"),
    ("x\n= x_{a ~ q(z)}\n", "2:6",
     "'~' belongs in the subscript of an expectation: E_{z ~ q(z|x)}[ f ]"),
    ("x\n= x_{t} [a]\n", "2:3",
     "only E takes a subscript and brackets (E_{q(z|x)}[ f ]), not x"),
    ("x\n= prod_{x_1=1}^{T} x\n", "2:9",
     "'x_1' is an indexed variable and cannot be a product index"),
    ("x\n= sum_{x_T=1}^{2} x + x_{1:T}\n", "2:8",
     "'x_T' is an indexed variable and cannot be a summation index"),
])
def test_index_errors(text, where, message):
    assert_exact_error(text, where, message)


# -- ranges -----------------------------------------------------------------------------------

def test_ranges_in_densities_expectations_and_integrals():
    r = VariableRange("x", 1, T)
    assert step("x\n= q(x_{1:T} | x_0)\n") == q(r, given=(X(0),))
    assert step("x\n= p(x_{0:T})\n") == p(VariableRange("x", 0, T))
    assert step("x\n= p(x_t | x_{2:t-1})\n") == p(X(t), given=(VariableRange("x", 2, t - 1),))
    assert step("x\n= p(y | z_{1:K})\n") == p(y, given=(VariableRange("z", 1, K),))
    assert step("x\n= E_{q(x_{1:T} | x_0)}[ log p(x_{0:T}) ]\n") == \
        Expectation(log(p(VariableRange("x", 0, T))), q(r, given=(X(0),)))
    assert step("x\n= E_{x_{1:T} ~ q(x_{1:T} | x_0)}[ 1 ]\n") == \
        Expectation(Integer(1), q(r, given=(X(0),)))
    assert step("x\n= int p(x_{0:T}) dx_{1:T}\n") == \
        SpaceIntegral(p(VariableRange("x", 0, T)), (r,))
    assert step("x\n= int int p(x_{t-1}, y) dx_{t-1} dy\n") == \
        SpaceIntegral(SpaceIntegral(p(X(t - 1), y), (X(t - 1),)), (y,))


def test_inside_an_expectation_over_a_range_a_named_element_is_an_element():
    assert step("x\n= E_{q(x_{1:T} | x_0)}[ log p(x_t) ]\n") == \
        Expectation(log(p(X(t))), q(VariableRange("x", 1, T), given=(X(0),)))


def test_an_empty_range_is_no_variable():
    assert step("x\n= p(y, x_{2:1})\n") == p(y)
    assert_exact_error("x\n= q(x_{2:1} | x_1)\n", "2:3", "the density q() has no variable")


@pytest.mark.parametrize("text, where, message", [
    ("x\n= x_{1:T} + 1\n", "2:3", "a range of variables stands only in a density "
     "(p(x_{1:T})), an expectation's subscript or an integral (dx_{1:T}), and 'x_{1:T}' "
     "stands elsewhere"),
    ("x\n= log p(x) + x_{t+1:T}\n", "2:14", "a range of variables stands only in a density "
     "(p(x_{1:T})), an expectation's subscript or an integral (dx_{1:T}), and 'x_{t+1:T}' "
     "stands elsewhere"),
    ("assume x_{1:T} >= 0\nx\n= x\n", "1:8", "a range of variables stands only in a density "
     "(p(x_{1:T})), an expectation's subscript or an integral (dx_{1:T}), and 'x_{1:T}' "
     "stands elsewhere"),
    ("x\n= N(x_{1:T}; 0, 1)\n", "2:3", "N(...) is over one variable, and 'x_{1:T}' is a "
                                       "range of them"),
    ("x\n= E_{x_{1:T}}[ x ]\n", "2:6", "an expectation is taken under a density, and "
                                       "'x_{1:T}' is none"),
    ("x\n= x_{1:T/2}\n", "2:8", "an index is a whole number or a whole-number expression in "
                                "names (x_{t-1}, x_{2 t}), and 'T/2' is none"),
])
def test_range_errors(text, where, message):
    assert_exact_error(text, where, message)


@pytest.mark.parametrize("text, where, message", [
    ("x\n= q(x_{1:T} | x_1)\n", "2:3", "x_{1:T} and x_1 share a variable at T = 1: a density "
                                       "cannot hold a variable on both sides of its bar"),
    ("x\n= q(x_{1:3} | x_2)\n", "2:3", "x_{1:3} and x_2 share a variable: a density cannot "
                                       "hold a variable on both sides of its bar"),
    ("x\n= q(x_{t-1} | x_0)\n", "2:3", "x_{t-1} and x_0 are the same variable at t = 1: a "
                                       "density cannot hold a variable on both sides of its "
                                       "bar"),
    ("x\n= sum_{t=1}^{T} log q(x_{t-1} | x_t, x_0)\n", "2:21",
     "x_{t-1} and x_0 are the same variable at t = 1: a density cannot hold a variable on "
     "both sides of its bar"),
    ("x\n= sum_{t=1}^{T} log q(x_t | x_{1:T})\n", "2:21",
     "x_t and x_{1:T} share a variable at T = 1, t = 1: a density cannot hold a variable on "
     "both sides of its bar"),
    ("x\n= log q(x_1 | x_0) + prod_{t=1}^{T} q(x_t | x_{t-1}, x_1)\n", "2:37",
     "x_t and x_1 are the same variable at t = 1: a density cannot hold a variable on both "
     "sides of its bar"),
])
def test_a_variable_on_both_sides_of_the_bar_for_some_index_value(text, where, message):
    assert_exact_error(text, where, message)


def test_indices_that_never_meet_are_fine():
    # inside sum_{t=2}^{T}, x_{t-1} is never x_0
    assert step("x\n= sum_{t=2}^{T} log q(x_{t-1} | x_t, x_0)\n") == \
        Sum(log(q(X(t - 1), given=(X(t), X(0)))), (t, 2, T))
    assert step("x\n= q(x_t | x_{t-1})\n") == q(X(t), given=(X(t - 1),))
    assert step("x\n= q(x_{2:T} | x_1)\n") == q(VariableRange("x", 2, T), given=(X(1),))
    # an assumption read before the line settles it
    (d,) = parse_text("assume t >= 2\nx\n= q(x_{t-1} | x_0)\n", "t.deriv")
    assert d.steps[0].expr == q(X(t - 1), given=(X(0),))


def test_printed_ranges_read_back():
    for e in (q(VariableRange("x", 1, T), given=(X(0),)),
              SpaceIntegral(p(VariableRange("x", 1, T)), (VariableRange("x", 1, T),)),
              p(VariableRange("x", t + 1, T), given=(X(t),))):
        assert expression(printed(e)) == ev(e)


# -- products ---------------------------------------------------------------------------------

def test_products_read_like_sums():
    assert expression("prod_{t=1}^{T} p(x_t | x_{t-1})") == \
        Product(p(X(t), given=(X(t - 1),)), (t, 1, T))
    assert expression("prod_{j=1}^J mu_j") == Product(IndexedVariable("mu", j), (j, 1, J))
    # the prefixed form takes the rest of the product, not what follows a '+'
    assert expression("log prod_{t=1}^{T} p(x_t) q(x_t) + 1") == \
        log(Product(Mul(p(X(t)), q(X(t))), (t, 1, T))) + 1
    assert expression("prod_{i=1}^{3} prod_{j=1}^{i} x_j") == \
        Product(Product(X(j), (j, 1, Symbol("i"))), (Symbol("i"), 1, 3))
    assert expression("2 prod_{t=0}^{T-1} x_{t+1}") == \
        2 * Product(X(t + 1), (t, 0, T - 1))


def test_printed_signs_read_back():
    body = p(X(t - 1), given=(X(t),))
    for e in (Product(body, (t, 1, T)), Sum(log(body), (t, 1, T)), log(Product(body, (t, 1, T))),
              Product(body, (t, 0, T - 1)), KL(q(z), p(z)), SpaceIntegral(p(x), (x,))):
        assert expression(printed(e)) == ev(e)
    assert expression("∏_{t=1}^{T} x_t + ∑_{t=1}^{T} x_t + ∫ p(x) dx") == \
        Product(X(t), (t, 1, T)) + Sum(X(t), (t, 1, T)) + SpaceIntegral(p(x), (x,))


@pytest.mark.parametrize("text, where, message", [
    ("x\n= prod_{t=1}^{2.5} x_t\n", "2:15",
     "the bounds of a product are whole numbers or names, and '2.5' is no whole number"),
    ("x\n= prod_{t=1}^{T} log p_t(x)\n", "2:22",
     "families are not indexed: 'p_t' is one family whatever t is; index its variables "
     "instead (p(x_t))"),
    ("x\n= prod_t f\n", "2:3", "a product needs bounds: prod_{t=1}^{T} f"),
    ("x\n= prod(x)\n", "2:3", "write prod_{t=1}^{T} f"),
    ("x\n= prod\n", "2:7", "the line ends too early; expected '_{'"),
    # after '^' a bare prod cannot stand (as for sum): bracket it
    ("x\n= x^prod_{t=1}^{T} x\n", "2:12", "unexpected '='; expected ':', '}' or '~'"),
    ("x\n= prod_{log=1}^{T} x\n", "2:9", "'log' cannot be a product index"),
    ("x\n= prod_{e=1}^{T} x\n", "2:9", "'e' cannot be a product index"),
])
def test_product_errors(text, where, message):
    assert_exact_error(text, where, message)


# -- i.i.d. draws -----------------------------------------------------------------------------

def test_draws():
    draws = Draws(q(z, given=(x,)), VariableRange("z", 1, K))
    ratio = Mul(p(x, Z(k)), Pow(q(Z(k), given=(x,)), -1))
    e = step("x\n= E_{z_{1:K} ~ q(z | x)}[ sum_{k=1}^{K} p(x, z_k) / q(z_k | x) ]\n")
    assert e == Expectation(Sum(ratio, (k, 1, K)), draws)
    assert isinstance(e.density, Draws) and e.density.at(k) == q(Z(k), given=(x,))
    # z_k outside a sum: the draw k
    assert step("x\n= E_{z_{1:K} ~ q(z | x)}[ log p(x | z_k) ]\n") == \
        Expectation(log(p(x, given=(Z(k),))), draws)
    # draws named apart from the base's variable, and from a Gaussian
    assert step("x\n= E_{w_{1:K} ~ q(z | x)}[ w_k ]\n") == \
        Expectation(IndexedVariable("w", k), Draws(q(z, given=(x,)), VariableRange("w", 1, K)))
    assert step("x\n= E_{z_{1:K} ~ N(z; mu, 1)}[ z_k ]\n") == \
        Expectation(Z(k), Draws(Gaussian(z, mu, 1), VariableRange("z", 1, K)))
    # a plain name stays the ordinary expectation
    assert step("x\n= E_{z ~ q(z | x)}[ z ]\n") == Expectation(z, q(z, given=(x,)))


def test_iwae_reads_back_from_its_printed_text():
    zk = Z(k)
    ratio = Mul(p(x, zk), Pow(q(zk, given=(x,)), -1))
    e = Expectation(log(Mul(Pow(K, -1), Sum(ratio, (k, 1, K)))),
                    Draws(q(z, given=(x,)), VariableRange("z", 1, K)))
    assert expression(printed(e)) == ev(e)


@pytest.mark.parametrize("text, where, message", [
    ("x\n= E_{x_{1:K} ~ q(z | x)}[ x_k ]\n", "2:6",
     "the draws x_{1:K} are named like a variable that 'q(z | x)' depends on: name them "
     "after its variable (z_{1:K})"),
    ("x\n= E_{z_{1:K} ~ q(z, y | x)}[ z_k ]\n", "2:16",
     "draws are taken from a density over one plain variable (z_{1:K} ~ q(z | x)), and "
     "'q(z, y | x)' is none"),
    ("x\n= E_{z_{1:K} ~ q(z_1 | x)}[ z_k ]\n", "2:16",
     "draws are taken from a density over one plain variable (z_{1:K} ~ q(z | x)), and "
     "'q(z_1 | x)' is none"),
    ("x\n= E_{z_{1:K} ~ K}[ z_k ]\n", "2:16",
     "an expectation is taken under a density, and 'K' is none"),
    ("x\n= E_{y ~ q(z | x)}[ z ]\n", "2:6",
     "y is not a variable of 'q(z | x)' (those left of its bar)"),
    ("x\n= E_{z_{1:K}}[ z_k ]\n", "2:6",
     "an expectation is taken under a density, and 'z_{1:K}' is none"),
    ("x\n= E_{1:K}[ z_k ]\n", "2:6",
     "an expectation is taken under a density: E_{q(x_{1:T} | x_0)}[ f ], or over draws: "
     "E_{z_{1:K} ~ q(z | x)}[ f ]"),
])
def test_draws_errors(text, where, message):
    assert_exact_error(text, where, message)


# -- model lines ------------------------------------------------------------------------------

def test_model_lines_of_the_contract():
    text = ("model p(x, z_1, z_2) = p(x | z_1) p(z_1 | z_2) p(z_2)\n"
            "model q(x_{1:T} | x_0) = prod_{t=1}^{T} q(x_t | x_{t-1})\n"
            "model p_theta(x, z) = p_theta(x | z) p(z)\n"
            "model r(x, z) = N(x; a z, s^2) N(z; 0, 1)\n"
            "derivation d\nx\n= x\n")
    (d,) = parse_text(text, "t.deriv")
    z1, z2 = Z(1), Z(2)
    assert d.models == (
        ModelDeclaration(p(x, z1, z2), (p(x, given=(z1,)), p(z1, given=(z2,)), p(z2)), 1),
        ModelDeclaration(q(VariableRange("x", 1, T), given=(X(0),)),
                         (Product(q(X(t), given=(X(t - 1),)), (t, 1, T)),), 2),
        ModelDeclaration(p(x, z, family="p_theta"), (p(x, given=(z,), family="p_theta"), p(z)),
                         3),
        ModelDeclaration(Density("r", (x, z)), (Gaussian(x, a * z, s ** 2), Gaussian(z, 0, 1)),
                         4),
    )


def test_model_of_a_markov_chain_with_its_end_factor():
    (d,) = parse_text("model p(x_{0:T}) = p(x_T) prod_{t=1}^{T} p(x_{t-1} | x_t)\n"
                      "derivation d\nx\n= x\n", "t.deriv")
    assert d.models == (ModelDeclaration(
        p(VariableRange("x", 0, T)),
        (p(X(T)), Product(p(X(t - 1), given=(X(t),)), (t, 1, T))), 1),)


def test_a_model_line_continues_like_a_step():
    for text in ("model p(x, z) = p(x | z)\n    * p(z)\nlog p(x, z)\n= log p(x, z)\n",
                 "model p(x, z) = p(x | z) *\n    p(z)\nlog p(x, z)\n= log p(x, z)\n",
                 "model p(x, z) = p(x |\n    z) p(z)\nlog p(x, z)\n= log p(x, z)\n",
                 "model p(x, z) =\n    p(x | z) p(z)\nlog p(x, z)\n= log p(x, z)\n"):
        (d,) = parse_text(text, "t.deriv")
        assert d.models == (ModelDeclaration(p(x, z), (p(x, given=(z,)), p(z)), 1),)
        assert d.start == log(p(x, z)) and d.start_line == 3
    # without an operator, the line under a model is the start of the chain
    (d,) = parse_text("model p(x, z) = p(x | z) p(z)\np(x, z)\n= p(x, z)\n", "t.deriv")
    assert d.start == p(x, z) and d.start_line == 2


def test_model_scoping():
    text = ("model p(x, z) = p(x | z) p(z)\n"
            "derivation a\nmodel q(z | x) = q(z | x)\nx\n= x\n"
            "derivation b\nx\n= x\n")
    a_, b_ = parse_text(text, "t.deriv")
    file_model = ModelDeclaration(p(x, z), (p(x, given=(z,)), p(z)), 1)
    assert a_.models == (file_model, ModelDeclaration(q(z, given=(x,)), (q(z, given=(x,)),), 3))
    assert b_.models == (file_model,)
    # the same family in two derivations: each its own
    a_, b_ = parse_text("derivation a\nmodel p(x, z) = p(x | z) p(z)\nx\n= x\n"
                        "derivation b\nmodel p(x, z) = p(z | x) p(x)\nx\n= x\n", "t.deriv")
    assert a_.models[0].factors == (p(x, given=(z,)), p(z))
    assert b_.models[0].factors == (p(z, given=(x,)), p(x))
    # a headerless file
    (d,) = parse_text("model p(x, z) = p(x | z) p(z)\nx\n= x\n", "t.deriv")
    assert d.models == (file_model,)


@pytest.mark.parametrize("text, where, message", [
    ("model p(x, z) = p(x | z) p(z)\nmodel p(x, z) = p(x | z) p(z)\nx\n= x\n", "2:1",
     "a second model for the family 'p' (the first is on line 1)"),
    ("model p(x, z) = p(x | z) p(z)\nderivation a\nmodel p(x, z) = p(z | x) p(x)\nx\n= x\n",
     "3:1", "a second model for the family 'p' (the first is on line 1)"),
    ("derivation a\n  model p(a, b) = p(a | b) p(b | a)\nx\n= x\n", "2:3",
     "the factors make a cycle: a <- b <- a"),
    ("derivation a\nmodel p(x, z) = p(x | z)\nx\n= x\n", "2:1",
     "z is on the model's left side but no factor gives it"),
    ("model p(x, z) = p(x | z) p(z) p(y)\nx\n= x\n", "1:31",
     "the factor p(y) gives y, which the model's left side does not name"),
    ("model p(x, z) = p(x | z, y) p(z)\nx\n= x\n", "1:17",
     "the factor p(x | y, z) depends on y, which the model does not name"),
    ("model p(x, z) = p(x, z | y) p(z)\nx\n= x\n", "1:17",
     "a factor gives one variable, and p(x, z | y) gives 2"),
    ("model p(x, z) = p(x | z) p(z) p(x)\nx\n= x\n", "1:31", "x is given by two factors"),
    ("model p(x, z) = p(x | z) 2 p(z)\nx\n= x\n", "1:26", "a factor is a density, and 2 is none"),
    ("model p(x_{0:T}) = p(x_T) prod_{t=1}^{T} p(x_t | x_{t-1})\nx\n= x\n", "1:27",
     "x_1 is given by two factors"),
    ("model p(x, z) = p(x | z) / p(z)\nx\n= x\n", "1:26",
     "a model is a product of factors, with no '/': model p(x, z) = p(x | z) p(z)"),
    ("model N(x; 0, 1) = p(x)\nx\n= x\n", "1:7", "a model's left side is a density of a family "
     "(model p(x, z) = ...), and 'N(x; 0, 1)' is none"),
    ("model log p(x) = p(x)\nx\n= x\n", "1:7", "a model's left side is a density of a family "
     "(model p(x, z) = ...), and 'log p(x)' is none"),
    ("model p(x, z) >= p(x | z) p(z)\nx\n= x\n", "1:15", "unexpected '>='; expected '='"),
    ("model p(x, z) = p(x | z) p(z) by model\nx\n= x\n", "1:31",
     "unexpected 'by'; expected"),
    ("x\n= model + 1\n", "2:3", "'model' is a keyword and cannot stand here"),
    ("let model = 1\nx\n= x\n", "1:5", "'model' already means something and cannot be a let"),
])
def test_model_errors(text, where, message):
    err = error_of(text)
    first = str(err).split("\n")[0]
    assert first.startswith(f"t.deriv:{where}: error: {message}"), first


def test_assume_equation_stays():
    (d,) = parse_text("assume a = 2 s\nx\n= x\n", "t.deriv")
    assert d.assumptions == (Assumption(a, "=", 2 * s, 1),)


# -- the conformance files --------------------------------------------------------------------

def _model_rows():
    with open(CONFORMANCE / "models.tsv", encoding="utf-8") as fh:
        return [tuple(r) for r in csv.reader(fh, delimiter="\t") if r]


@pytest.mark.parametrize("rel, expect, where", _model_rows())
def test_models_conformance_files_parse(rel, expect, where):
    if expect == "input-error":
        with pytest.raises(InputError) as info:
            parse_file(CONFORMANCE / rel)
        assert info.value.line == int(where) and info.value.column == 1, str(info.value)
        return
    ders = parse_file(CONFORMANCE / rel)
    assert ders and all(d.steps for d in ders)
    if expect in ("refuted", "not-verified"):
        name, index = where.split(":")
        assert any(d.name == name and len(d.steps) >= int(index) for d in ders)


def test_ddpm_objects():
    """The diffusion file: the models, and a step's telescoped sum over t = 2..T."""
    ders = parse_file(CONFORMANCE / "models" / "ddpm.deriv")
    assert [d.name for d in ders] == ["ddpm-bound", "ddpm-terms"]
    for d in ders:
        assert [m.family for m in d.models] == ["p", "q"]
        assert d.assumptions == (Assumption(T, ">=", 2, 5),)
    term = Sum(Expectation(KL(q(X(t - 1), given=(X(t), X(0))), p(X(t - 1), given=(X(t),))),
                           q(X(t), given=(X(0),))), (t, 2, T))
    assert ev(ders[1].steps[-1].expr) == (
        Expectation(log(p(X(0), given=(X(1),))), q(X(1), given=(X(0),)))
        - KL(q(X(T), given=(X(0),)), p(X(T))) - term)
    assert ders[1].steps[-1].rules == ("tower", "linearity", "kl-definition")


def test_iwae_objects():
    ders = parse_file(CONFORMANCE / "models" / "iwae.deriv")
    draws = Draws(q(z, given=(x,)), VariableRange("z", 1, K))
    measures = {e.density for d in ders for s in d.steps for e in s.expr.atoms(Expectation)}
    assert draws in measures and q(z, given=(x,)) in measures


def test_importing_the_package_imports_no_lark():
    import subprocess
    import sys

    code = "import sys, elbo_sym, elbo_sym.checker; assert 'lark' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
