"""Readable one-line Unicode math for terminals: ``log p(x) = E_q(z | x)[...] + KL(... ‖ ...)``.

Like the LaTeX printer it keeps the written order of terms and folds the numbers of an
unevaluated product into one coefficient. ``log p(x)``, ``∑`` and ``∫`` print without
brackets around what they take, so a factor written after one of them brackets it instead.

What is printed must be what was checked, so the printer is unambiguous:

- Two different names never print alike: only the canonical Greek names print as letters
  (``lambda`` is λ, the alias ``lamda`` stays spelled; letters that look Latin, Α or ο, stay
  spelled), a name prints its underscores as written (``x2`` and ``x_2`` differ).
- Arithmetic reads back as the same expression through ``elbo_sym.parser``: densities, logs,
  numbers, sums, products, quotients and powers print in the language of the parser, which
  reads Greek letters and the Unicode minus but neither superscripts nor ``·``. So powers print
  as ``σ^2`` (not ``σ²``) and a factor that starts with a digit after another factor is joined
  by ``*`` (``3*2^x``, not ``3·2^x``); a denominator that is not a single tight factor is
  bracketed (``p(x)/(1/p(z))``). Ranges of variables print as the parser reads them
  (``x_{1:T}``, ``x_{2:t-1}``). Expectations (``E_q(z | x)[...]``, i.i.d. draws
  ``E_{z_{1:K} ~ q(z | x)}[...]``), ``∑``, ``∏``, ``∫`` and ``‖`` keep their mathematical look:
  they are for reading, not for pasting back (the language writes ``sum_{j=1}^{J}`` and
  ``prod_{t=1}^{T}``; ``∏`` is printed like ``∑`` so that a sum and a product look alike).
- Names the checker makes never print like a name a file can write (file names match
  ``[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*``, Greek spelled out): see ``internal_name``.
"""
import re
import unicodedata
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from sympy import Basic, S
from sympy.core.symbol import Str
from sympy.concrete.products import Product
from sympy.concrete.summations import Sum
from sympy.printing.str import StrPrinter

from ..algebra import Draws, SpaceIntegral
from ..notation import GREEK_UNICODE
from ..relations import ascii_symbol, unicode_symbol
from .arithmetic import (TOO_DEEP, combined_factors, flat_terms, index_order, is_bare_log,
                         printed, product, split_fraction, split_sign, sum_body)

if TYPE_CHECKING:
    from sympy.printing.printer import Printer

    from ..algebra import (KL, Defined, Density, Entropy, Expectation, Gaussian, IndexedVariable,
                           VariableRange)
    from ..derivation import ModelDeclaration

MINUS = "\u2212"

# printed text that ends in a name (a letter, then letters, digits, _): a bracket after it
# would read as an application
_ENDS_IN_NAME = re.compile(r"(?<![A-Za-z0-9_\u0370-\u03ff])[A-Za-z\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff]*$")



def relation_symbol(rel: str, unicode: bool = True) -> str:
    """How a chain relation prints: ``'<='`` is ``≤`` (or ``<=`` without Unicode)."""
    return unicode_symbol(rel) if unicode else ascii_symbol(rel)


# the checker's own names: canonical sum indices _j0, _j1, ..., canonical dummies _e0, ...
INTERNAL_NAME = re.compile(r"_([A-Za-z]+)([0-9]+)")
_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def internal_name(name: object) -> Optional[str]:
    """How a name the checker made prints, or None for any other name.

    The checker renames bound variables to compare normal forms: sum indices become ``_j0``,
    ``_j1``, ..., pure dummies ``_e0``, ..., and a bound variable renamed away from a clash
    gets primes (``z'``, ``z''``). They reach the reader in residuals, so they must read as
    variables yet never as a name a file can write (``j_0`` and ``j0`` are both possible user
    names). ``_jK`` prints as ``ĵ`` with the digits of K as subscripts: ``_j0`` is ``ĵ₀``,
    ``_e12`` is ``ê₁₂`` (a hat on the letters, a circumflex, precomposed where Unicode has the
    letter). A printed file name holds only ASCII letters, digits, ``_`` and the Greek letters
    of ``unicode_name``, so neither the hat nor a subscript digit ever occurs in one. Primed
    names are handled by ``unicode_name`` (the prime cannot occur in a file's name either)."""
    match = INTERNAL_NAME.fullmatch(str(name))
    if match is None:
        return None
    letters, digits = match.groups()
    hatted = "".join(unicodedata.normalize("NFC", c + "\u0302") for c in letters)
    return hatted + digits.translate(_SUBSCRIPT_DIGITS)


