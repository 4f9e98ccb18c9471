"""Variables: plain names (sympy ``Symbol``) and indexed ones (``IndexedVariable``).

``z_1``, ``z_j`` and ``x_{t-1}`` are elements of the family of variables ``z`` (or ``x``). Their
label is a ``Str``, not a ``Symbol``, so the plain variable ``z`` is a different variable:
neither ``has`` the other, and binding ``z_j`` binds nothing named ``z``. ``z_j`` with j = 1 is
the same object as ``z_1`` written anywhere.
"""
from functools import lru_cache

from typing import Any, Dict, Iterable, List, Set, Union

from sympy import Basic, Expr, Indexed, IndexedBase, Symbol
from sympy.core.symbol import Str

from .printable import as_latex, as_text


class IndexedVariable(Indexed):
    """Element ``index`` of the variables named ``name``: ``IndexedVariable('z', 1)`` is z_1.
    Variables are real numbers; so is every element."""

    # sympy.latex(expr) and str(expr) print as the command does (see printable)
    _latex = as_latex
    _sympystr = as_text

    def __new__(cls, name: Union[str, Str, IndexedBase], *indices: Any) -> "IndexedVariable":
        if isinstance(name, IndexedBase):
            if isinstance(name.label, Str) and name.assumptions0.get("real"):
                return Indexed.__new__(cls, name, *indices)
            name = name.label.name
        label = name if isinstance(name, Str) else Str(str(name))
        return Indexed.__new__(cls, IndexedBase(label, real=True), *indices)

    def _hashable_content(self):
        # every element is real (its base says so), so the arguments identify it; sympy's
        # Indexed would sort its whole assumptions dictionary on every hash and comparison
        return self._args

    @property
    def name(self) -> str:
        """The family of variables this is an element of: ``z`` for z_j."""
        return self.base.label.name

    @property
    def index(self) -> Any:
        return self.indices[0] if len(self.indices) == 1 else self.indices

    @property
    def free_symbols(self) -> Set[Basic]:
        """Itself and the symbols of its index (z_j depends on j); never a plain ``z``."""
        return {self}.union(*(i.free_symbols for i in self.indices))


def is_variable(x: object) -> bool:
    """Whether ``x`` can stand as a variable of a density: a plain name, an indexed one, or a
    range of indexed ones."""
    return isinstance(x, (Symbol, IndexedVariable, VariableRange))


def variable_name(x: Any) -> str:
    """The name a variable is written with, its family's for an indexed one."""
    return x.name




class VariableRange(Expr):
    """``x_{lo:hi}``: the variables x_lo, ..., x_hi, standing together as one argument of a
    density, one measure of an expectation or one integral. An empty range (hi < lo) is no
    variable at all."""

    # sympy.latex(expr) and str(expr) print as the command does (see printable)
    _latex = as_latex
    _sympystr = as_text

    is_commutative = True

    def __new__(cls, name: Union[str, Str], lo: Any, hi: Any) -> "VariableRange":
        from sympy import sympify

        label = name if isinstance(name, Str) else Str(str(name))
        return Expr.__new__(cls, label, sympify(lo, strict=True), sympify(hi, strict=True))

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def lo(self) -> Expr:
        return self.args[1]

    @property
    def hi(self) -> Expr:
        return self.args[2]

    @property
    def free_symbols(self) -> Set[Basic]:
        """The range itself (it stands for its elements) and the symbols of its bounds."""
        return {self} | self.lo.free_symbols | self.hi.free_symbols

    def element(self, index: Any) -> "IndexedVariable":
        return IndexedVariable(self.name, index)

    def _eval_is_extended_real(self):
        return True


def merge_variables(variables: Iterable[Any]) -> List[Any]:
    """See ``_merged``: the same set, ranges merged with what adjoins them (memoized)."""
    variables = tuple(variables)
    if not any(isinstance(v, VariableRange) for v in variables):
        return list(variables)
    return list(_merged(variables))


@lru_cache(maxsize=4096)
def _merged(variables):
    """The same set of variables, with every range merged with the elements and ranges of its
    family that adjoin or overlap it by a whole-number offset (x_0 and x_{1:T} are x_{0:T}) and
    empty ranges (x_{2:1}) dropped. Two lone elements stay apart: p(z_1, z_2) keeps its
    spelling."""
    out: List[Any] = []
    families: Dict[str, List[Any]] = {}
    for v in variables:
        if isinstance(v, VariableRange):
            gap = v.hi - v.lo
            if gap.is_number and gap < 0:
                continue
            families.setdefault(v.name, []).append([v.lo, v.hi, True])
        elif isinstance(v, IndexedVariable) and len(v.indices) == 1:
            families.setdefault(v.name, []).append([v.index, v.index, False])
        else:
            out.append(v)
    for name, spans in families.items():
        merged = True
        while merged:
            merged = False
            for a in spans:
                for b in spans:
                    if a is b or not (a[2] or b[2]):
                        continue
                    gap = b[0] - a[1]          # b starts where a ends, or inside a
                    back = b[1] - a[0]
                    if gap.is_number and back.is_number and gap <= 1 and back >= 0:
                        lo_gap = b[0] - a[0]
                        hi_gap = b[1] - a[1]
                        if lo_gap.is_number and hi_gap.is_number:
                            a[0] = a[0] if lo_gap >= 0 else b[0]
                            a[1] = a[1] if hi_gap <= 0 else b[1]
                            a[2] = True
                            spans.remove(b)
                            merged = True
                            break
                    elif gap.is_number and gap == 1:
                        a[1] = b[1]
                        a[2] = True
                        spans.remove(b)
                        merged = True
                        break
                if merged:
                    break
        for lo, hi, is_range in spans:
            out.append(VariableRange(name, lo, hi) if is_range else IndexedVariable(name, lo))
    return tuple(out)


__all__ = ["IndexedVariable", "VariableRange", "is_variable", "merge_variables", "variable_name"]
