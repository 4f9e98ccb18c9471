"""Densities: the product and Bayes' rules as one rewrite, and what a declared model implies.

Every conditional becomes a ratio of joints, p(A | B) = p(A u B) / p(B); both rules then hold by
construction, and ``log`` splits a ratio into atoms ``log p(S)``. Families never mix, except
where a model says one family's conditional is another's.

Under a model (``rules.models``) a joint splits further, canonically, so that every spelling of
one quantity meets:

- the joint of the model's whole set is its first variables' marginal times the factors
  (when every factor is over a smaller set, so nothing comes back to itself);
- the joint of a factor's child and parents, for a factor from another family G, is
  G(child | parents) times the family's own joint of the parents;
- any other joint of single variables splits into the joints of the cliques of its
  independence graph over the separators (``models.split_joint``).
"""
from typing import Any, Dict, Optional

from sympy import Expr, Mul, Pow, Product, S

from ..algebra import Density, IndexedVariable, VariableRange
from ..algebra.variables import merge_variables
from .base import Normalizer, Rule
from .models import split_joint


def conditional_to_joint(density: Expr, engine: Normalizer) -> Optional[Expr]:
    if not isinstance(density, Density) or not density.is_conditional:
        return None
    given = density.given
    return density.joint(merge_variables(density.variables + given)) / density.joint(given)


def _full_set(model):
    return set(merge_variables(model.left + model.given))


def _factor_density(factor):
    """The factor as a density expression (a Product over its index for one under prod)."""
    if factor.index is None:
        return factor.density
    t, lo, hi = factor.index
    return Product(factor.density, (t, lo, hi))


def _whole_joint(density, model):
    """F(left u given) = F(given) * prod of factors, when no factor is over the whole set."""
    if set(density.variables) != _full_set(model):
        return None
    for f in model.factors:
        if f.index is None and set(merge_variables((f.child,) + f.parents)) == _full_set(model):
            return None
    marginal = Density(density.args[0], model.given) if model.given else S.One
    factors = {}
    for f in model.factors:
        key = (f.density, f.index)
        factors[key] = _factor_density(f)
    return Mul(marginal, *factors.values())


def _match(factor, variables, engine):
    """The factor's index value at which {child} u parents is ``variables`` (None when it is
    not a factor of that set), checked against the factor's range."""
    wanted = set(variables)
    if factor.index is None:
        return {} if {factor.child, *factor.parents} == wanted else None
    t, lo, hi = factor.index
    if not isinstance(factor.child, IndexedVariable):
        return None
    for v in wanted:
        if isinstance(v, IndexedVariable) and v.name == factor.child.name:
            value = v.index - (factor.child.index - t)
            here = {t: value}
            if {factor.child.xreplace(here), *(p.xreplace(here) for p in factor.parents)} == wanted \
                    and engine.space.nonnegative(value - lo) and engine.space.nonnegative(hi - value):
                return here
    return None


def _other_family(density, model, engine):
    """F(c u pa) = G(c | pa) F(pa) for a factor G(c | pa) of another family (or a Gaussian)."""
    for f in model.factors:
        other = f.density
        if isinstance(other, Density) and other.family == density.family:
            continue
        here = _match(f, density.variables, engine)
        if here is None:
            continue
        parents = [p.xreplace(here) for p in f.parents]
        given = Density(density.args[0], parents) if parents else S.One
        return other.xreplace(here) * given
    return None


def _split(density, model, engine):
    variables = density.variables
    if any(isinstance(v, VariableRange) for v in variables):
        return None
    key = (model, density, engine.space.ranges, engine.space.facts)
    if key not in _SPLITS:
        if len(_SPLITS) > 20000:
            _SPLITS.clear()
        _SPLITS[key] = _split_now(density, model, engine)
    return _SPLITS[key]


# the split of a density depends only on the model, the density and the space
_SPLITS: Dict[Any, Optional[Expr]] = {}


def _split_now(density, model, engine):
    variables = density.variables
    symbols = set().union(*(v.free_symbols - {v} for v in variables)) | model.symbols
    instances = engine.space.instances(tuple(sorted(symbols, key=str)))
    found = split_joint(model, variables, instances)
    if found is None:
        return None
    cliques, separators = found
    family = density.args[0]
    num = [Density(family, sorted(c, key=str)) for c in cliques]
    den = [Pow(Density(family, sorted(c, key=str)), -1) for c in separators if c]
    return Mul(*num, *den)


def model_joint(density: Expr, engine: Normalizer) -> Optional[Expr]:
    """A joint of a family with a declared model, split as the model allows (see above)."""
    if not isinstance(density, Density) or density.is_conditional:
        return None
    model = engine.models.get(density.family)
    if model is None:
        return None
    return (_whole_joint(density, model) or _other_family(density, model, engine)
            or _split(density, model, engine))


def conditional_under_model(density: Expr, engine: Normalizer) -> Optional[Expr]:
    """The same rewrite, licensed by ``model`` for a family with a declared model (whose
    factors are conditionals: writing a joint as its factors is the model's own statement)."""
    if not isinstance(density, Density) or density.family not in engine.models:
        return None
    return conditional_to_joint(density, engine)


RULES = (Rule(("product-rule", "bayes-rule"), (Density,), conditional_to_joint),
         Rule(("model",), (Density,), conditional_under_model),
         Rule(("model",), (Density,), model_joint))