def unicode_name(name: object) -> str:
    """A symbol name with its Greek parts as letters: ``sigma_z`` is ``σ_z``, ``z_1`` stays.
    Injective: each part is either a canonical Greek name (one letter each) or printed as
    written, and a written part holds no Greek letter. The checker's names print apart:
    ``_j0`` is ``ĵ₀`` (``internal_name``), trailing primes stay (``sigma'`` is ``σ'``)."""
    name = str(name)
    internal = internal_name(name)
    if internal is not None:
        return internal
    stem = name.rstrip("'")
    return "_".join(GREEK_UNICODE.get(part, part) for part in stem.split("_")) + name[len(stem):]


def _compact_index(index_text):
    """An index as written in the language: ``t − 1`` is ``t-1`` (as in ``x_{t-1}``)."""
    return index_text.replace(f" {MINUS} ", "-").replace(" + ", "+").replace(MINUS, "-")


def _is_open(expr):
    """True when the printed form runs on to the right with no closing bracket."""
    return is_bare_log(expr) or isinstance(expr, (Sum, Product, SpaceIntegral))


def _needs_pow_brackets(base):
    """Whether ``base`` needs brackets under an exponent (decided without sympy's
    ``precedence``, which negates products and so may evaluate them)."""
    if base.is_Number:
        return base.is_extended_negative or not base.is_Integer
    return bool(base.is_Add or base.is_Mul or base.is_Pow or base.is_Relational
                or _is_open(base))


def _is_tight(expr):
    """Whether ``expr`` prints as one factor that ``/`` takes whole: a name, a natural number,
    an application, a power with a nonnegative exponent. Not a sum, a product, a fraction
    (``p(x)/1/p(z)`` would read as p(x)/p(z)), a negative or fractional number."""
    if expr.is_Number:
        return bool(expr.is_Integer and expr.is_nonnegative)
    if expr.is_Pow:
        exp = expr.exp
        return not (exp.is_Number and exp.is_extended_negative)
    return not (expr.is_Add or expr.is_Mul or expr.is_Relational)


def _is_fraction(expr):
    """A power that prints as ``1/...`` (in a denominator: ``x/((1/log p(z)) p(x))``, where
    ``1/log p(z) p(x)`` would read as 1/log(p(z) p(x)))."""
    return bool(expr.is_Pow and expr.exp.is_Number and expr.exp.is_extended_negative)


# ------------------------------------------ the algebra's notation, for any string printer
#
# Each node's own notation (E, KL, ‖, the bar of a density, its names) is written here once;
# its arguments are printed by the printer at hand (``printer._print``), so these are both the
# methods of ``ElboTextPrinter`` and what the algebra's ``_sympystr`` hooks give sympy's
# printers (``str(expr)``; a subclass or a setting of sympy's printer reaches the arguments).


def _join(printer, items) -> str:
    return ", ".join(printer._print(i) for i in items)


def _paren_if(printer, condition, expr) -> str:
    return f"({printer._print(expr)})" if condition else printer._print(expr)


def _index(printer, index) -> str:
    return _compact_index(printer._print(index_order(index)))


def indexed_text(printer: "Printer", expr: "IndexedVariable") -> str:
    """``z_1``, ``σ_j``, ``x_{t-1}``: an element of a family of variables (its label is a
    ``Str`` or a ``Symbol``), the index compact as in the language."""
    indices = ",".join(_index(printer, i) for i in expr.indices)
    label = expr.base.label
    base = unicode_name(label.name) if isinstance(label, Str) else printer._print(label)
    return f"{base}_{indices}" if indices.isalnum() else f"{base}_{{{indices}}}"


def density_text(printer: "Printer", expr: "Density") -> str:
    inside = _join(printer, expr.variables)
    if expr.given:
        inside += " | " + _join(printer, expr.given)
    return f"{unicode_name(expr.family)}({inside})"


def gaussian_text(printer: "Printer", expr: "Gaussian") -> str:
    return f"N({printer._print(expr.variable)}; {_join(printer, (expr.mean, expr.variance))})"


def variable_range_text(printer: "Printer", expr: "VariableRange") -> str:
    """``x_{1:T}``, ``x_{2:t-1}``: the variables x_lo, ..., x_hi, as the language writes
    them."""
    lo, hi = _index(printer, expr.lo), _index(printer, expr.hi)
    return f"{unicode_name(expr.name)}_{{{lo}:{hi}}}"


def draws_text(printer: "Printer", expr: "Draws") -> str:
    """``z_{1:K} ~ q(z | x)``: K independent draws of the base density."""
    return f"{printer._print(expr.draws)} ~ {printer._print(expr.base)}"


