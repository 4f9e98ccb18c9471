"""KL divergence and differential entropy, kept whole until their definitions unfold them."""
from sympy import Expr, log

from ..errors import DomainError
from .densities import DensityBase
from .expectation import Expectation


def _density(d, what):
    if not isinstance(d, DensityBase):
        raise DomainError(f"{what} takes densities, and {d} is none")
    return d


def _integrated_out(densities):
    """Free symbols of densities over the same variables, those variables integrated out."""
    bound = set(densities[0].variables)
    labels = {b.base.label for b in bound if hasattr(b, "base")}
    return {s for d in densities for s in d.free_symbols if s not in bound and s not in labels}


class KL(Expr):
    """``KL(a || b)``: extended-nonnegative (Gibbs' inequality); a and b share their space."""

    is_commutative = True

    def __new__(cls, a, b):
        a, b = _density(a, "KL(... || ...)"), _density(b, "KL(... || ...)")
        if set(a.variables) != set(b.variables):
            raise DomainError(f"KL({a} || {b}) compares densities over different variables")
        return Expr.__new__(cls, a, b)

    @property
    def first(self):
        return self.args[0]

    @property
    def second(self):
        return self.args[1]

    @property
    def bound_symbols(self):
        """KL(q(z|x) || p(z)) integrates z."""
        return self.args[0].variables

    @property
    def free_symbols(self):
        """KL(q(z|x) || p(z)) is a function of x: it integrates z out."""
        return _integrated_out(self.args)

    def _eval_is_extended_nonnegative(self):
        return True

    def _eval_is_extended_real(self):
        return True

    def _eval_rewrite_as_Expectation(self, a, b, **kwargs):
        return Expectation(log(a) - log(b), a)


class Entropy(Expr):
    """``H(d)``: differential entropy, -E_d[log d]."""

    is_commutative = True

    def __new__(cls, d):
        return Expr.__new__(cls, _density(d, "H(...)"))

    @property
    def density(self):
        return self.args[0]

    @property
    def bound_symbols(self):
        return self.args[0].variables

    @property
    def free_symbols(self):
        return _integrated_out(self.args)

    def _eval_is_extended_real(self):
        return True

    def _eval_rewrite_as_Expectation(self, d, **kwargs):
        return -Expectation(log(d), d)
