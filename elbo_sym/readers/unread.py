"""A row of a display that has no reading, kept as the author wrote it.

It stands in a reported chain where the row stood, so that the report and the re-typeset
document show every row; the steps that touch it are ``unknown`` and are never checked."""
from sympy import Expr
from sympy.core.symbol import Str


class Unread(Expr):
    """The LaTeX source of an unreadable row; it prints as that source."""

    def __new__(cls, source):
        return Expr.__new__(cls, source if isinstance(source, Str) else Str(str(source)))

    @property
    def source(self) -> str:
        return self.args[0].name

    @property
    def free_symbols(self):
        return set()

    def _latex(self, printer):
        return "{%s}" % self.source

    def _elbo_text(self, printer):
        return "⟪" + " ".join(self.source.split()) + "⟫"

    def _sympystr(self, printer):
        return self._elbo_text(printer)
