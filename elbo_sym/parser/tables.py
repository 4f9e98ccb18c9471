"""Prebuilt LALR tables of the grammar, shipped with the package.

Computing the LALR tables of ``derivation.lark`` costs about 0.1 s, in every process. They are
computed once instead, by ``python -m elbo_sym.parser.tables`` (run it after editing the
grammar or changing lark's version), and saved next to the grammar as ``derivation.lark.tables``
(package data, in the wheel): lark's own ``Lark.save`` output after one header line, the key.

The key is a hash of the grammar's text, lark's version and the parser's options. A file whose
key is not the key of the grammar and lark in use is never unpickled: the tables are then built
as before (correct, just slower). That is what happens when lark's installed version is not the
one the file was made with (pyproject.toml asks for ``lark>=1.1``, not one version), or when the
grammar was edited without regenerating the file; ``tests/test_parser_tables.py`` fails in the
second case.

Lark's default ``cache=True`` is not used: it reads a pickle from the shared temporary directory,
which another user could plant. Here only the file inside the installed package is read, and it
is unpickled with an unpickler that refuses every global (the tables are plain lists, dicts,
tuples, strings and numbers), so even a tampered file cannot run code: it fails to load, and the
tables are built.
"""
import hashlib
import io
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping, Optional

from lark import Lark, __version__ as LARK_VERSION

FORMAT = "elbo-sym lark tables 1"


def tables_key(grammar: str, options: Mapping[str, Any]) -> str:
    """The key of the tables of ``grammar`` built by this lark with ``options``."""
    text = "\0".join((FORMAT, LARK_VERSION, repr(sorted(options.items())), grammar))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _DataOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain data only: any class or function named in the file is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"the tables name {module}.{name}: not plain data")


def load_parser(path: Path, key: str) -> Optional[Lark]:
    """The parser saved at ``path`` if its key is ``key``; None if the file is missing, was made
    for another grammar, lark or options, or cannot be read."""
    try:
        with open(path, "rb") as f:
            if f.readline().rstrip(b"\n") != key.encode("ascii"):
                return None
            data = _DataOnlyUnpickler(f).load()
        # Lark.load takes the unpickled dict as well as a file
        return Lark.load(data)
    except Exception:  # any unreadable file: the caller builds the tables instead
        return None


def build_parser(grammar: str, options: Mapping[str, Any]) -> Lark:
    """The parser of ``grammar``, its tables computed now."""
    return Lark(grammar, **options)


def parser_for(grammar: str, options: Mapping[str, Any], path: Path) -> Lark:
    """The parser of ``grammar``: its tables loaded from ``path`` when they are current, else
    built (never written: the installed package is not modified at run time)."""
    loaded = load_parser(path, tables_key(grammar, options))
    return loaded if loaded is not None else build_parser(grammar, options)


def write_tables(grammar: str, options: Mapping[str, Any], path: Path) -> None:
    """Build the tables of ``grammar`` and save them at ``path`` under their key (atomically)."""
    buffer = io.BytesIO()
    buffer.write(tables_key(grammar, options).encode("ascii") + b"\n")
    build_parser(grammar, options).save(buffer)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getvalue())
        os.chmod(tmp, 0o644)  # package data, readable by all (mkstemp makes it private)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main() -> int:
    """``python -m elbo_sym.parser.tables``: regenerate the shipped tables of the grammar."""
    from .reader import write_parser_tables
    path = write_parser_tables()
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
