"""Random instances: a joint Gaussian per density family, and values for the free symbols.

A family is one joint distribution over all of its variables, so making it a random joint
Gaussian makes every marginal and every conditional p(A | B) an exact Gaussian: a step that
holds for every family holds on these, and one that fails for a generic family fails on them.
"""
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from sympy import Indexed, Symbol, default_sort_key

from ..relations import mirror

if TYPE_CHECKING:
    from .evaluate import Structure

Bound = Tuple[Any, str, float]     # (atom, relation, number): ``assume s > 0``

_LOG_2PI = math.log(2 * math.pi)
_FREE_RANGE = 1.5      # an unconstrained value is drawn in [-1.5, 1.5]
_SPAN = 2.0            # a value bounded on one side is drawn within 2 of its bound
_MARGIN = 0.2          # ... and at least 0.2 inside a strict bound (sigma > 0 gives (0.2, 2))
_SCALES = ((0.1, 1.5), (0.08, 0.35))   # per-variable covariance scales: mixed, then narrow


class Unsupported(Exception):
    """Something the numeric judge cannot evaluate: the step is 'not-applicable'."""


class TooCostly(Unsupported):
    """Too costly at these sizes (an expectation over too many variables at once): other sizes
    of the same step may still be evaluated."""


class Skip(Exception):
    """This instance has no value (log of a nonpositive number, a nonpositive variance, nan)."""


class FamilyModel:
    """A joint Gaussian over a family's variables; marginals and conditionals are cached."""

    def __init__(self, name: str, variables: Iterable[Any], mean: np.ndarray,
                 cov: np.ndarray) -> None:
        self.name = name
        self.variables = tuple(variables)
        self.index = {v: i for i, v in enumerate(self.variables)}
        self.mean = mean
        self.cov = cov
        self._marginals: Dict[Tuple[Any, ...], Tuple[np.ndarray, np.ndarray, float]] = {}
        self._conditionals: Dict[Tuple[Tuple[Any, ...], Tuple[Any, ...]],
                                 Tuple[np.ndarray, ...]] = {}

    def _indices(self, variables):
        try:
            return [self.index[v] for v in variables]
        except KeyError as exc:      # the scan registers every variable; this is a bug guard
            raise Unsupported(f"{exc.args[0]} is not a variable of the family {self.name}") from None

    def marginal(self, variables: Iterable[Any]) -> Tuple[np.ndarray, np.ndarray, float]:
        """(mean, precision, log normaliser) of the marginal over ``variables``."""
        key = tuple(variables)
        if key not in self._marginals:
            idx = self._indices(key)
            cov = self.cov[np.ix_(idx, idx)]
            _, logdet = np.linalg.slogdet(cov)
            self._marginals[key] = (self.mean[idx], np.linalg.inv(cov),
                                    0.5 * (len(idx) * _LOG_2PI + logdet))
        return self._marginals[key]

    def logpdf(self, variables: Iterable[Any],
               values: Sequence[Tuple[Any, Any]]) -> Tuple[Any, Any]:
        """(log N(values; marginal over ``variables``), its scale); ``values`` are (value,
        scale) pairs that broadcast against each other (see ``evaluate`` for scales)."""
        mean, precision, norm = self.marginal(variables)
        diffs = [v - m for (v, _), m in zip(values, mean)]
        sizes = [np.abs(d) for d in diffs]
        errors = [s + abs(m) for (_, s), m in zip(values, mean)]
        quad, scale = 0.0, 0.0
        for i, di in enumerate(diffs):
            quad = quad + precision[i, i] * di * di
            scale = scale + abs(precision[i, i]) * sizes[i] * (sizes[i] + 2 * errors[i])
            for j in range(i):
                quad = quad + 2.0 * precision[i, j] * di * diffs[j]
                scale = scale + 2.0 * abs(precision[i, j]) * (
                    sizes[i] * sizes[j] + sizes[i] * errors[j] + errors[i] * sizes[j])
        return -0.5 * quad - norm, 0.5 * scale + abs(norm)

    def conditional(self, left: Iterable[Any], given: Iterable[Any]) -> Tuple[np.ndarray, ...]:
        """(mean_A, gain K, mean_B, Cholesky factor of cov(A | B)): A | B = mean_A + K (B - mean_B) + L u."""
        key = (tuple(left), tuple(given))
        if key not in self._conditionals:
            a, b = self._indices(key[0]), self._indices(key[1])
            saa = self.cov[np.ix_(a, a)]
            if b:
                sab, sbb = self.cov[np.ix_(a, b)], self.cov[np.ix_(b, b)]
                gain = np.linalg.solve(sbb, sab.T).T
                saa = saa - gain @ sab.T
            else:
                gain = np.zeros((len(a), 0))
            saa = 0.5 * (saa + saa.T)
            self._conditionals[key] = (self.mean[a], gain, self.mean[b], np.linalg.cholesky(saa))
        return self._conditionals[key]


