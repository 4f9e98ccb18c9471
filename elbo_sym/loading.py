"""Where derivations come from: a built-in name or a derivation file. The parser is imported
only when a file is named, so ``elbo-check derive`` never pays for it."""
import os

from .derivations import BUILTINS

BUILTIN, FILE, STDIN = "built-in", "file", "standard input"
STDIN_TARGET = "-"
STDIN_NAME = "<stdin>"
DOCUMENT_SUFFIXES = {".md": "md", ".markdown": "md", ".tex": "tex", ".latex": "tex"}
FORMATS = ("deriv", "md", "tex")


class UnknownTarget(LookupError):
    """Neither a built-in name nor an existing file: a usage error, not an input error."""


def resolve(target: str) -> str:
    """``BUILTIN`` or ``FILE``: what ``target`` names. A built-in name wins over a file of the
    same name (write ``./elbo`` for the file). Raises UnknownTarget for anything else, naming
    the built-ins, so that a typo is told apart from a file that does not parse."""
    if target == STDIN_TARGET:
        return STDIN
    if target in BUILTINS:
        return BUILTIN
    if os.path.isdir(target):
        raise UnknownTarget(f"{target!r} is a directory, not a derivation file; "
                            f"built-ins: {', '.join(BUILTINS)}")
    if os.path.exists(target):
        return FILE
    raise UnknownTarget(f"no built-in derivation or file named {target!r}; "
                        f"built-ins: {', '.join(BUILTINS)}")


def document_kind(target: str, source_format=None):
    """``'md'`` or ``'tex'`` when ``target`` is a Markdown or LaTeX document (by its suffix,
    or by ``--from`` for standard input), else None (a built-in or a .deriv file)."""
    if target == STDIN_TARGET:
        return source_format if source_format in ("md", "tex") else None
    if target in BUILTINS:
        return None
    return DOCUMENT_SUFFIXES.get(os.path.splitext(target)[1].lower())


def load(target: str, stdin_text=None):
    """The derivations of ``target``: a built-in name, the path of a derivation file, or
    ``-`` (``stdin_text``, a .deriv text). Raises InputError for a bad file and UnknownTarget
    for anything else."""
    kind = resolve(target)
    if kind == BUILTIN:
        return [BUILTINS[target]]
    from .parser import parse_file, parse_text

    if kind == STDIN:
        return parse_text(stdin_text or "", filename=STDIN_NAME)
    return parse_file(target)


def read(target: str, kind: str, stdin_text=None):
    """The ``Reading`` of a Markdown or LaTeX document (a path, or ``-`` with ``stdin_text``).
    The readers are imported here only: ``derive`` never pays for them."""
    from .readers import read_path, read_text

    if target == STDIN_TARGET:
        return read_text(stdin_text or "", STDIN_NAME, kind)
    return read_path(target, kind)
