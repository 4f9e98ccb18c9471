"""The binder protocol: one answer, everywhere, to "which variables does this node bind?".

Every node that binds variables says so with ``bound_symbols``: an expectation (its density's
variables), an integral (its variables), KL and H (their densities' variables) and a sum (its
index; sympy's ``Sum`` already answers). Free variables, dependence, capture-avoiding
substitution, alpha-renaming and the assumption machinery are all built on this, as sympy's
``ExprWithLimits`` and ``Lambda`` are, and nothing else in the package recomputes it.

Two facts of this algebra shape the protocol:

- **Indexed variables.** ``z_j`` is element j of the variables named z (``IndexedVariable``):
  never the plain ``z``. Inside ``sum_j`` the body's ``z_j`` stands for every element the range
  covers, so a question of dependence compares it with ``z_1`` by its index (``may_equal``),
  not by structure.
- **Family variables are names.** In ``E_{q(z|x)}[f]`` the bound z is also the name of a random
  variable of the family q: renaming it would change which marginal of q is meant. Only a
  variable that no family density in the binder mentions (a sum index, the variable of
  ``N(z; m, v)``, an integral over such a variable) is a pure dummy that may be renamed; a
  substitution that would capture a family variable is refused with a ``DomainError``.
"""
from typing import Dict, Iterable, List, Sequence, Set, Tuple

from sympy import Basic, Expr, Mul, Symbol
from sympy.concrete.expr_with_limits import ExprWithLimits

from ..errors import DomainError
from .variables import IndexedVariable, VariableRange, is_variable


class Binder:
    """Mixin for the algebra's binding nodes: ``free_symbols`` is what the arguments mention
    minus ``bound_symbols`` (an indexed variable's index stays free: E over z_j depends on j)."""

    args: Tuple[Basic, ...]   # the sympy node's arguments (the class is a mixin of one)

    @property
    def bound_symbols(self) -> Tuple[Expr, ...]:
        """The variables the node binds: none, unless the node says."""
        return ()

    @property
    def free_symbols(self) -> Set[Basic]:
        bound = set(self.bound_symbols)
        free = set().union(*(a.free_symbols for a in self.args))
        return free - bound

    def _eval_subs(self, old, new):
        """``expr.subs``: capture-avoiding, as ``substitute`` (see ``eval_subs``)."""
        return eval_subs(self, old, new)


def bound_symbols(node: Basic) -> Tuple[Expr, ...]:
    """The variables ``node`` itself binds (not those of binders inside it)."""
    if isinstance(node, (Binder, ExprWithLimits)):
        return tuple(node.bound_symbols)
    return ()


def bound_anywhere(expr: Basic) -> set:
    """Every variable some binder inside ``expr`` binds."""
    out: Set[Expr] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        out.update(bound_symbols(node))
        stack.extend(a for a in node.args if isinstance(a, Basic))
    return out


def _interval(v):
    """(name, lo, hi) for an element (lo = hi = its index) or a range; None otherwise."""
    if isinstance(v, IndexedVariable) and len(v.indices) == 1:
        return v.name, v.indices[0], v.indices[0]
    if isinstance(v, VariableRange):
        return v.name, v.lo, v.hi
    return None


def _below(a, b) -> bool:
    """Whether a < b is certain (sympy knows their difference is negative: a number, or
    symbols whose signs settle it, as T_shift + 2 > 0)."""
    return bool((a - b).is_negative)


def may_equal(a: Expr, b: Expr) -> bool:
    """Whether variables ``a`` and ``b`` may be, or overlap, the same variable: equal, or
    elements or ranges of the same indexed family whose indices are not provably apart (z_j may
    be z_1; z_j is never z_{j+1}; z_1 is never z_2; x_t may lie in x_{1:T}; z and z_1 are
    different variables)."""
    if a == b:
        return True
    ia, ib = _interval(a), _interval(b)
    if ia is None or ib is None or ia[0] != ib[0]:
        return False
    _, lo_a, hi_a = ia
    _, lo_b, hi_b = ib
    if _below(hi_a, lo_a) or _below(hi_b, lo_b):      # an empty range is no variable
        return False
    return not (_below(hi_a, lo_b) or _below(hi_b, lo_a))


