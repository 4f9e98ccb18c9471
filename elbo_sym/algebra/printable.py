"""How the algebra's objects print through sympy's printing protocol.

``sympy.latex(expr)`` and ``str(expr)`` ask an object for ``_latex`` / ``_sympystr`` before
anything else, so each class of the algebra answers them (``_latex = as_latex`` ...) with the
notation the command uses: ``str(Density('p', (z,), (x,)))`` is ``p(z | x)`` and
``sympy.latex`` of an expectation keeps its measure (sympy's own ``_print_Expectation``, meant
for ``sympy.stats``, would otherwise catch the class by its name and drop it). As sympy's
protocol asks, a hook prints the node's own notation and hands its arguments back to the
printer it was given (``printer._print``): a printer's settings (``mul_symbol``) and a
subclass's methods reach them, and ``sympy.latex(E_q[x y])`` prints ``x y`` as sympy does.

The printers live in ``elbo_sym.printing``, which depends on the algebra, so they are imported
when an object is printed, never when the algebra is imported: the dependencies still run one
way at import time, and the formatting rules stay in one place (moving them here would make
two printers of the same notation).
"""
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sympy import Basic


def _own_method(printer, expr):
    """The printer's ``_print_<Class>`` for ``expr``, looked up along its class's MRO (an
    ``IndexedVariable`` is printed by ``_print_Indexed``)."""
    for cls in type(expr).__mro__:
        method = getattr(printer, "_print_" + cls.__name__, None)
        if method is not None:
            return method(expr)
    return printer.emptyPrinter(expr)


def as_latex(expr: "Basic", printer: Any, *args: Any, **kwargs: Any) -> str:
    """``_latex``: inside elbo-check's own LaTeX printer (or a subclass), its method for the
    class; inside any other LaTeX printer (``sympy.latex``), the node's notation with its
    arguments printed by that printer, so its settings and overrides reach them."""
    from ..printing.latex import ElboLatexPrinter, algebra_latex

    if isinstance(printer, ElboLatexPrinter):
        return _own_method(printer, expr)
    return algebra_latex(printer, expr)


def as_text(expr: "Basic", printer: Any, *args: Any, **kwargs: Any) -> str:
    """``_sympystr``: ``str(expr)`` and any other string printer: the node's notation (as the
    terminal report writes it) with its arguments printed by that printer. (elbo-check's text
    printer answers to its own print method, so this is only reached from other printers.)"""
    from ..printing.text import algebra_text

    return algebra_text(printer, expr)
