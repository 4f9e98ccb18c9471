"""Slips: the plausible one-place mistakes of a derivation step, in one home.

Each slip has a name, a way it is applied (``elbo_sym.mutation`` makes the mutants of a
derivation with it, to measure soundness), the edit that undoes it (``elbo_sym.checker.explain``
proposes it under a failing step) and that edit's cost (explain ranks its suggestions by it:
the cheaper, the nearer). The operations both sides share (a KL's arguments swapped, a
conditional turned around, an index shifted, a sum's bound moved, a constant changed, a let's
arguments exchanged) are here; the tree walks that find where a slip applies stay with their
users (mutation changes every occurrence, explain edits the one place the author wrote).

This module sits with the algebra: it imports nothing from the checker.
"""
from functools import partial
from itertools import combinations
from typing import Callable, Iterator, NamedTuple, Sequence, Tuple

from sympy import Expr, Sum

from .algebra import KL, Defined, Density

# The slips (a mutant's kind).
SIGN = "sign"                          # a term's sign flipped
DROP = "drop"                          # a term dropped
KL_SWAP = "kl-swap"                    # a KL's arguments swapped
CONDITIONAL_SWAP = "conditional-swap"  # p(a | b) written p(b | a)
PULL_OUT = "pull-out"                  # a term moved out of its expectation
CONSTANT = "constant"                  # a number changed by one
REVERSE = "reverse"                    # an inequality reversed
BOUND_RENAME = "bound-rename"          # a bound variable renamed to a free one
INDEX_SHIFT = "index-shift"            # z_j written z_{j+1} inside a sum over j
SUM_BOUND = "sum-bound"                # a sum's bound moved by one
LET_SWAP = "let-swap"                  # a let's arguments exchanged

# The edits explain makes that are no slip's own name: the inverse of DROP, PULL_OUT and
# REVERSE, and a let's use read with its definition's body.
ADD = "add"
PUSH_IN = "push-in"
RELATION = "relation"
LET_BODY = "let-body"


class Slip(NamedTuple):
    """A slip: its ``name`` (a mutant's kind) and the kind of the edit that undoes it (a
    suggestion's kind)."""

    name: str
    undone_by: str


SLIPS: Tuple[Slip, ...] = (
    Slip(SIGN, SIGN), Slip(DROP, ADD), Slip(KL_SWAP, KL_SWAP),
    Slip(CONDITIONAL_SWAP, CONDITIONAL_SWAP), Slip(PULL_OUT, PUSH_IN), Slip(CONSTANT, CONSTANT),
    Slip(REVERSE, RELATION), Slip(BOUND_RENAME, BOUND_RENAME), Slip(INDEX_SHIFT, INDEX_SHIFT),
    Slip(SUM_BOUND, SUM_BOUND), Slip(LET_SWAP, LET_SWAP))
KINDS: Tuple[str, ...] = tuple(s.name for s in SLIPS)
UNDONE_BY = {s.name: s.undone_by for s in SLIPS}


# The costs of the edits that undo them (explain's ranking; a drop or an addition costs the
# size of the term).
COST_RELATION = 0.0        # the relation changed: the expression is as written
COST_ONE_CHANGE = 1.0      # one sign, a KL's or a let's arguments, a conditional, an index,
#                            a bound, a constant, a let's body, one bound variable's place
COST_ONE_CONSTANT = 1.2    # a constant changed at one of its places only
COST_RENAME_ALL = 1.5      # a free variable read as the bound one at all its places
COST_MOVE = 2.0            # a term or factor moved into or out of an expectation
COST_TWO_SIGNS = 2.0       # two signs flipped at once (a bracket -(a + b) opened)
COST_SIGN_GROUP = 2.5      # the signs of a run of terms flipped (a longer bracket)
COST_EVERYWHERE = 0.5      # more, for an edit made at every place its node stands
COST_LINE_BEFORE = 3.0     # more, for a candidate that is the line before again


# Applying and undoing: the shared operations.

# A constant slips by one (mutation); explain tries each way back.
CONSTANT_SLIP = 1
CONSTANT_UNDO: Tuple[int, ...] = (-1, 1)
# An index slips by one (mutation); explain tries each way back.
INDEX_SLIP = 1
INDEX_UNDO: Tuple[int, ...] = (-1, 1)
# A sum's bound: (UPPER_BOUND or LOWER_BOUND, by how much) for the slips mutation makes, and
# the moves explain tries back (every move by one).
UPPER_BOUND, LOWER_BOUND = "upper", "lower"
SUM_BOUND_SLIPS: Tuple[Tuple[str, int], ...] = ((UPPER_BOUND, -1), (UPPER_BOUND, 1), (LOWER_BOUND, 1))
SUM_BOUND_UNDO: Tuple[Tuple[str, int], ...] = ((UPPER_BOUND, -1), (UPPER_BOUND, 1),
                                               (LOWER_BOUND, -1), (LOWER_BOUND, 1))


def swapped_kl(kl: KL) -> KL:
    """KL(a ‖ b) as KL(b ‖ a)."""
    return KL(kl.second, kl.first)


def turned_around(density: Density) -> Density:
    """p(a | b) as p(b | a) (DomainError when that makes no density)."""
    return Density(density.args[0], density.given, density.variables)


def shifted(element: Expr, index: Expr, by: int = INDEX_SLIP) -> Expr:
    """``element`` (z_j: an IndexedVariable or sympy's IndexedBase element) with j -> j + by."""
    return type(element)(element.base, *[i.xreplace({index: index + by}) for i in element.indices])


def moved_bounds(node: Sum, moves: Sequence[Tuple[str, int]]
                 ) -> Iterator[Tuple[str, Expr, Expr, Expr, Callable[[], Sum]]]:
    """(which, index, was, now, build) for each bound of the sum ``node`` moved as ``moves``
    ((which bound, by how much) pairs) say: the slip (SUM_BOUND_SLIPS) and its undoing
    (SUM_BOUND_UNDO) are the same move."""
    for k, (j, lo, hi) in enumerate(node.limits):
        for which, by in moves:
            moved = (j, lo, hi + by) if which == UPPER_BOUND else (j, lo + by, hi)
            was, now = (hi, moved[2]) if which == UPPER_BOUND else (lo, moved[1])
            limits = list(node.limits)
            limits[k] = moved
            yield which, j, was, now, partial(Sum, node.function, *limits)


def let_swaps(node: Defined, definitions: Sequence) -> Iterator[Tuple[Expr, Expr, Defined]]:
    """(a, b, use) for every two arguments a, b of the let's use ``node`` exchanged, rebuilt
    from its ``let``: the body is the definition's body at the exchanged arguments."""
    found = [d for d in definitions if d.name == node.name and len(d.params) == len(node.arguments)]
    if not found:
        return
    definition, args = found[0], node.arguments
    for i, j in combinations(range(len(args)), 2):
        swapped = list(args)
        swapped[i], swapped[j] = args[j], args[i]
        body = definition.body.xreplace(dict(zip(definition.params, swapped)))
        yield args[i], args[j], Defined(node.name, swapped, body)