def depends_on(expr: Basic, variables: Iterable[Expr]) -> bool:
    """Whether ``expr`` may depend on one of ``variables``: a free variable of it that may be one
    of them (a sum over j whose body holds z_j depends on z_1)."""
    variables = tuple(variables)
    if not variables:
        return False
    free = expr.free_symbols
    if any(v in free for v in variables):
        return True
    templates = [f for f in free if isinstance(f, (IndexedVariable, VariableRange))]
    return any(may_equal(f, v) for f in templates for v in variables
               if isinstance(v, (IndexedVariable, VariableRange)))


def split_independent(term: Expr, variables: Iterable[Expr]) -> Tuple[Expr, Expr]:
    """``(c, rest)`` with ``term == c * rest`` and c free of ``variables`` (factor by factor)."""
    variables = tuple(variables)
    constant: List[Expr] = []
    rest: List[Expr] = []
    for factor in Mul.make_args(term):
        (rest if depends_on(factor, variables) else constant).append(factor)
    return Mul(*constant), Mul(*rest)


# -- renaming and substitution --------------------------------------------------------------

def _families_mention(node: Basic, variable: Expr) -> bool:
    from .densities import Density

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Density):
            if variable in n.variables or variable in n.given:
                return True
            continue
        stack.extend(a for a in n.args if isinstance(a, Basic))
    return False


def is_dummy(node: Basic, variable: Expr) -> bool:
    """Whether ``variable``, bound by ``node``, is a pure dummy that may be renamed: no family
    density inside ``node`` names it, and no other element of its indexed family that may be
    it (a ``z_j`` under a sum, when the bound variable is ``z_1``) stands inside ``node``.
    Ranges and i.i.d. draws are never renamed."""
    from .densities import Draws

    if isinstance(variable, VariableRange) or isinstance(getattr(node, "density", None), Draws):
        return False
    if isinstance(variable, IndexedVariable) and any(
            t != variable and may_equal(t, variable) for t in node.atoms(IndexedVariable)):
        return False
    return not _families_mention(node, variable)


def _names_in(expr: Basic) -> set:
    out = set()
    for s in expr.atoms(Symbol, IndexedVariable):
        out.add(s.name)
    return out


def fresh_variable(variable: Expr, taken: set) -> Expr:
    """``z'``, ``z''``, ... (a name no file can write) for ``variable``, not in ``taken``."""
    name = variable.name
    while True:
        name += "'"
        if name not in taken:
            break
    if isinstance(variable, IndexedVariable):
        return IndexedVariable(name, *variable.indices)
    return Symbol(name, **variable.assumptions0) if isinstance(variable, Symbol) else Symbol(name)


def rename_bound(node: Basic, variable: Expr, fresh: Expr) -> Basic:
    """``node`` with its bound ``variable`` renamed to ``fresh`` (alpha-conversion). Outside a
    sum's own bounds the variable occurs only in the binder's scope, so a uniform replacement
    is exact (binders inside that bind it again are renamed alike, which keeps their meaning)."""
    if isinstance(node, ExprWithLimits):
        limits = [(fresh if v == variable else v, lo, hi) for v, lo, hi in node.limits]
        return node.func(node.function.xreplace({variable: fresh}), *limits)
    return node.xreplace({variable: fresh})


def substitute(expr: Basic, mapping: Dict[Expr, Expr]) -> Basic:
    """``expr`` with the free occurrences of each key replaced by its value, never capturing:
    a binder whose bound variable a value mentions has that variable renamed first (sympy's
    ``Lambda`` does the same); a binder shadows the keys it binds. Raises ``DomainError`` when
    the variable that would capture is a family variable, which cannot be renamed.

    Nodes are rebuilt with their constructors, so the caller's ``evaluate`` setting applies."""
    mapping = {k: v for k, v in mapping.items() if k != v}
    if not mapping:
        return expr
    return _subst(expr, mapping)


