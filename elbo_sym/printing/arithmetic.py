"""Reading unevaluated arithmetic for printing, shared by the LaTeX and text printers.

Expressions are built under ``evaluate(False)``, so products may hold several numbers
(``Mul(-1, 1/2, log(a))``), sums hold negated terms as ``Mul(-1, b)`` and nest (``(a + b) + c``
from left-to-right parsing). These helpers fold the numbers of a product into one coefficient
by plain ``Number`` arithmetic, which never evaluates anything else (``10**(10**10)`` stays
symbolic), and splice nested sums.
"""
from typing import TYPE_CHECKING, Iterable, List, Optional, Tuple, overload

from sympy import Add, Basic, Expr, Mul, Pow, S
from sympy.core.parameters import evaluate
from sympy.functions.elementary.exponential import log

from ..algebra import DensityBase

if TYPE_CHECKING:
    from sympy.printing.printer import Printer


def flat_terms(expr: Basic) -> List[Expr]:
    """The terms of a sum in written order, nested unevaluated sums spliced in:
    ``(a + b) + c`` prints as ``a + b + c``; ``a + (-(b + c))`` keeps its brackets."""
    out: List[Expr] = []
    for term in expr.args:
        if term.is_Add:
            out.extend(flat_terms(term))
        else:
            out.append(term)
    return out


def _numeric_value(factor):
    """``factor`` as a ``Number`` when that costs nothing (a finite number, ``1/n``), else None."""
    if factor.is_Number and factor.is_finite:
        return factor
    if (factor.is_Pow and factor.exp is S.NegativeOne and factor.base.is_Rational
            and not factor.base.is_zero):
        return S.One / factor.base
    return None


def _flat_factors(expr):
    """The factors of a commutative product, nested unevaluated products spliced in."""
    out: List[Expr] = []
    for factor in expr.args:
        if factor.is_Mul and factor.is_commutative:
            out.extend(_flat_factors(factor))
        else:
            out.append(factor)
    return out


def combined_factors(expr: Expr) -> Tuple[Expr, List[Expr]]:
    """``(coefficient, other factors)`` of a product: its numbers multiplied into one, the
    other factors in their written order. A non-product is ``(1, [expr])``."""
    if not (expr.is_Mul and expr.is_commutative):
        return S.One, [expr]
    coefficient: Expr = S.One
    others: List[Expr] = []
    with evaluate(True):  # the caller may be inside evaluate(False), where 2*3 stays 2*3
        for factor in _flat_factors(expr):
            value = _numeric_value(factor)
            if value is None:
                others.append(factor)
            else:
                coefficient = coefficient * value
    return coefficient, others


def product(coefficient: Expr, factors: Iterable[Expr]) -> Expr:
    """The unevaluated product ``coefficient * factors``, without a visible factor 1."""
    body = list(factors) if coefficient is S.One else [coefficient, *factors]
    if not body:
        return coefficient
    return body[0] if len(body) == 1 else Mul(*body, evaluate=False)


def split_sign(term: Expr) -> Tuple[bool, Expr]:
    """``(negative, magnitude)`` with ``term == -magnitude`` when negative: how a sum shows
    ``a + Mul(-1, b)`` as ``a - b`` without evaluating ``-term``."""
    if term.is_Number:
        return (True, -term) if term.is_extended_negative else (False, term)
    if term.is_Mul:
        coefficient, factors = combined_factors(term)
        if coefficient.is_extended_negative and factors:
            return True, product(-coefficient, factors)
    return False, term


def split_fraction(factors: Iterable[Expr]) -> Tuple[List[Expr], List[Expr]]:
    """``(numerator, denominator)`` lists: a factor ``x**-k`` with a number k goes below as
    ``x**k``, built unevaluated so that ``10**-(10**10)`` is never computed."""
    numerator: List[Expr] = []
    denominator: List[Expr] = []
    for factor in factors:
        if factor.is_Pow and factor.exp.is_Number and factor.exp.is_extended_negative:
            denominator.append(factor.base if factor.exp == -1
                               else Pow(factor.base, -factor.exp, evaluate=False))
        else:
            numerator.append(factor)
    return numerator, denominator


def index_order(index: Expr) -> Expr:
    """An index as people write it, numbers last: sympy keeps ``t - 1`` as ``-1 + t``, an index
    prints ``t-1`` (as in ``x_{t-1}``)."""
    if not index.is_Add:
        return index
    terms = flat_terms(index)
    ordered = [t for t in terms if not t.is_Number] + [t for t in terms if t.is_Number]
    return Add(*ordered, evaluate=False)


def sum_body(body: Expr) -> Tuple[Expr, bool]:
    """``(body, bracketed)``: the body of a sum as it prints, a product ``Mul(1, a + b)`` (as
    sympy's ``Sum`` builds them under ``evaluate(False)``) unwrapped to ``a + b``, and whether
    it needs brackets because it is a sum (the caller adds them also for a leading sign)."""
    coefficient, factors = combined_factors(body)
    if coefficient is S.One and len(factors) == 1:
        body = factors[0]
    return body, bool(body.is_Add)


def is_bare_log(expr: Basic) -> bool:
    """``log p(x)`` is printed without brackets, so what follows it in a product is ambiguous."""
    return isinstance(expr, log) and isinstance(expr.args[0], DensityBase)


TOO_DEEP = "(an expression nested too deeply to print)"


@overload
def printed(printer: "Printer", expr: Basic, too_deep: str = TOO_DEEP) -> str: ...


@overload
def printed(printer: "Printer", expr: Basic, too_deep: None) -> Optional[str]: ...


def printed(printer: "Printer", expr: Basic, too_deep: Optional[str] = TOO_DEEP) -> Optional[str]:
    """``printer.doprint(expr)``, or a placeholder when the expression is nested deeper than
    Python's recursion allows (the parser admits 200 brackets; printers recurse per level)."""
    try:
        return printer.doprint(expr)
    except RecursionError:
        return too_deep
