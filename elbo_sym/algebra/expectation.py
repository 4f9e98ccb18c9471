"""Expectations and integrals over a variable's whole space.

Both bind variables: E_{q(z|x)}[f] binds z, int f dz binds z. Their ``free_symbols`` leave the
bound variables out, which is what makes "constant in z" a question about ``has``.
"""
from sympy import Expr, Indexed, Symbol, Tuple, default_sort_key, sympify

from ..errors import DomainError
from .densities import DensityBase


def _bound_symbols(expr, bound):
    """Free symbols of ``expr`` once ``bound`` is bound; binding z[j] binds the label z too."""
    labels = {b.base.label for b in bound if isinstance(b, Indexed)}
    return {s for s in expr.free_symbols if s not in bound and s not in labels}


class Expectation(Expr):
    """``E_d[f]``: the expectation of ``f`` under the density ``d``, over d's variables."""

    is_commutative = True

    def __new__(cls, integrand, density):
        integrand = sympify(integrand, strict=True)
        if not isinstance(density, DensityBase):
            raise DomainError(f"an expectation is taken under a density, and {density} is none")
        return Expr.__new__(cls, integrand, density)

    @property
    def integrand(self):
        return self.args[0]

    @property
    def density(self):
        return self.args[1]

    @property
    def bound_symbols(self):
        """The variables the expectation integrates: those left of its density's bar."""
        return self.args[1].variables

    bound_variables = bound_symbols

    @property
    def free_symbols(self):
        bound = set(self.bound_variables)
        return _bound_symbols(self.args[0], bound) | _bound_symbols(self.args[1], bound)

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


class SpaceIntegral(Expr):
    """``int f dz``: the integral of ``f`` over the whole space of the variables."""

    is_commutative = True

    def __new__(cls, integrand, variables):
        integrand = sympify(integrand, strict=True)
        if not isinstance(variables, (tuple, list, Tuple)):
            variables = (variables,)
        for v in variables:
            if not isinstance(v, (Symbol, Indexed)):
                raise DomainError(f"an integral runs over a variable, not {v}")
        if not variables:
            raise DomainError("an integral needs a variable")
        variables = Tuple(*sorted(set(variables), key=default_sort_key))
        return Expr.__new__(cls, integrand, variables)

    @property
    def integrand(self):
        return self.args[0]

    @property
    def variables(self):
        return tuple(self.args[1])

    bound_symbols = variables

    @property
    def free_symbols(self):
        return _bound_symbols(self.args[0], set(self.args[1]))

    def _eval_is_positive(self):
        if self.args[0].is_positive:
            return True
        return None

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real
