r"""LaTeX for the probability algebra, keeping the author's order of terms (see
``arithmetic`` for how unevaluated sums and products are read).

Names are printed here, not by sympy, because sympy's name printing is not injective: it prints
``lamda`` and ``lambda`` both as \lambda, ``Alpha`` as A, splits trailing digits into a
subscript (``x2`` and ``x_2`` both x_{2}) and reads suffixes as accents (``xprime`` and
``xprm`` both x'). Here each ``_``-part of a name is a canonical Greek letter with a LaTeX
command (``\sigma``), a single character or a number as written, or any other word upright
(``\mathrm{x2}``; upright because an italic ``ab`` is the product a b on the page); the parts
after the first are a subscript, separated by commas (``a_b_c`` is a_{b,c}, ``a_bc`` a_{bc}).

The checker's own names print apart from any name a file can write (see
``text.internal_name``): the canonical index ``_j0`` is ``\hat{\jmath}_{0}``, the dummy ``_e1``
``\hat{e}_{1}`` (no written name prints a ``\hat``), and a renamed bound variable keeps its
primes (``z'``, ``\sigma'``; no written name prints a prime).

Ranges print as written, ``x_{1:T}``; i.i.d. draws as ``\mathbb{E}_{z_{1:K} \sim q(z \mid x)}``;
products like sums, ``\prod_{t=1}^{T}``, outermost first.
"""
import re
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Sequence

from sympy import Basic, S
from sympy.core.symbol import Str
from sympy.concrete.products import Product
from sympy.concrete.summations import Sum
from sympy.printing.latex import LatexPrinter

from ..algebra import SpaceIntegral
from ..notation import GREEK_COMMANDS
from ..relations import latex_symbol
from .arithmetic import (combined_factors, flat_terms, index_order, is_bare_log,
                         printed, product, split_fraction, split_sign, sum_body)

if TYPE_CHECKING:
    from sympy.printing.printer import Printer

    from ..algebra import (KL, Defined, Density, Draws, Entropy, Expectation, Gaussian,
                           IndexedVariable, VariableRange)
    from ..derivation import Definition, ModelDeclaration

_ENDS_NUMBER = re.compile(r"[0-9][} ]*$")
_ENDS_NAME = re.compile(r"(?:[A-Za-z]|_\{[^{}]*\}|\\[A-Za-z]+\{[^{}]*\})\Z")


def _latex_part(part):
    if part in GREEK_COMMANDS:
        return "\\" + part
    if len(part) == 1 or part.isdigit():
        return part
    return r"\mathrm{%s}" % part


# the checker's own names: canonical sum indices _j0, _j1, ..., canonical dummies _e0, ...
_INTERNAL_NAME = re.compile(r"_([A-Za-z]+)([0-9]+)")
_DOTLESS = {"i": r"\imath", "j": r"\jmath"}


def _internal_latex(name):
    r"""``_j0`` is ``\hat{\jmath}_{0}``, ``_e12`` is ``\hat{e}_{12}``; None for other names."""
    match = _INTERNAL_NAME.fullmatch(name)
    if match is None:
        return None
    letters, digits = match.groups()
    body = _DOTLESS.get(letters, letters if len(letters) == 1 else r"\mathrm{%s}" % letters)
    return r"\hat{%s}_{%s}" % (body, digits)


def latex_name(name: object) -> str:
    r"""The LaTeX of a written name, one name one output: ``sigma_z`` is ``\sigma_{z}``,
    ``x2`` is ``\mathrm{x2}``, ``x_2`` is ``x_{2}``, ``lamda`` is ``\mathrm{lamda}``. The
    checker's names: ``_j0`` is ``\hat{\jmath}_{0}``, ``z'`` is ``z'``, ``sigma_z'`` is
    ``\sigma_{z}'``."""
    name = str(name)
    internal = _internal_latex(name)
    if internal is not None:
        return internal
    stem = name.rstrip("'")
    head, *subs = stem.split("_")
    tex = _latex_part(head)
    if subs:
        tex += "_{%s}" % ",".join(_latex_part(p) for p in subs)
    return tex + name[len(stem):]


def _compact_index(tex):
    """An index as written: ``t - 1`` is ``t-1`` (as in ``x_{t-1}``)."""
    return tex.replace(" - ", "-").replace(" + ", "+")


def latex_relation(rel: str) -> str:
    r"""The LaTeX of a chain relation: ``'<='`` gives ``\le``."""
    return latex_symbol(rel)


# ------------------------------------------ the algebra's notation, for any LaTeX printer
#
# Each node's own notation (E, KL, the bar of a density, its names) is written here once; its
# arguments are printed by the printer at hand (``printer._print``), so these are both the
# methods of ``ElboLatexPrinter`` and what the algebra's ``_latex`` hooks give sympy's
# printers (a subclass or a setting of sympy's printer reaches the arguments: sympy's protocol).


