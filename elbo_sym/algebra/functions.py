r"""Unknown functions: a name applied to arguments that is no density, known function or let.

``\mathrm{ReLU}(x)``, ``\operatorname{softplus}(x)``, ``f(x)``, ``g_\theta(z)``, ``\sigma(x)``
and ``\mu_\phi(x)`` in a document, or a name declared with ``function NAME`` in a ``.deriv``
file, stand for a real-valued function about which nothing is known: a step that uses one holds
only if it holds for every such function.

Each is a sympy undefined function (its applications are ``AppliedUndef``), so any part of the
package can tell them generically (the numeric judge abstains on them). To the symbolic checker
an application is an opaque atom: the free symbols of its arguments are its free symbols, and a
substitution goes inside its arguments (sympy's own protocol). It is real-valued (a network's
output, an activation), which is what lets ``log exp f(x) = f(x)`` hold.
"""
from functools import lru_cache

from sympy import Function
from sympy.core.function import AppliedUndef, UndefinedFunction

__all__ = ["UnknownApplication", "unknown_function", "is_unknown_application"]


class UnknownApplication(AppliedUndef):
    """An unknown function applied to its arguments; prints as ``ReLU(x)`` in text and
    ``\\operatorname{ReLU}\\left(x\\right)`` in LaTeX."""

    def _latex(self, printer):
        from ..printing.latex import latex_name

        head = latex_name(self.func.__name__)
        if head.startswith(r"\mathrm{"):       # a word: ReLU, softplus
            head = r"\operatorname{" + head[len(r"\mathrm{"):]
        args = ", ".join(printer._print(a) for a in self.args)
        return r"%s\left(%s\right)" % (head, args)


@lru_cache(maxsize=None)
def unknown_function(name: str) -> UndefinedFunction:
    """The unknown real-valued function called ``name`` (the same object for the same name)."""
    return Function(name, real=True, bases=(UnknownApplication,))


def is_unknown_application(expr: object) -> bool:
    """Whether ``expr`` is an unknown function applied to arguments."""
    return isinstance(expr, AppliedUndef)