@dataclass(frozen=True)
class Interval:
    """Where a free value may be drawn: bounds (None for none), strictness, integrality."""
    lo: Optional[float] = None
    lo_strict: bool = False
    hi: Optional[float] = None
    hi_strict: bool = False
    integer: bool = False

    def above(self, bound: float, strict: bool) -> "Interval":
        if self.lo is None or bound > self.lo or (bound == self.lo and strict):
            return Interval(bound, strict, self.hi, self.hi_strict, self.integer)
        return self

    def below(self, bound: float, strict: bool) -> "Interval":
        if self.hi is None or bound < self.hi or (bound == self.hi and strict):
            return Interval(self.lo, self.lo_strict, bound, strict, self.integer)
        return self

    def draw(self, rng: np.random.Generator, name: object) -> float:
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            if hi < lo or (hi == lo and (self.lo_strict or self.hi_strict)):
                raise Unsupported(f"the assumptions on {name} leave it no value")
            margin = min(_MARGIN, 0.1 * (hi - lo))
            a = lo + (margin if self.lo_strict else 0.0)
            b = min(hi - (margin if self.hi_strict else 0.0), a + _SPAN)
        elif lo is not None:
            a = lo + (_MARGIN if self.lo_strict else 0.0)
            b = lo + _SPAN
        elif hi is not None:
            b = hi - (_MARGIN if self.hi_strict else 0.0)
            a = hi - _SPAN
        else:
            a, b = -_FREE_RANGE, _FREE_RANGE
        if self.integer:
            a, b = (-3, 3) if lo is None and hi is None else (math.ceil(a), math.floor(b))
            if b < a:
                raise Unsupported(f"the assumptions on {name} leave it no whole value")
            return float(rng.integers(a, b + 1))
        return float(rng.uniform(a, b))




def atom_name(atom: Any) -> str:
    """The name an ``assume`` fact uses for an atom: sigma for sigma and for sigma[j]."""
    return atom.base.label.name if isinstance(atom, Indexed) else atom.name


def symbol_bounds(facts: Iterable[Tuple[Any, str, Any]]) -> List[Bound]:
    """(atom, relation, number) for every fact that bounds a plain or indexed variable by a
    number (``assume s > 0``, ``assume sigma_1 > 0``)."""
    out: List[Bound] = []
    for lhs, rel, rhs in facts:
        if isinstance(lhs, (Symbol, Indexed)) and rhs.is_number and rhs.is_extended_real:
            out.append((lhs, rel, float(rhs)))
        elif isinstance(rhs, (Symbol, Indexed)) and lhs.is_number and lhs.is_extended_real:
            out.append((rhs, mirror(rel), float(lhs)))
    return out


def interval_for(atom: Any, bounds: Iterable[Bound], positive_hint: bool = False) -> Interval:
    """The interval to draw ``atom`` from: sympy assumptions, ``assume`` bounds on exactly
    this atom (a fact about sigma says nothing about sigma_1), hints."""
    symbol = atom.base.label if isinstance(atom, Indexed) else atom
    iv = Interval(integer=bool(getattr(symbol, "is_integer", False)))
    if getattr(symbol, "is_positive", False):
        iv = iv.above(0.0, True)
    elif getattr(symbol, "is_nonnegative", False):
        iv = iv.above(0.0, False)
    if getattr(symbol, "is_negative", False):
        iv = iv.below(0.0, True)
    elif getattr(symbol, "is_nonpositive", False):
        iv = iv.below(0.0, False)
    for a, rel, c in bounds:
        if a != atom:
            continue
        if rel in (">", ">="):
            iv = iv.above(c, rel == ">")
        elif rel in ("<", "<="):
            iv = iv.below(c, rel == "<")
        elif rel == "=":
            iv = iv.above(c, False).below(c, False)
    if positive_hint and iv.lo is None and (iv.hi is None or iv.hi > 0):
        iv = iv.above(0.0, True)
    return iv


_SIZE_CHOICES = 3          # at least this many sizes ...
_SIZE_TOP = 5              # ... and every one up to this (whatever a model's expectations cost)


