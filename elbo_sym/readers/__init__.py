"""Readers of derivations where people write them: Markdown notes, LaTeX papers and the
Markdown cells of Jupyter notebooks.

``read_text``/``read_path`` give a ``Reading``: each display that is a chain as a
``Derivation`` of the same algebra the ``.deriv`` parser builds (the rows are translated to the
file language and parsed by that parser), the displays that declare a model, and the displays
skipped with their reason. ``check_reading`` checks the chains with the one checker and gives
``DerivationResult``s, so every printer works unchanged.

Imported only when a ``.md`` or ``.tex`` target is given: ``elbo-check derive`` never pays for it.
"""
from typing import TYPE_CHECKING, List, Optional, Union

from ..errors import InputError
from ..parser.reader import decode
from ..policy import (DEFAULT_EXPLAIN_BUDGET, DEFAULT_TIMEOUT, CheckPolicy, Numeric,
                      NumericLike)
from ..pipeline import NOTHING_CHECKED, Document, kind_of_path as _kind_of_path
from .document import Reading, read_document
from .scan import IPYNB, MD, TEX

if TYPE_CHECKING:
    from ..checker.chain import DerivationResult

__all__ = ["MD", "TEX", "IPYNB", "Reading", "read_text", "read_path", "check_reading",
           "summary_lines", "kind_of_path", "NOTHING_CHECKED"]


def read_text(text: Union[str, bytes, bytearray], filename: str, kind: str) -> Reading:
    """The Reading of a document's text (str, or bytes that must be UTF-8)."""
    if isinstance(text, (bytes, bytearray)):
        text = decode(bytes(text), filename)
    text = text.replace("\r\n", "\n")
    try:
        if kind == IPYNB:
            return _read_notebook(text, filename)
        return read_document(text, filename, kind)
    except RecursionError:
        raise InputError("expression nested too deep", 1, 1, filename) from None


def _read_notebook(text: str, filename: str) -> Reading:
    """A notebook's Markdown cells read as one Markdown note, at the notebook's lines."""
    from .notebook import markdown_of_notebook

    if text.startswith("\ufeff"):
        text = text[1:]
    markdown, positions = markdown_of_notebook(text, filename)
    return read_document(markdown, filename, MD, positions, text.split("\n"))


def kind_of_path(path: str, declared: Optional[str] = None) -> str:
    """``md``, ``tex`` or ``ipynb``: the kind of a document by ``pipeline.SUFFIXES`` (the one
    suffix table); a document of any other suffix is read as LaTeX."""
    kind = _kind_of_path(path, declared)
    return kind if kind in (MD, TEX, IPYNB) else TEX


def read_path(path: str, kind: Optional[str] = None) -> Reading:
    """The Reading of the document at ``path`` (read once, by ``pipeline.read_file``)."""
    from ..pipeline import read_file

    return read_text(read_file(str(path)), str(path), kind_of_path(str(path), kind))


def check_reading(reading: Reading, numeric: NumericLike = False, seed: int = 0,
                  timeout: Optional[float] = DEFAULT_TIMEOUT, explain: bool = True,
                  explain_budget: Optional[float] = DEFAULT_EXPLAIN_BUDGET, *,
                  policy: Optional[CheckPolicy] = None) -> List["DerivationResult"]:
    """A DerivationResult for each chain (``pipeline.check_document``): its readable segments
    checked as ``policy`` says (without one, the policy of the keyword arguments, as
    ``check_derivation`` takes them), the steps that touch an unreadable row ``unknown``."""
    from ..pipeline import check_document, document_of_reading

    if policy is None:
        policy = CheckPolicy(Numeric.of(numeric), seed, timeout, explain, explain_budget)
    return list(check_document(document_of_reading(reading), policy).results)


def _document(reading: Reading) -> Document:
    from ..pipeline import Source, document_of_reading

    return document_of_reading(reading, Source(reading.filename, TEX, None, reading.filename))


def summary_lines(reading: Reading) -> List[str]:
    """The report's last lines (``pipeline.Document.notes``)."""
    return _document(reading).notes()

