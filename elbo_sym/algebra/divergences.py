"""KL divergence and differential entropy, kept whole until their definitions unfold them."""
from typing import Any

from sympy import Expr, log

from ..errors import DomainError
from .binders import Binder
from .densities import DensityBase
from .expectation import Expectation
from .printable import as_latex, as_text


def _density(d, what):
    if not isinstance(d, DensityBase):
        raise DomainError(f"{what} takes densities, and {d} is none")
    return d


class KL(Binder, Expr):
    """``KL(a || b)``: extended-nonnegative (Gibbs' inequality); a and b share their space."""

    # sympy.latex(expr) and str(expr) print as the command does (see printable)
    _latex = as_latex
    _sympystr = as_text

    is_commutative = True

    def __new__(cls, a: DensityBase, b: DensityBase) -> "KL":
        a, b = _density(a, "KL(... || ...)"), _density(b, "KL(... || ...)")
        if set(a.variables) != set(b.variables):
            raise DomainError(f"KL({a} || {b}) compares densities over different variables")
        return Expr.__new__(cls, a, b)

    @property
    def first(self) -> DensityBase:
        return self.args[0]

    @property
    def second(self) -> DensityBase:
        return self.args[1]

    @property
    def bound_symbols(self) -> tuple[Any, ...]:
        """KL(q(z|x) || p(z)) integrates z."""
        return self.args[0].variables

    def _eval_is_extended_nonnegative(self):
        return True

    def _eval_is_extended_real(self):
        return True

    def _eval_rewrite_as_Expectation(self, a, b, **kwargs):
        return Expectation(log(a) - log(b), a)


class Entropy(Binder, Expr):
    """``H(d)``: differential entropy, -E_d[log d]."""

    # sympy.latex(expr) and str(expr) print as the command does (see printable)
    _latex = as_latex
    _sympystr = as_text

    is_commutative = True

    def __new__(cls, d: DensityBase) -> "Entropy":
        return Expr.__new__(cls, _density(d, "H(...)"))

    @property
    def density(self) -> DensityBase:
        return self.args[0]

    @property
    def bound_symbols(self) -> tuple[Any, ...]:
        return self.args[0].variables

    def _eval_is_extended_real(self):
        return True

    def _eval_rewrite_as_Expectation(self, d, **kwargs):
        return -Expectation(log(d), d)
