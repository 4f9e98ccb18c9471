"""Exact output of the LaTeX and text printers, one small case per construct."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sympy import (E, Add, Eq, IndexedBase, Integer, Mul, Pow, Rational, Sum, Symbol, exp, log,
                   pi, symbols)
from sympy.core.parameters import evaluate

from elbo_sym.algebra import KL, Defined, Density, Entropy, Expectation, Gaussian, SpaceIntegral
from elbo_sym.printing import latex, latex_relation, relation_symbol, text

from conftest import HANG

x, z, w, a, b, J, j = symbols("x z w a b J j")
mu, sigma = symbols("mu sigma")
MU = IndexedBase("mu")

P_XZ = Density("p", (x, z))
P_Z_GIVEN_X = Density("p", (z,), (x,))
Q_Z_GIVEN_X = Density("q", (z,), (x,))


def unevaluated(build):
    with evaluate(False):
        return build()


# ------------------------------------------------------------------ the probability algebra

DOMAIN_CASES = [
    (P_XZ, "p(x, z)", "p(x, z)"),
    (P_Z_GIVEN_X, r"p(z \mid x)", "p(z | x)"),
    (Density("p", (z, x)), "p(x, z)", "p(x, z)"),
    (Density("p_theta", (x,), (z,)), r"p_{\theta}(x \mid z)", "p_θ(x | z)"),
    (Density("q_phi", (z,), (x,)), r"q_{\phi}(z \mid x)", "q_φ(z | x)"),
    (Gaussian(z, mu, sigma**2), r"\mathcal{N}(z; \mu, \sigma^{2})", "N(z; μ, σ^2)"),
    (Gaussian(z, 0, 1), r"\mathcal{N}(z; 0, 1)", "N(z; 0, 1)"),
    (Expectation(log(P_XZ), Q_Z_GIVEN_X),
     r"\mathbb{E}_{q(z \mid x)}\left[ \log p(x, z) \right]", "E_q(z | x)[log p(x, z)]"),
    (Expectation(z**2, Gaussian(z, mu, sigma**2)),
     r"\mathbb{E}_{\mathcal{N}(z; \mu, \sigma^{2})}\left[ z^{2} \right]", "E_N(z; μ, σ^2)[z^2]"),
    (SpaceIntegral(P_XZ, (z,)), r"\int p(x, z) \, dz", "∫ p(x, z) dz"),
    (SpaceIntegral(P_XZ, (z, w)), r"\int p(x, z) \, dw \, dz", "∫ p(x, z) dw dz"),
    (SpaceIntegral(a + b, (z,)), r"\int \left(a + b\right) \, dz", "∫ (a + b) dz"),
    (KL(Q_Z_GIVEN_X, P_Z_GIVEN_X),
     r"\operatorname{KL}\left(q(z \mid x) \,\middle\|\, p(z \mid x)\right)",
     "KL(q(z | x) ‖ p(z | x))"),
    (Entropy(Q_Z_GIVEN_X), r"\operatorname{H}\left(q(z \mid x)\right)", "H(q(z | x))"),
    (Defined("L", (x,), Expectation(log(P_XZ), Q_Z_GIVEN_X)), "L(x)", "L(x)"),
    (Defined("L_beta", (), x), r"L_{\beta}", "L_β"),
]


@pytest.mark.parametrize("expr, tex, txt", DOMAIN_CASES)
def test_domain_classes(expr, tex, txt):
    assert latex(expr) == tex
    assert text(expr) == txt


# ------------------------------------------------------------------ logs, symbols, sums

SYMBOL_CASES = [
    (log(P_XZ), r"\log p(x, z)", "log p(x, z)"),
    (log(a), r"\log{\left(a \right)}", "log(a)"),
    (log(P_XZ)**2, r"\log^{2} p(x, z)", "(log p(x, z))^2"),
    (Symbol("z_1"), "z_{1}", "z_1"),
    (Symbol("theta"), r"\theta", "θ"),
    (Symbol("Sigma"), r"\Sigma", "Σ"),
    (Symbol("beta") * Symbol("phi"), r"\beta \phi", "β φ"),
    (MU[j], r"\mu_{j}", "μ_j"),
    (MU[j + 1], r"\mu_{j+1}", "μ_{j+1}"),
    (Sum(MU[j]**2, (j, 1, J)), r"\sum_{j=1}^{J} \mu_{j}^{2}", "∑_{j=1}^{J} μ_j^2"),
    (Sum(MU[j] + a, (j, 1, J)), r"\sum_{j=1}^{J} \left(a + \mu_{j}\right)",
     "∑_{j=1}^{J} (a + μ_j)"),
    (E, "e", "e"),
    (pi, r"\pi", "π"),
    (exp(x), "e^{x}", "exp(x)"),
    (sigma**2, r"\sigma^{2}", "σ^2"),
    (x**b, "x^{b}", "x^b"),
    ((a + b)**2, r"\left(a + b\right)^{2}", "(a + b)^2"),
    (1 / x**2, r"\frac{1}{x^{2}}", "1/x^2"),
    (Rational(-1, 2), r"- \frac{1}{2}", "−1/2"),
    (Integer(-3), "-3", "−3"),
    (Eq(a, b), "a = b", "a = b"),
]


@pytest.mark.parametrize("expr, tex, txt", SYMBOL_CASES)
def test_symbols_logs_sums(expr, tex, txt):
    assert latex(expr) == tex
    assert text(expr) == txt


# ------------------------------------------------------------------ unevaluated arithmetic

ARITHMETIC_CASES = [
    (lambda: log(P_XZ) - log(P_Z_GIVEN_X),
     r"\log p(x, z) - \log p(z \mid x)", "log p(x, z) − log p(z | x)"),
    (lambda: Mul(-1, Rational(1, 2), log(a)),
     r"- \frac{\log{\left(a \right)}}{2}", "−1/2 log(a)"),
    (lambda: -Rational(1, 2) * log(sigma**2),
     r"- \frac{\log{\left(\sigma^{2} \right)}}{2}", "−1/2 log(σ^2)"),
    (lambda: -J / 2 * log(2 * pi),
     r"- \frac{J \log{\left(2 \pi \right)}}{2}", "−1/2 J log(2 π)"),
    (lambda: Mul(-1, x), "- x", "−x"),
    (lambda: Add(a, Mul(-1, b)), "a - b", "a − b"),
    (lambda: a - (b + x), r"a - \left(b + x\right)", "a − (b + x)"),
    (lambda: -(a + b), r"- \left(a + b\right)", "−(a + b)"),
    (lambda: Add(-x, a), "- x + a", "−x + a"),
    (lambda: x - 2 * a, "x - 2 a", "x − 2 a"),
    (lambda: Mul(2, Mul(3, x)), "6 x", "6 x"),
    (lambda: 2 * log(P_XZ), r"2 \log p(x, z)", "2 log p(x, z)"),
    (lambda: a / 2, r"\frac{a}{2}", "1/2 a"),
    (lambda: a / b, r"\frac{a}{b}", "a/b"),
    (lambda: 1 / (2 * b), r"\frac{1}{2 b}", "1/(2 b)"),
    (lambda: a / (b + x), r"\frac{a}{b + x}", "a/(b + x)"),
    (lambda: Rational(1, 2) * log(a) - Rational(1, 2) * log(b),
     r"\frac{\log{\left(a \right)}}{2} - \frac{\log{\left(b \right)}}{2}",
     "1/2 log(a) − 1/2 log(b)"),
    (lambda: Mul(log(P_XZ), x), r"\left(\log p(x, z)\right) x", "(log p(x, z)) x"),
    (lambda: log(P_XZ) / Q_Z_GIVEN_X, r"\frac{\log p(x, z)}{q(z \mid x)}",
     "(log p(x, z))/q(z | x)"),
    (lambda: Mul(3, Pow(2, x)), r"3 \cdot 2^{x}", "3*2^x"),
    (lambda: Expectation(log(P_XZ) - log(Q_Z_GIVEN_X), Q_Z_GIVEN_X),
     r"\mathbb{E}_{q(z \mid x)}\left[ \log p(x, z) - \log q(z \mid x) \right]",
     "E_q(z | x)[log p(x, z) − log q(z | x)]"),
]


@pytest.mark.parametrize("build, tex, txt", ARITHMETIC_CASES)
def test_unevaluated_arithmetic(build, tex, txt):
    expr = unevaluated(build)
    assert latex(expr) == tex
    assert text(expr) == txt


def test_printing_inside_evaluate_false_folds_numbers():
    with evaluate(False):
        expr = Mul(-1, Rational(1, 2), log(a))
        assert latex(expr) == r"- \frac{\log{\left(a \right)}}{2}"
        assert text(expr) == "−1/2 log(a)"


def test_the_evaluated_order_is_sympys_not_the_authors():
    # the contrast that makes the unevaluated cases above meaningful
    assert text(log(P_XZ) - log(P_Z_GIVEN_X)) == "−log p(z | x) + log p(x, z)"


# ------------------------------------------------------------------ huge numbers stay symbolic


HUGE_SCRIPT = r"""
import json
from sympy import Add, Integer, Mul, Pow, Symbol
from elbo_sym.printing import latex, text
a = Symbol("a")
tower = Pow(10, Pow(10, 10, evaluate=False), evaluate=False)
tiny = Pow(10, Integer(-10**10), evaluate=False)
print(json.dumps([
    latex(tower), text(tower),
    latex(Mul(3, tower, evaluate=False)),
    text(Add(a, Mul(-1, tower, evaluate=False), evaluate=False)),
    latex(tiny), text(Mul(a, tiny, evaluate=False)),
]))
"""


def test_huge_numbers_print_fast_and_stay_symbolic():
    # A subprocess, because computing 10**(10**10) would block in C where no alarm reaches;
    # its time limit is a guard against that hang, generous enough for a loaded machine.
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", HUGE_SCRIPT], cwd=root, capture_output=True,
                          text=True, timeout=HANG, env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        "10^{10^{10}}", "10^(10^10)",
        r"3 \cdot 10^{10^{10}}",
        "a − 10^(10^10)",
        r"\frac{1}{10^{10000000000}}", "a/10^10000000000",
    ]


# ------------------------------------------------------------------ relations


@pytest.mark.parametrize("rel, uni, ascii_, tex", [
    ("=", "=", "=", "="),
    ("<=", "≤", "<=", r"\le"),
    (">=", "≥", ">=", r"\ge"),
    ("<", "<", "<", "<"),
    (">", ">", ">", ">"),
    ("≤", "≤", "<=", r"\le"),
])
def test_relation_symbols(rel, uni, ascii_, tex):
    assert relation_symbol(rel) == uni
    assert relation_symbol(rel, unicode=False) == ascii_
    assert latex_relation(rel) == tex


def test_unknown_relation_is_refused():
    with pytest.raises(ValueError):
        relation_symbol("~")
    with pytest.raises(ValueError):
        latex_relation("~")


def test_not_equal_prints_for_domain_conditions():
    # '!=' is a fact relation (a denominator is nonzero), never a chain's
    assert relation_symbol("!=") == "≠"
    assert latex_relation("!=") == r"\ne"


def test_nested_sums_from_left_to_right_parsing_print_flat():
    a, b, c = Symbol("a"), Symbol("b"), Symbol("c")
    with evaluate(False):
        left = (a - b) - c          # Add(Add(a, -b), -c)
        grouped = a - (b + c)       # the brackets are the author's and stay
    assert text(left) == "a − b − c"
    assert latex(left) == "a - b - c"
    assert text(grouped) == "a − (b + c)"
    assert latex(grouped) == r"a - \left(b + c\right)"
