"""A row of a display that has no reading, kept as the author wrote it.

It stands in a reported chain where the row stood, so that the report and the re-typeset
document show every row; the steps that touch it are ``unknown`` and are never checked.

Its source is input, never markup: the printers show it escaped (``_print_Unread`` of the text
and LaTeX printers, ``printing.escape``), and a math renderer gets a placeholder."""
from typing import Set

from sympy import Basic, Expr
from sympy.core.symbol import Str

from ..algebra.printable import as_latex, as_text


class Unread(Expr):
    """The LaTeX source of an unreadable row; it prints as that source, escaped."""

    def __new__(cls, source: object) -> "Unread":
        return Expr.__new__(cls, source if isinstance(source, Str) else Str(str(source)))

    @property
    def source(self) -> str:
        return self.args[0].name

    @property
    def free_symbols(self) -> Set[Basic]:
        return set()

    # printed by elbo-check's printers (sympy.latex and str too): see algebra.printable
    _latex = as_latex
    _sympystr = as_text
