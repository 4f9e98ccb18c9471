"""The built-in derivations, by name, in order: the VAE paper's chain first (``DEFAULT``, what
``elbo-check derive`` checks when no name is given), then the bounds of structured models
(hierarchical VAE, diffusion, IWAE, ELBO surgery, the KL chain rule).

``BUILTINS`` knows every name without building anything; a derivation is built the first time
its group is asked for, so ``elbo-check derive`` pays only for the VAE chain.
"""
from collections.abc import Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, Tuple

if TYPE_CHECKING:
    from ..derivation import Derivation

_GROUPS = (
    ("vae", ("elbo", "kl-nonneg", "gaussian-kl", "gaussian-kl-diagonal", "jensen-elbo")),
    ("structured", ("hvae", "ddpm", "iwae", "elbo-surgery", "kl-chain-rule")),
)
DEFAULT = _GROUPS[0][1]


class _Registry(Mapping):
    def __init__(self, groups: Iterable[Tuple[str, Tuple[str, ...]]]) -> None:
        self._module_of = {name: module for module, names in groups for name in names}
        self._loaded: Dict[str, "Derivation"] = {}

    def __getitem__(self, name: str) -> "Derivation":
        module = self._module_of[name]
        if name not in self._loaded:
            for d in import_module(f"{__name__}.{module}").DERIVATIONS:
                self._loaded[d.name] = d
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._module_of)

    def __len__(self) -> int:
        return len(self._module_of)

    def __contains__(self, name: object) -> bool:
        return name in self._module_of


BUILTINS = _Registry(_GROUPS)


def __getattr__(name: str) -> Any:
    if name == "DERIVATIONS":     # every built-in, built on first use
        return tuple(BUILTINS[n] for n in BUILTINS)
    raise AttributeError(name)


__all__ = ["BUILTINS", "DEFAULT", "DERIVATIONS"]
