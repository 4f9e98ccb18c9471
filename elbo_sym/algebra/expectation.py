"""Expectations and integrals over a variable's whole space.

Both bind variables: E_{q(z|x)}[f] binds z, int f dz binds z. Their ``free_symbols`` leave the
bound variables out, which is what makes "constant in z" a question about ``has``.
"""
from typing import Any, Iterable

from sympy import Expr, Tuple, default_sort_key, sympify

from ..errors import DomainError
from .binders import Binder
from .densities import DensityBase
from .variables import is_variable
from .printable import as_latex, as_text


class Expectation(Binder, Expr):
    """``E_d[f]``: the expectation of ``f`` under the density ``d``, over d's variables."""

    # sympy.latex(expr) and str(expr) print as the command does (see printable)
    _latex = as_latex
    _sympystr = as_text

    is_commutative = True

    def __new__(cls, integrand: Any, density: DensityBase) -> "Expectation":
        integrand = sympify(integrand, strict=True)
        if not isinstance(density, DensityBase):
            raise DomainError(f"an expectation is taken under a density, and {density} is none")
        return Expr.__new__(cls, integrand, density)

    @property
    def integrand(self) -> Expr:
        return self.args[0]

    @property
    def density(self) -> DensityBase:
        return self.args[1]

    @property
    def bound_symbols(self) -> tuple[Any, ...]:
        """The variables the expectation integrates: those left of its density's bar."""
        return self.args[1].variables

    bound_variables = bound_symbols

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        if self.args[0].is_positive:
            return True
        return None

    def _eval_is_extended_nonnegative(self):
        if self.args[0].is_extended_nonnegative:
            return True
        return None


class SpaceIntegral(Binder, Expr):
    """``int f dz``: the integral of ``f`` over the whole space of the variables."""

    # sympy.latex(expr) and str(expr) print as the command does (see printable)
    _latex = as_latex
    _sympystr = as_text

    is_commutative = True

    def __new__(cls, integrand: Any, variables: Iterable[Any]) -> "SpaceIntegral":
        integrand = sympify(integrand, strict=True)
        if not isinstance(variables, (tuple, list, Tuple)):
            variables = (variables,)
        for v in variables:
            if not is_variable(v):
                raise DomainError(f"an integral runs over a variable, not {v}")
        if not variables:
            raise DomainError("an integral needs a variable")
        variables = Tuple(*sorted(set(variables), key=default_sort_key))
        return Expr.__new__(cls, integrand, variables)

    @property
    def integrand(self) -> Expr:
        return self.args[0]

    @property
    def variables(self) -> tuple[Any, ...]:
        return tuple(self.args[1])

    bound_symbols = variables

    def _eval_is_positive(self):
        if self.args[0].is_positive:
            return True
        return None

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real