def expectation_text(printer: "Printer", expr: "Expectation") -> str:
    """``E_q(z | x)[f]``; under i.i.d. draws the measure is braced as the language writes
    it: ``E_{z_{1:K} ~ q(z | x)}[f]``."""
    measure = printer._print(expr.density)
    if isinstance(expr.density, Draws):
        measure = "{" + measure + "}"
    return f"E_{measure}[{printer._print(expr.integrand)}]"


def space_integral_text(printer: "Printer", expr: "SpaceIntegral") -> str:
    differentials = "".join(f" d{printer._print(v)}" for v in expr.variables)
    return f"∫ {_paren_if(printer, expr.integrand.is_Add, expr.integrand)}{differentials}"


def kl_text(printer: "Printer", expr: "KL") -> str:
    return f"KL({printer._print(expr.first)} ‖ {printer._print(expr.second)})"


def entropy_text(printer: "Printer", expr: "Entropy") -> str:
    return f"H({printer._print(expr.density)})"


def defined_text(printer: "Printer", expr: "Defined") -> str:
    name = unicode_name(expr.name)
    return f"{name}({_join(printer, expr.arguments)})" if expr.arguments else name


_ALGEBRA_TEXT: Dict[str, Callable[[Any, Any], str]] = {
    "IndexedVariable": indexed_text, "Density": density_text, "Gaussian": gaussian_text,
    "VariableRange": variable_range_text, "Draws": draws_text, "Expectation": expectation_text,
    "SpaceIntegral": space_integral_text, "KL": kl_text, "Entropy": entropy_text,
    "Defined": defined_text}


def algebra_text(printer: "Printer", expr: "Basic") -> str:
    """The text of an algebra node inside any string printer (its ``_sympystr`` hook): the
    node's notation, its arguments printed by ``printer``. A node with no arguments to pass on
    (a row not read) prints as ``text`` prints it."""
    for cls in type(expr).__mro__:
        hook = _ALGEBRA_TEXT.get(cls.__name__)
        if hook is not None:
            return hook(printer, expr)
    return text(expr)


