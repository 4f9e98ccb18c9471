"""elbo-check: a symbolic checker for variational-inference derivations.

``elbo_sym.check(text)`` and ``elbo_sym.derive(name)`` give a ``Report`` (see ``elbo_sym.api``).
The names are loaded on first use, so that ``import elbo_sym`` (and ``elbo-check derive``)
does not pay for the parser, the checker or numpy until they are needed.
"""
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover - for type checkers, which do not run __getattr__
    from .api import Report, StepView, builtins, check, derive, rule_catalogue
    from .errors import InputError
    from .printing.latex import latex
    from .printing.text import text

__all__ = ["check", "derive", "builtins", "rule_catalogue", "Report", "StepView", "InputError",
           "latex", "text", "__version__"]

# (not "rules": that is the subpackage elbo_sym.rules)
_API = {"check", "derive", "builtins", "rule_catalogue", "Report", "StepView"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from . import api

        return getattr(api, name)
    if name in ("latex", "text"):   # the command's own notation (sympy's printers print
        from . import printing      # nested arguments their own way)

        return getattr(printing, name)
    if name == "InputError":
        from .errors import InputError

        return InputError
    raise AttributeError(f"module 'elbo_sym' has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(__all__))
