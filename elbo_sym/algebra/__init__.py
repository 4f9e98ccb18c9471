"""The probability algebra: densities, expectations, integrals, KL, entropy, abbreviations."""
from .definitions import Defined
from .densities import Density, DensityBase, Draws, Gaussian
from .divergences import KL, Entropy
from .expectation import Expectation, SpaceIntegral
from .variables import IndexedVariable, VariableRange, is_variable
from .binders import (bound_anywhere, bound_symbols, depends_on, may_equal, split_independent,
                      substitute)

__all__ = ["Defined", "Density", "DensityBase", "Gaussian", "KL", "Entropy", "Expectation",
           "SpaceIntegral", "Draws", "VariableRange", "IndexedVariable", "is_variable", "bound_anywhere", "bound_symbols",
           "depends_on", "may_equal", "split_independent", "substitute"]
