"""Abbreviations introduced by ``let``: printed by name, unfolded under ``definition``."""
from typing import Any, Iterable, Union

from sympy import Expr, Tuple, sympify
from sympy.core.symbol import Str

from .printable import as_latex, as_text


class Defined(Expr):
    """``name(args)`` standing for ``body`` (already instantiated at ``args``)."""

    # sympy.latex(expr) and str(expr) print as the command does (see printable)
    _latex = as_latex
    _sympystr = as_text

    is_commutative = True

    def __new__(cls, name: Union[str, Str], arguments: Iterable[Any], body: Any) -> "Defined":
        name = name if isinstance(name, Str) else Str(str(name))
        return Expr.__new__(cls, name, Tuple(*arguments), sympify(body, strict=True))

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def arguments(self) -> tuple[Any, ...]:
        return tuple(self.args[1])

    @property
    def body(self) -> Expr:
        return self.args[2]

    def doit(self, **hints: Any) -> Expr:
        return self.body.doit(**hints) if hints.get("deep", True) else self.body

    def _eval_is_extended_real(self):
        return self.body.is_extended_real
