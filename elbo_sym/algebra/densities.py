"""Densities: immutable sympy expressions whose data live in ``args``.

A family (``p``, ``q_phi``...) is one joint distribution over all of its variables, so a
density is named by its family and two *sets* of variables: those left of the bar and those
right of it. Both sets are stored sorted, which makes ``p(x, z)`` and ``p(z, x)`` the same
object without a custom ``__eq__``.
"""
from typing import Any, Iterable, Union

from sympy import Basic, Expr, Tuple, default_sort_key
from sympy.core.symbol import Str

from ..errors import DomainError
from .variables import is_variable
from .printable import as_latex, as_text


def _variable(v):
    if not is_variable(v):
        raise DomainError(f"a density's variable must be a name, not {v}")
    return v


def _sorted_tuple(vs):
    from .variables import merge_variables

    return Tuple(*sorted(set(merge_variables([_variable(v) for v in vs])), key=default_sort_key))


class DensityBase(Expr):
    """A probability density: positive, with variables left of a bar (``variables``)."""

    # sympy.latex(expr) and str(expr) print as the command does (see printable)
    _latex = as_latex
    _sympystr = as_text

    is_commutative = True

    def _eval_is_positive(self):
        return True

    def _eval_is_extended_real(self):
        return True

    def _eval_is_finite(self):
        return True

    @property
    def variables(self) -> tuple[Any, ...]:
        raise NotImplementedError

    @property
    def given(self) -> tuple[Any, ...]:
        return ()


class Density(DensityBase):
    """``family(variables | given)``, e.g. ``Density('p', (z,), (x,))`` is p(z | x)."""

    def __new__(cls, family: Union[str, Str], variables: Iterable[Any], given: Iterable[Any] = ()) -> "Density":
        family = family if isinstance(family, Str) else Str(str(family))
        variables = _sorted_tuple(variables)
        given = _sorted_tuple(given)
        if not variables:
            raise DomainError(f"the density {family.name}() has no variable")
        both = set(variables) & set(given)
        if both:
            names = ", ".join(str(v) for v in sorted(both, key=default_sort_key))
            raise DomainError(f"{names} stands on both sides of the bar of {family.name}(...)")
        return Expr.__new__(cls, family, variables, given)

    @property
    def family(self) -> str:
        return self.args[0].name

    @property
    def variables(self) -> tuple[Any, ...]:
        return tuple(self.args[1])

    @property
    def given(self) -> tuple[Any, ...]:
        return tuple(self.args[2])

    @property
    def is_conditional(self) -> bool:
        return bool(self.args[2])

    @property
    def free_symbols(self) -> set[Basic]:
        return set().union(*(v.free_symbols for v in self.args[1] + self.args[2]))

    def joint(self, variables: Iterable[Any]) -> "Density":
        """The density of this family over ``variables``, unconditioned."""
        return Density(self.args[0], variables)


class Gaussian(DensityBase):
    """``N(variable; mean, variance)``: a normal density, positive, over ``variable``."""

    def __new__(cls, variable: Any, mean: Any, variance: Any) -> "Gaussian":
        from sympy import sympify

        variable = _variable(variable)
        mean, variance = sympify(mean, strict=True), sympify(variance, strict=True)
        if variable in mean.free_symbols or variable in variance.free_symbols:
            raise DomainError(f"{variable} stands both as the variable and in the parameters of N(...)")
        if variance.is_zero or variance.is_extended_negative:
            raise DomainError(f"the variance of N({variable}; ...) must be positive, not {variance}")
        return Expr.__new__(cls, variable, mean, variance)

    @property
    def family(self) -> str:
        return "N"

    @property
    def variable(self) -> Any:
        return self.args[0]

    @property
    def mean(self) -> Expr:
        return self.args[1]

    @property
    def variance(self) -> Expr:
        return self.args[2]

    @property
    def variables(self) -> tuple[Any, ...]:
        return (self.args[0],)

    def log_density(self) -> Expr:
        """log N(z; m, v) = -1/2 log(2 pi) - 1/2 log v - (z - m)^2 / (2 v)."""
        from sympy import Rational, log, pi

        z, m, v = self.args
        half = Rational(1, 2)
        return -half * log(2 * pi) - half * log(v) - (z - m) ** 2 / (2 * v)

    def moment(self, k: int) -> Expr:
        """E[z^k] = sum_i C(k, 2i) m^(k-2i) v^i (2i-1)!!, the raw moments of a normal."""
        from sympy import binomial, factorial2

        m, v = self.args[1], self.args[2]
        return sum((binomial(k, 2 * i) * m ** (k - 2 * i) * v ** i * factorial2(2 * i - 1)
                    for i in range(k // 2 + 1)), start=0 * m)


class Draws(DensityBase):
    """``z_{1:K} ~ q(z | x)``: K independent draws, each distributed as ``base`` (a density over
    one variable). The measure of an i.i.d. expectation ``E_{z_{1:K} ~ q(z | x)}[f]``; inside f,
    a density at a draw (``q(z_k | x)``, ``p(x, z_k)``) is that density with z replaced by it."""

    def __new__(cls, base: DensityBase, draws: Any) -> "Draws":
        from .variables import VariableRange

        if not isinstance(base, DensityBase) or len(base.variables) != 1:
            raise DomainError(f"draws are taken from a density over one variable, not {base}")
        if not isinstance(draws, VariableRange):
            raise DomainError(f"draws are a range of variables (z_{{1:K}}), not {draws}")
        return Expr.__new__(cls, base, draws)

    @property
    def family(self) -> str:
        return getattr(self.args[0], "family", "N")

    @property
    def base(self) -> DensityBase:
        return self.args[0]

    @property
    def draws(self) -> Any:
        return self.args[1]

    @property
    def variable(self) -> Any:
        """The base density's variable: z in z_{1:K} ~ q(z | x)."""
        return self.args[0].variables[0]

    @property
    def variables(self) -> tuple[Any, ...]:
        return (self.args[1],)

    @property
    def given(self) -> tuple[Any, ...]:
        return getattr(self.args[0], "given", ())

    @property
    def free_symbols(self) -> set[Basic]:
        return (self.args[0].free_symbols - {self.variable}) | self.args[1].free_symbols

    def _eval_subs(self, old, new):
        """``expr.subs``: the base's variable is bound by the draws and stays (see
        ``binders.eval_subs``)."""
        from .binders import eval_subs

        return eval_subs(self, old, new)

    def at(self, index: Expr) -> DensityBase:
        """The base density at draw ``index``: q(z_k | x) for k."""
        return self.args[0].xreplace({self.variable: self.args[1].element(index)})
