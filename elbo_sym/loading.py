"""Where derivations come from: a built-in name or a derivation file. The parser is imported
only when a file is named, so ``elbo-check derive`` never pays for it."""
import os

from .derivations import BUILTINS


class UnknownTarget(LookupError):
    """Neither a built-in name nor a readable file."""


def is_file_target(target):
    return target not in BUILTINS and (os.path.exists(target) or target.endswith(".deriv"))


def load(target):
    """The derivations of ``target``: a built-in name or the path of a ``.deriv`` file.
    Raises InputError for a bad file and UnknownTarget for anything else."""
    if target in BUILTINS:
        return [BUILTINS[target]]
    if not is_file_target(target):
        raise UnknownTarget(f"no built-in derivation or file named {target!r}; "
                            f"built-ins: {', '.join(BUILTINS)}")
    from .parser import parse_file

    return parse_file(target)