def _subst(e, m):
    if e in m:
        return m[e]
    if not isinstance(e, Basic) or not e.args:
        return e
    keys = [k for k in m if _mentions(e, k)]
    if not keys:
        return e
    m = {k: m[k] for k in keys}
    bound = bound_symbols(e)
    if not bound:
        return e.func(*[_subst(a, m) for a in e.args])
    if isinstance(e, ExprWithLimits) and len(e.limits) > 1:
        *inner, outer = e.limits
        return _subst(e.func(e.func(e.function, *inner), outer), m)
    e, inner = _open_binder(e, m)
    if isinstance(e, ExprWithLimits):
        (index, lo, hi), = e.limits
        body = _subst(e.function, inner) if inner else e.function
        return e.func(body, (index, _subst(lo, m), _subst(hi, m)))
    return e.func(*[_subst(a, inner) for a in e.args]) if inner else e


def _open_binder(e: Basic, m: Dict[Expr, Expr]) -> Tuple[Basic, Dict[Expr, Expr]]:
    """``(e', inner)``: the keys of ``m`` that reach the scope of the binder ``e`` (those it
    does not shadow), and ``e`` with each bound variable that their values would bring into it
    renamed first (a pure dummy; a family variable cannot be: ``DomainError``)."""
    bound = bound_symbols(e)
    inner = {k: v for k, v in m.items() if not _shadowed(e, k, bound)}
    # what a value brings in that its key does not already name (``q(z | x)`` for
    # ``r(z | x)`` brings no z: the family variable z is named on both sides)
    incoming = set().union(*(v.free_symbols - k.free_symbols for k, v in inner.items()))
    for b in bound:
        if b in incoming:
            if not is_dummy(e, b):
                raise DomainError(
                    f"substituting {', '.join(str(v) for v in inner.values())} here would put "
                    f"it under a binder of {b} (a variable of a density family, which cannot be "
                    f"renamed): rename one of them")
            taken = _names_in(e) | {s.name for s in incoming if hasattr(s, "name")} \
                | {k.name for k in m if hasattr(k, "name")}
            e = rename_bound(e, b, fresh_variable(b, taken))
    return e, inner


def eval_subs(node: Basic, old: Expr, new: Expr) -> Basic:
    """sympy's ``_eval_subs`` for the algebra's binders, so that ``expr.subs(old, new)`` is
    ``substitute(expr, {old: new})``: a bound variable is left alone, a free one goes inside,
    a bound pure dummy that ``new`` mentions is renamed first and a family variable it would
    capture is refused (``DomainError``). A compound ``old`` (``q(z | x)``, ``log p(x)``) that
    reaches the scope is replaced by sympy's own matching in the arguments."""
    if is_variable(old):
        return substitute(node, {old: new})
    node, inner = _open_binder(node, {old: new})
    if not inner:
        return node
    return node.func(*[a._subs(old, new) for a in node.args])


def _mentions(e: Basic, key: Expr) -> bool:
    """Whether ``key`` may occur free in ``e``: a variable free in it; a compound key (a
    density, ``log p(x, z)``) anywhere in it (each binder on the way decides its scope)."""
    if not e.has(key):
        return False
    return key in e.free_symbols if is_variable(key) else True


def _shadowed(e: Basic, key: Expr, bound) -> bool:
    """Whether the binder ``e`` hides ``key`` from its scope: a variable it binds (or whose
    index it binds), or an expression that mentions one of its pure dummies (inside, that
    dummy is another variable; a family variable is a name, the same inside and out)."""
    mentioned = key.free_symbols & set(bound)
    if not mentioned:
        return False
    return is_variable(key) or any(is_dummy(e, b) for b in mentioned)


def rebuild(e: Basic, args: Sequence[Basic]) -> Basic:
    """``e`` with new ``args``, evaluating nothing: the author's order and grouping stay.
    Sum's constructor multiplies the body by its orientation, 1, which is the body itself
    only with evaluation on (with it off, 1*(...) would stay), so sums are built plainly."""
    from sympy import Add, Pow, Sum

    if isinstance(e, Sum):
        return Sum(args[0], *args[1:])
    if isinstance(e, (Add, Mul, Pow)) or getattr(e, "is_Function", False):
        return e.func(*args, evaluate=False)
    return e.func(*args)


__all__ = ["rebuild", "Binder", "bound_symbols", "bound_anywhere", "may_equal", "depends_on",
           "split_independent", "is_dummy", "fresh_variable", "rename_bound", "substitute", "eval_subs"]
