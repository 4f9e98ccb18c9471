"""Variables: plain names (sympy ``Symbol``) and indexed ones (``IndexedVariable``).

``z_1``, ``z_j`` and ``x_{t-1}`` are elements of the family of variables ``z`` (or ``x``). Their
label is a ``Str``, not a ``Symbol``, so the plain variable ``z`` is a different variable:
neither ``has`` the other, and binding ``z_j`` binds nothing named ``z``. ``z_j`` with j = 1 is
the same object as ``z_1`` written anywhere.
"""
from sympy import Expr, Indexed, IndexedBase, Symbol
from sympy.core.symbol import Str


class IndexedVariable(Indexed):
    """Element ``index`` of the variables named ``name``: ``IndexedVariable('z', 1)`` is z_1.
    Variables are real numbers; so is every element."""

    def __new__(cls, name, *indices):
        if isinstance(name, IndexedBase):
            if isinstance(name.label, Str) and name.assumptions0.get("real"):
                return Indexed.__new__(cls, name, *indices)
            name = name.label.name
        label = name if isinstance(name, Str) else Str(str(name))
        return Indexed.__new__(cls, IndexedBase(label, real=True), *indices)

    @property
    def name(self) -> str:
        """The family of variables this is an element of: ``z`` for z_j."""
        return self.base.label.name

    @property
    def index(self):
        return self.indices[0] if len(self.indices) == 1 else self.indices

    @property
    def free_symbols(self):
        """Itself and the symbols of its index (z_j depends on j); never a plain ``z``."""
        return {self}.union(*(i.free_symbols for i in self.indices))


def is_variable(x) -> bool:
    """Whether ``x`` can stand as a variable of a density: a plain name, an indexed one, or a
    range of indexed ones."""
    return isinstance(x, (Symbol, IndexedVariable, VariableRange))


def variable_name(x) -> str:
    """The name a variable is written with, its family's for an indexed one."""
    return x.name




class VariableRange(Expr):
    """``x_{lo:hi}``: the variables x_lo, ..., x_hi, standing together as one argument of a
    density, one measure of an expectation or one integral. An empty range (hi < lo) is no
    variable at all."""

    is_commutative = True

    def __new__(cls, name, lo, hi):
        from sympy import sympify

        label = name if isinstance(name, Str) else Str(str(name))
        return Expr.__new__(cls, label, sympify(lo, strict=True), sympify(hi, strict=True))

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def lo(self):
        return self.args[1]

    @property
    def hi(self):
        return self.args[2]

    @property
    def free_symbols(self):
        """The range itself (it stands for its elements) and the symbols of its bounds."""
        return {self} | self.lo.free_symbols | self.hi.free_symbols

    def element(self, index) -> "IndexedVariable":
        return IndexedVariable(self.name, index)

    def _eval_is_extended_real(self):
        return True


__all__ = ["IndexedVariable", "VariableRange", "is_variable", "variable_name"]