def size_choices(symbol: Symbol, bounds: Iterable[Bound]) -> List[int]:
    """The values a symbolic size may take: consecutive whole numbers from the least that its
    ``assume`` bounds allow, up to 5 and at least three (0 to 5 without bounds: a count may
    be 0; 2 to 5 under T >= 2, 5 to 7 under J >= 5)."""
    iv = interval_for(symbol, bounds)
    first = 0          # a count may be 0: the empty sum is where many closed forms fail
    if iv.lo is not None:
        first = max(first, math.floor(iv.lo) + 1 if iv.lo_strict and float(iv.lo).is_integer()
                    else math.ceil(iv.lo))
    if first > 10 ** 6:
        raise Unsupported(f"the assumptions on the size {symbol} make it too large to write out")
    choices = [k for k in range(first, max(first + _SIZE_CHOICES, _SIZE_TOP + 1))
               if iv.hi is None or k < iv.hi or (k == iv.hi and not iv.hi_strict)]
    if not choices:
        raise Unsupported(f"the assumptions on the size {symbol} leave it no whole value")
    return choices


@dataclass
class Instance:
    """One draw: sizes, free values (atom -> float) and a model per density family."""
    sizes: Dict[Symbol, int]
    values: Dict[object, float]
    families: Dict[str, FamilyModel] = field(default_factory=dict)

    def named_values(self, atoms: Iterable[Any]) -> Tuple[Tuple[str, float], ...]:
        """(name, value) pairs for the sizes, then ``atoms``, for messages."""
        return (tuple((str(s), float(v)) for s, v in self.sizes.items())
                + tuple((str(a), float(self.values[a])) for a in atoms))


def random_family(rng: np.random.Generator, name: str, variables: Sequence[Any],
                  scales: Tuple[float, float] = _SCALES[0], jitter: float = 0.5) -> FamilyModel:
    """A random joint Gaussian: mean in [-1, 1], covariance D (A A^T + 0.5 I) D, A in [-1, 1].

    The scales D, log-uniform in ``scales``, make narrow and wide variables alike, so that
    negative entropies and steep conditionals occur: some false steps fail only there.
    """
    n = len(variables)
    mean = rng.uniform(-1.0, 1.0, n)
    a = rng.uniform(-1.0, 1.0, (n, n))
    d = np.exp(rng.uniform(np.log(scales[0]), np.log(scales[1]), n))
    return FamilyModel(name, variables, mean, (a @ a.T + jitter * np.eye(n)) * np.outer(d, d))


def draw_families(rng: np.random.Generator, structure: "Structure",
                  regime: int = 0) -> Dict[str, FamilyModel]:
    """One random Gaussian per family, in fixed order (see ``draw_instance``)."""
    names = sorted(structure.families)
    scales = _SCALES[(regime // 2) % 2]
    if len(names) > 1 and regime % 2 == 1:
        union = sorted(set().union(*structure.families.values()), key=default_sort_key)
        master = random_family(rng, "*", union, scales)
        families: Dict[str, FamilyModel] = {}
        for name in names:
            idx = [master.index[v] for v in structure.families[name]]
            families[name] = FamilyModel(name, structure.families[name], master.mean[idx],
                                         master.cov[np.ix_(idx, idx)])
        return families
    return {name: random_family(rng, name, structure.families[name], scales) for name in names}


def draw_instance(rng: np.random.Generator, sizes: Dict[Symbol, int], structure: "Structure",
                  bounds: Iterable[Bound], regime: int = 0) -> Instance:
    """Free values within their intervals, then one random Gaussian per family, in fixed order.

    ``regime`` (the attempt's number) cycles through four kinds of instance, so that any eight
    consecutive ones cover them all: in odd ones all families are marginals of one joint
    Gaussian (q = p, so a KL vanishes), in regimes 2 and 3 every variable is narrow (so
    entropies are negative). Steps that are false only where a bound is tight fail there.
    """
    values: Dict[object, float] = {}
    for atom in structure.free:
        iv = interval_for(atom, bounds, atom in structure.positive)
        values[atom] = np.float64(iv.draw(rng, atom))
    return Instance(dict(sizes), values, draw_families(rng, structure, regime))


__all__ = ["FamilyModel", "Instance", "Interval", "Skip", "TooCostly", "Unsupported", "atom_name",
           "draw_families", "draw_instance", "interval_for", "random_family", "size_choices", "symbol_bounds"]
