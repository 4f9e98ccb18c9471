"""Where derivations come from: a built-in name or a derivation file. The parser is imported
only when a file is named, so ``elbo-check derive`` never pays for it."""
import os

from .derivations import BUILTINS

BUILTIN, FILE = "built-in", "file"


class UnknownTarget(LookupError):
    """Neither a built-in name nor an existing file: a usage error, not an input error."""


def resolve(target: str) -> str:
    """``BUILTIN`` or ``FILE``: what ``target`` names. A built-in name wins over a file of the
    same name (write ``./elbo`` for the file). Raises UnknownTarget for anything else, naming
    the built-ins, so that a typo is told apart from a file that does not parse."""
    if target in BUILTINS:
        return BUILTIN
    if os.path.isdir(target):
        raise UnknownTarget(f"{target!r} is a directory, not a derivation file; "
                            f"built-ins: {', '.join(BUILTINS)}")
    if os.path.exists(target):
        return FILE
    raise UnknownTarget(f"no built-in derivation or file named {target!r}; "
                        f"built-ins: {', '.join(BUILTINS)}")


def load(target: str):
    """The derivations of ``target``: a built-in name or the path of a derivation file.
    Raises InputError for a bad file and UnknownTarget for anything else."""
    if resolve(target) == BUILTIN:
        return [BUILTINS[target]]
    from .parser import parse_file

    return parse_file(target)
