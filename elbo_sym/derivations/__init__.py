"""The built-in derivations, by name, in the paper's order."""
from .vae import DERIVATIONS

BUILTINS = {d.name: d for d in DERIVATIONS}

__all__ = ["BUILTINS", "DERIVATIONS"]
