"""Expressions as a ``.deriv`` file writes them: text the parser reads back to the same tree.

The text printer is for reading (``E_q(z | x)[f]``, ``∑``, ``‖``, the checker's names ``ĵ₀``);
what a user pastes back into a file must be in the file's language. ``deriv_text`` prints the
ASCII spelling the format documents (``sum_{j=1}^{J} ...``, ``E_{q(z | x)}[...]``,
``KL(q(z | x) || p(z))``, ``sigma`` for σ, ``-`` for −) and refuses, with a ``ValueError``, an
expression holding a name no file can write. ``writable`` first renames the bound variables
the checker made (``_j0``, primed names, dummies) to clean names that capture nothing: the
name the author used for a sum's index, else ``j``, ``k``, ``i``, ...
"""
import re
from typing import Iterable, Optional

from sympy import Basic, Dummy, Expr, Symbol
from sympy.concrete.expr_with_limits import ExprWithLimits

from ..algebra.binders import bound_symbols, is_dummy, rebuild, rename_bound
from ..notation import UNICODE_GREEK
from .arithmetic import printed
from .text import MINUS, ElboTextPrinter

# a name a file can write (Greek letters are spelled out: the parser reads σ as sigma)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")
_SPARE = ("j", "k", "i", "l", "m", "n", "t", "s", "u", "v")
_SPELLED = {**UNICODE_GREEK,
            MINUS: "-", "‖": "||", "∑": "sum", "∏": "prod", "∫": "int"}
_SPELL = re.compile("|".join(re.escape(c) for c in sorted(_SPELLED, key=len, reverse=True)))


def _reserved() -> frozenset:
    from ..parser.transformer import RESERVED

    return frozenset(RESERVED)


def is_writable(name: str) -> bool:
    """Whether a file can write ``name`` as a variable's name."""
    return bool(_NAME.fullmatch(name)) and name not in _reserved()


def _name(v) -> str:
    return getattr(v, "name", str(v))


def _names(e: Basic) -> set:
    """Every name ``e`` mentions: symbols, families of indexed variables, densities, lets."""
    out = set()
    for node in _preorder(e):
        for attr in ("name", "family"):
            value = getattr(node, attr, None)
            if isinstance(value, str):
                out.add(value)
    return out


def _preorder(e):
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(a for a in node.args if isinstance(a, Basic))


def _needs_name(v) -> bool:
    return isinstance(v, Dummy) or (isinstance(v, Symbol) and not is_writable(v.name))


def writable(expr: Expr, avoid: Iterable[str] = (), prefer: Iterable[str] = ()) -> Expr:
    """``expr`` with each bound variable no file can write (a canonical index ``_j0``, a primed
    or dummy name) renamed to the first of ``prefer``, then j, k, i, ..., that no name free in
    ``expr`` or in ``avoid``, nor any name inside the binder or bound around it, already is.
    Only pure dummies are renamed (a family's variable names a marginal)."""
    free = {_name(s) for s in expr.free_symbols} | set(avoid)
    choices = list(dict.fromkeys(list(prefer) + list(_SPARE)))

    def fresh(node, scope):
        taken = free | scope | _names(node)
        for name in choices:
            if name not in taken and is_writable(name):
                return name
        k = 1
        while f"j{k}" in taken:
            k += 1
        return f"j{k}"

    def walk(e, scope):
        if not isinstance(e, Basic) or not e.args:
            return e
        bound = bound_symbols(e)
        if isinstance(e, ExprWithLimits):
            bound = bound[::-1]   # sympy lists a sum's limits innermost first
        for v in bound:
            if _needs_name(v) and is_dummy(e, v):
                e = rename_bound(e, v, Symbol(fresh(e, scope)))
        inner = scope | {_name(v) for v in bound_symbols(e)}
        args = [walk(a, inner) for a in e.args]
        return e if all(a is b for a, b in zip(args, e.args)) else rebuild(e, args)

    return walk(expr, frozenset())


class DerivPrinter(ElboTextPrinter):
    """The text printer in the file's syntax: expectations braced, ``|x|`` as ``abs(x)``, and
    nothing a file cannot write (the spelling is made ASCII by ``deriv_text``)."""

    def _print_Symbol(self, expr):
        if _needs_name(expr):
            raise ValueError(f"no file can write the name {expr.name!r}")
        return super()._print_Symbol(expr)

    _print_Dummy = _print_Symbol

    def _print_Str(self, expr):
        if not is_writable(expr.name):
            raise ValueError(f"no file can write the name {expr.name!r}")
        return super()._print_Str(expr)

    def _print_Expectation(self, expr):
        measure = self._print(expr.density)
        return f"E_{{{measure}}}[{self._print(expr.integrand)}]"

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_Infinity(self, expr):
        raise ValueError("no file can write infinity")

    _print_NegativeInfinity = _print_Infinity
    _print_ComplexInfinity = _print_Infinity
    _print_NaN = _print_Infinity


def deriv_text(expr: Expr) -> str:
    """``expr`` as a ``.deriv`` file writes it (ASCII); ``ValueError`` when no file can."""
    out = printed(DerivPrinter(), expr, too_deep=None)
    if out is None:
        raise ValueError("nested too deep to print")
    out = _SPELL.sub(lambda m: _SPELLED[m.group(0)], out)
    if not out.isascii():
        raise ValueError(f"no file can write {out!r}")
    return out


def source_text(expr: Expr, avoid: Iterable[str] = (), prefer: Iterable[str] = ()) -> Optional[str]:
    """``deriv_text`` of ``writable(expr)``, or None when no file can write it."""
    try:
        return deriv_text(writable(expr, avoid, prefer))
    except (ValueError, TypeError, RecursionError):
        return None


__all__ = ["deriv_text", "source_text", "writable", "is_writable", "DerivPrinter"]