class ElboTextPrinter(StrPrinter):
    """sympy's string printer, taught Unicode, the domain classes and unevaluated arithmetic."""

    printmethod = "_elbo_text"  # not "_sympystr": Indexed's own hook would print mu[j]

    def __init__(self, settings=None):
        super().__init__({"order": "none", **(settings or {})})

    # -- atoms

    def _print_Symbol(self, expr):
        return unicode_name(expr.name)

    _print_Dummy = _print_Symbol

    _print_Indexed = indexed_text

    def _print_IndexedBase(self, expr):
        return self._print(expr.label)

    def _print_Str(self, expr):
        return unicode_name(expr.name)

    def _print_Integer(self, expr):
        return MINUS + str(-expr.p) if expr.p < 0 else str(expr.p)

    def _print_Rational(self, expr):
        if expr.q == 1:
            return self._print_Integer(expr)
        sign = MINUS if expr.p < 0 else ""
        return f"{sign}{abs(expr.p)}/{expr.q}"

    def _print_Float(self, expr):
        tex = super()._print_Float(expr)
        return MINUS + tex[1:] if tex.startswith("-") else tex

    def _print_Pi(self, expr):
        return "π"

    def _print_Exp1(self, expr):
        return "e"

    def _print_Infinity(self, expr):
        return "∞"

    def _print_NegativeInfinity(self, expr):
        return MINUS + "∞"

    # -- arithmetic

    def _print_Add(self, expr, order=None):
        terms = flat_terms(expr)
        out = self._signed(*split_sign(terms[0]), first=True)
        for term in terms[1:]:
            out += self._signed(*split_sign(term), first=False)
        return out

    def _signed(self, negative, magnitude, first):
        body = self._paren_if(magnitude.is_Add or magnitude.is_Relational, magnitude)
        if first:
            return MINUS + body if negative else body
        return (f" {MINUS} " if negative else " + ") + body

    def _print_Mul(self, expr):
        coefficient, factors = combined_factors(expr)
        if coefficient.is_extended_negative and factors:
            magnitude = product(-coefficient, factors)
            return MINUS + self._paren_if(magnitude.is_Add, magnitude)
        return self._fraction(coefficient, factors)

    def _fraction(self, coefficient, factors):
        """``numerator/denominator`` of a product with a nonnegative coefficient; a fraction
        coefficient with nothing below leads the product as ``1/2 log(σ²)``."""
        numerator, denominator = split_fraction(factors)
        if coefficient.is_Rational and coefficient.q != 1 and denominator:
            denominator.insert(0, S(coefficient.q))
            coefficient = S(coefficient.p)
        lead = [self._print(coefficient)] if coefficient is not S.One or not numerator else []
        top = self._juxtapose(lead, numerator, followed=bool(denominator))
        if not denominator:
            return top
        if len(denominator) == 1:
            below = denominator[0]
            return f"{top}/{self._paren_if(not _is_tight(below), below)}"
        return f"{top}/({self._juxtapose([], denominator, followed=False)})"

    def _juxtapose(self, lead, factors, followed):
        """Factors side by side; ``*`` where a factor would run into a number (``3*2^x``:
        ``3 2^x`` reads as 32^x) or a bracket would follow a name (``a*(b + c)``: ``a (b + c)``
        reads as the application a(b + c))."""
        parts = list(lead)
        several = len(lead) + len(factors) > 1
        for i, factor in enumerate(factors):
            last = i == len(factors) - 1 and not followed
            parts.append(self._paren_if(factor.is_Add or factor.is_Relational
                                        or (_is_open(factor) and not last)
                                        or (several and _is_fraction(factor)), factor))
        out = parts[0]
        for part in parts[1:]:
            glued = part[:1].isdigit() or (part[:1] == "(" and _ENDS_IN_NAME.search(out))
            out += ("*" if glued else " ") + part
        return out

    def _print_Pow(self, expr):
        base, exp = expr.base, expr.exp
        if exp.is_Number and exp.is_extended_negative:
            return self._fraction(S.One, [expr])
        if exp is S.Half:
            return f"sqrt({self._print(base)})"
        shown = self._paren_if(_needs_pow_brackets(base), base)
        exp_atomic = exp.is_Symbol or (exp.is_Integer and exp.is_nonnegative)
        return f"{shown}^{self._paren_if(not exp_atomic, exp)}"

    def _print_log(self, expr):
        if is_bare_log(expr):
            return "log " + self._print(expr.args[0])
        return f"log({self._print(expr.args[0])})"

    def _print_Abs(self, expr):
        return f"|{self._print(expr.args[0])}|"

    def _print_Sum(self, expr):
        """Outermost sum first (sympy's ``limits`` are innermost first); a body that is a sum
        or starts with a sign is bracketed: ``∑_{j=1}^{J} (1 + log(σ_j^2))``."""
        return self._big_operator("∑", expr)

    def _print_Product(self, expr):
        """``∏_{t=1}^{T} p(x_{t-1} | x_t)``, printed like a sum (outermost first, a body
        that is a sum or starts with a sign bracketed)."""
        return self._big_operator("∏", expr)

    def _big_operator(self, sign, expr):
        heads = "".join(f"{sign}_{{{self._print(v)}={self._print(index_order(lo))}}}"
                        f"^{{{self._print(index_order(hi))}}} "
                        for v, lo, hi in reversed(expr.limits))
        function, bracketed = sum_body(expr.function)
        body = self._print(function)
        if bracketed or body.startswith((MINUS, "-")):
            body = f"({body})"
        return heads + body

    def _print_Relational(self, expr):
        op = unicode_symbol(expr.rel_op)
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    # -- the probability algebra (one function each, shared with sympy's printers)

    _print_Density = density_text
    _print_Gaussian = gaussian_text
    _print_VariableRange = variable_range_text
    _print_Draws = draws_text
    _print_Expectation = expectation_text
    _print_SpaceIntegral = space_integral_text
    _print_KL = kl_text
    _print_Entropy = entropy_text

    def _print_Unread(self, expr):
        """A row that was not read: its source on one line, ``⟪\\nabla f⟫``, control
        characters shown as code points (``printing.escape``)."""
        from .escape import terminal_text

        return "⟪" + terminal_text(" ".join(expr.source.split()), one_line=True) + "⟫"

    _print_Defined = defined_text

    # -- small pieces

    def _paren_if(self, condition, expr):
        return _paren_if(self, condition, expr)


def text(expr: Basic) -> str:
    """One-line Unicode text of an expression, terms and factors in their written order."""
    return printed(ElboTextPrinter(), expr)


def model_text(model: "ModelDeclaration") -> str:
    """``p(x, z_1, z_2) = p(x | z_1) p(z_1 | z_2) p(z_2)``: a ``ModelDeclaration`` as its
    ``model`` line writes it, the factors side by side in their written order (a product
    that is not the last factor is bracketed, since ``∏`` takes what follows it)."""
    printer = ElboTextPrinter()
    try:
        factors = (printer._juxtapose([], list(model.factors), followed=False)
                   if model.factors else "1")
    except RecursionError:
        factors = TOO_DEEP
    return f"{text(model.joint)} = {factors}"


__all__ = ["ElboTextPrinter", "algebra_text", "text", "model_text", "internal_name", "relation_symbol",
           "unicode_name", "MINUS"]