def _join(printer, items) -> str:
    return ", ".join(printer._print(i) for i in items)


def _bracket_if(condition, tex: str) -> str:
    return r"\left(%s\right)" % tex if condition else tex


def _index(printer, index) -> str:
    return _compact_index(printer._print(index_order(index)))


def indexed_latex(printer: "Printer", expr: "IndexedVariable") -> str:
    """``z_{1}``, ``\\sigma_{j}``, ``x_{t-1}``: the family's name, the index compact."""
    label = expr.base.label
    base = latex_name(label.name) if isinstance(label, Str) else printer._print(label)
    indices = ",".join(_index(printer, i) for i in expr.indices)
    if "_" not in base:
        return "%s_{%s}" % (base, indices)
    return "{%s}_{%s}" % (base, indices)


def density_latex(printer: "Printer", expr: "Density") -> str:
    inside = _join(printer, expr.variables)
    if expr.given:
        inside += r" \mid " + _join(printer, expr.given)
    return "%s(%s)" % (latex_name(expr.family), inside)


def gaussian_latex(printer: "Printer", expr: "Gaussian") -> str:
    return r"\mathcal{N}(%s)" % "; ".join(
        [printer._print(expr.variable), _join(printer, (expr.mean, expr.variance))])


def variable_range_latex(printer: "Printer", expr: "VariableRange") -> str:
    """``x_{1:T}``, ``\\sigma_{2:t-1}``: the variables x_lo, ..., x_hi."""
    base = latex_name(expr.name)
    if "_" in base:
        base = "{%s}" % base
    return "%s_{%s:%s}" % (base, _index(printer, expr.lo), _index(printer, expr.hi))


def draws_latex(printer: "Printer", expr: "Draws") -> str:
    """``z_{1:K} \\sim q(z \\mid x)``: K independent draws of the base density."""
    return r"%s \sim %s" % (printer._print(expr.draws), printer._print(expr.base))


def expectation_latex(printer: "Printer", expr: "Expectation") -> str:
    return r"\mathbb{E}_{%s}\left[ %s \right]" % (
        printer._print(expr.density), printer._print(expr.integrand))


def space_integral_latex(printer: "Printer", expr: "SpaceIntegral") -> str:
    integrand = _bracket_if(expr.integrand.is_Add, printer._print(expr.integrand))
    differentials = "".join(r" \, d%s" % printer._print(v) for v in expr.variables)
    return r"\int %s%s" % (integrand, differentials)


def kl_latex(printer: "Printer", expr: "KL") -> str:
    return r"\operatorname{KL}\left(%s \,\middle\|\, %s\right)" % (
        printer._print(expr.first), printer._print(expr.second))


def entropy_latex(printer: "Printer", expr: "Entropy") -> str:
    return r"\operatorname{H}\left(%s\right)" % printer._print(expr.density)


def defined_latex(printer: "Printer", expr: "Defined") -> str:
    name = latex_name(expr.name)
    return "%s(%s)" % (name, _join(printer, expr.arguments)) if expr.arguments else name


_ALGEBRA_LATEX: Dict[str, Callable[[Any, Any], str]] = {
    "IndexedVariable": indexed_latex, "Density": density_latex, "Gaussian": gaussian_latex,
    "VariableRange": variable_range_latex, "Draws": draws_latex,
    "Expectation": expectation_latex, "SpaceIntegral": space_integral_latex, "KL": kl_latex,
    "Entropy": entropy_latex, "Defined": defined_latex}


def algebra_latex(printer: "Printer", expr: "Basic") -> str:
    """The LaTeX of an algebra node inside any LaTeX printer (its ``_latex`` hook): the node's
    notation, its arguments printed by ``printer``. A node with no arguments to pass on (a row
    not read) prints as ``latex`` prints it."""
    for cls in type(expr).__mro__:
        hook = _ALGEBRA_LATEX.get(cls.__name__)
        if hook is not None:
            return hook(printer, expr)
    return latex(expr)


# ---------------------------------------------------------------- the printer


def unread_source(expr: object) -> Optional[str]:
    """The source of a row that was not read (a reader's ``Unread``), or None for any other
    expression. (No ``Unread`` exists before its module is imported: the readers stay lazy.)"""
    module = sys.modules.get("elbo_sym.readers.unread")
    if module is not None and isinstance(expr, module.Unread):
        return expr.source
    return None


# A row that was not read, in math a renderer reads (KaTeX, MathJax, MathML): never its source,
# which those read as TeX even inside \text (``$``, ``\(``); the reports show it beside.
UNREAD_PLACEHOLDER = r"\text{(a row not read)}"


class ElboLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer, taught the domain classes and unevaluated arithmetic.

    ``unread_as_source``: a row that was not read (``Unread``) prints as its source, escaped, in
    typewriter type (for TeX itself: the LaTeX document); otherwise as a placeholder."""

    _default_settings = {**LatexPrinter._default_settings, "unread_as_source": False}

    def __init__(self, settings=None):
        super().__init__({"order": "none", "ln_notation": False, **(settings or {})})

    def _print_Unread(self, expr):
        if self._settings["unread_as_source"]:
            from .escape import latex_verbatim

            return latex_verbatim(expr.source)
        return UNREAD_PLACEHOLDER

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
                # a bracket after a name is applied to it when read back (\sigma(x) is a
                # function): a product says so with \cdot
                tex += r" \cdot " if (_ENDS_NUMBER.search(tex) and term[:1].isdigit()) or (
                    _ENDS_NAME.search(tex) and term.startswith(r"\left(")) else " "
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

    def _print_Symbol(self, expr, style="plain"):
        return latex_name(expr.name)

    _print_Dummy = _print_Symbol

    def _print_Str(self, expr):
        return latex_name(expr.name)

    _print_Indexed = indexed_latex

    def _print_IndexedBase(self, expr):
        return self._print(expr.label)

    def _print_Sum(self, expr):
        """Outermost sum first (sympy's ``limits`` are innermost first); a body that is a sum
        or starts with a sign is bracketed: ``\\sum_{j=1}^{J} \\left(1 + \\log ...\\right)``."""
        return self._big_operator(r"\sum", expr)

    def _print_Product(self, expr):
        """``\\prod_{t=1}^{T} p(x_{t-1} \\mid x_{t})``, printed like a sum."""
        return self._big_operator(r"\prod", expr)

    def _big_operator(self, command, expr):
        heads = "".join(r"%s_{%s=%s}^{%s} " % (command, self._print(v),
                                                self._print(index_order(lo)),
                                                self._print(index_order(hi)))
                        for v, lo, hi in reversed(expr.limits))
        function, bracketed = sum_body(expr.function)
        body = self._print(function)
        if bracketed or body.startswith("-"):
            body = r"\left(%s\right)" % body
        return heads + body

    # -- the probability algebra (one function each, shared with sympy's printers)

    _print_Density = density_latex
    _print_Gaussian = gaussian_latex
    _print_VariableRange = variable_range_latex
    _print_Draws = draws_latex
    _print_Expectation = expectation_latex
    _print_SpaceIntegral = space_integral_latex
    _print_KL = kl_latex
    _print_Entropy = entropy_latex
    _print_Defined = defined_latex

    # -- small pieces

    _bracket_if = staticmethod(_bracket_if)


def latex(expr: Basic, unread_as_source: bool = False) -> str:
    """LaTeX of an expression, terms and factors in the order they were written. A row that
    was not read is a placeholder, or with ``unread_as_source`` its source as escaped text (for
    pdflatex, never for a math renderer in a browser)."""
    return printed(ElboLatexPrinter({"unread_as_source": unread_as_source}), expr,
                   r"\text{(an expression nested too deeply to print)}")


def factors_latex(factors: Sequence[Basic]) -> str:
    r"""Factors side by side with a thin space, in their written order: the right side of a
    ``model`` line, ``p(x \mid z)\, p(z)`` (a product that is not the last factor is
    bracketed, since ``\prod`` takes what follows it)."""
    printer = ElboLatexPrinter()
    out = []
    try:
        for i, factor in enumerate(factors):
            tex = printer._print(factor)
            if i < len(factors) - 1 and isinstance(factor, (Sum, Product, SpaceIntegral)):
                tex = r"\left(%s\right)" % tex
            out.append(tex)
    except RecursionError:
        return r"\text{(an expression nested too deeply to print)}"
    return r"\, ".join(out) or "1"


def model_latex(model: "ModelDeclaration") -> str:
    r"""A ``ModelDeclaration`` as math: ``p(x, z) = p(x \mid z)\, p(z)``."""
    return "%s = %s" % (latex(model.joint), factors_latex(list(model.factors)))


def definition_latex(definition: "Definition") -> str:
    r"""A ``let`` as math: ``L_{\theta}(x) = E_{q(z \mid x)}[...]`` (its name as a symbol)."""
    name = latex_name(definition.name)
    if definition.params:
        name += "(%s)" % ", ".join(latex(p) for p in definition.params)
    return f"{name} = {latex(definition.body)}"


__all__ = ["ElboLatexPrinter", "UNREAD_PLACEHOLDER", "algebra_latex", "definition_latex", "latex", "latex_name",
           "latex_relation", "model_latex", "unread_source"]
