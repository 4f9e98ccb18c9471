"""LaTeX for the probability algebra, keeping the author's order of terms (see
``arithmetic`` for how unevaluated sums and products are read)."""
import re

from sympy import S, Symbol
from sympy.printing.latex import LatexPrinter

from ..algebra import SpaceIntegral
from ..relations import latex_symbol
from .arithmetic import (combined_factors, flat_terms, is_bare_log, printed, product,
                         split_fraction, split_sign)

_ENDS_NUMBER = re.compile(r"[0-9][} ]*$")


def latex_relation(rel):
    r"""The LaTeX of a chain relation: ``'<='`` gives ``\le``."""
    return latex_symbol(rel)


# ---------------------------------------------------------------- the printer


class ElboLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer, taught the domain classes and unevaluated arithmetic."""

    def __init__(self, settings=None):
        super().__init__({"order": "none", "ln_notation": False, **(settings or {})})

    # -- arithmetic

    def _print_Add(self, expr, order=None):
        terms = flat_terms(expr)
        tex = self._print(terms[0])
        for term in terms[1:]:
            negative, magnitude = split_sign(term)
            body = self._bracket_if(self._needs_add_brackets(magnitude), self._print(magnitude))
            tex += (" - " if negative else " + ") + body
        return tex

    def _print_Mul(self, expr):
        coefficient, factors = combined_factors(expr)  # a Pow here is 1/x from _print_Pow
        if coefficient.is_extended_negative and factors:
            magnitude = product(-coefficient, factors)
            return "- " + self._bracket_if(magnitude.is_Add, self._print(magnitude))
        numerator, denominator = split_fraction(factors)
        if coefficient.is_Rational:
            if coefficient.p != 1 or not numerator:
                numerator.insert(0, S(coefficient.p))
            if coefficient.q != 1:
                denominator.insert(0, S(coefficient.q))
        elif coefficient is not S.One or not numerator:
            numerator.insert(0, coefficient)
        top = self._juxtapose(numerator)
        return r"\frac{%s}{%s}" % (top, self._juxtapose(denominator)) if denominator else top

    def _juxtapose(self, factors):
        """Factors side by side, ``\\cdot`` between two numbers, brackets where needed."""
        tex = ""
        for i, factor in enumerate(factors):
            term = self._print(factor)
            if len(factors) > 1 and self._needs_mul_brackets(
                    factor, first=i == 0, last=i == len(factors) - 1):
                term = r"\left(%s\right)" % term
            if tex:
                tex += r" \cdot " if _ENDS_NUMBER.search(tex) and term[:1].isdigit() else " "
            tex += term
        return tex

    def _print_Pow(self, expr):
        base, exp = expr.base, expr.exp
        if exp.is_Number and exp.is_extended_negative and base.is_commutative:
            return self._print_Mul(expr)
        if base.is_Mul or isinstance(base, SpaceIntegral):
            return r"\left(%s\right)^{%s}" % (self._print(base), self._print(exp))
        return super()._print_Pow(expr)

    def _needs_mul_brackets(self, expr, first=False, last=False):
        if not last and (is_bare_log(expr) or isinstance(expr, SpaceIntegral)):
            return True
        return super()._needs_mul_brackets(expr, first=first, last=last)

    def _print_log(self, expr, exp=None):
        if not is_bare_log(expr):
            return super()._print_log(expr, exp)
        head = r"\log" if exp is None else r"\log^{%s}" % exp
        return "%s %s" % (head, self._print(expr.args[0]))

    def _print_Indexed(self, expr):
        base = self._print(expr.base.label)
        indices = ",".join(self._print(i) for i in expr.indices)
        if re.fullmatch(r"\\?[A-Za-z]+", base):
            return "%s_{%s}" % (base, indices)
        return "{%s}_{%s}" % (base, indices)

    # -- the probability algebra

    def _print_Density(self, expr):
        inside = self._join(expr.variables)
        if expr.given:
            inside += r" \mid " + self._join(expr.given)
        return "%s(%s)" % (self._name(expr.family), inside)

    def _print_Gaussian(self, expr):
        return r"\mathcal{N}(%s)" % "; ".join(
            [self._print(expr.variable), self._join((expr.mean, expr.variance))])

    def _print_Expectation(self, expr):
        return r"\mathbb{E}_{%s}\left[ %s \right]" % (
            self._print(expr.density), self._print(expr.integrand))

    def _print_SpaceIntegral(self, expr):
        integrand = self._bracket_if(expr.integrand.is_Add, self._print(expr.integrand))
        differentials = "".join(r" \, d%s" % self._print(v) for v in expr.variables)
        return r"\int %s%s" % (integrand, differentials)

    def _print_KL(self, expr):
        return r"\operatorname{KL}\left(%s \,\middle\|\, %s\right)" % (
            self._print(expr.first), self._print(expr.second))

    def _print_Entropy(self, expr):
        return r"\operatorname{H}\left(%s\right)" % self._print(expr.density)

    def _print_Defined(self, expr):
        name = self._name(expr.name)
        return "%s(%s)" % (name, self._join(expr.arguments)) if expr.arguments else name

    # -- small pieces

    def _name(self, name):
        """A family or abbreviation name as a symbol would print: ``q_phi`` is ``q_{\\phi}``."""
        return self._print(Symbol(name))

    def _join(self, items):
        return ", ".join(self._print(i) for i in items)

    @staticmethod
    def _bracket_if(condition, tex):
        return r"\left(%s\right)" % tex if condition else tex


def latex(expr):
    """LaTeX of an expression, terms and factors in the order they were written."""
    return printed(ElboLatexPrinter(), expr, r"\text{(an expression nested too deeply to print)}")


__all__ = ["ElboLatexPrinter", "latex", "latex_relation"]
