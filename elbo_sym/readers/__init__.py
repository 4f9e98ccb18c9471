"""Readers of derivations where people write them: Markdown notes and LaTeX papers.

``read_text``/``read_path`` give a ``Reading``: each display that is a chain as a
``Derivation`` of the same algebra the ``.deriv`` parser builds (the rows are translated to the
file language and parsed by that parser), the displays that declare a model, and the displays
skipped with their reason. ``check_reading`` checks the chains with the one checker and gives
``DerivationResult``s, so every printer works unchanged.

Imported only when a ``.md`` or ``.tex`` target is given: ``elbo-check derive`` never pays for it.
"""
from typing import List, Optional

from ..errors import InputError
from ..parser.reader import decode
from ..policy import (DEFAULT_EXPLAIN_BUDGET, DEFAULT_TIMEOUT, CheckPolicy, Numeric,
                      NumericLike)
from .document import (DeclaredBlock, Reading, SkippedBlock, kind_of_path,
                       read_document)
from .scan import MD, TEX

__all__ = ["MD", "TEX", "Reading", "read_text", "read_path", "check_reading",
           "skipped_chains", "summary_lines", "summary_json", "kind_of_path"]


def read_text(text, filename: str, kind: str) -> Reading:
    """The Reading of a document's text (str, or bytes that must be UTF-8)."""
    if isinstance(text, (bytes, bytearray)):
        text = decode(bytes(text), filename)
    text = text.replace("\r\n", "\n")
    try:
        return read_document(text, filename, kind)
    except RecursionError:
        raise InputError("expression nested too deep", 1, 1, filename) from None


def read_path(path: str, kind: Optional[str] = None) -> Reading:
    from pathlib import Path

    from .document import MAX_DOCUMENT_CHARS

    try:
        p = Path(path)
        if p.stat().st_size > 4 * MAX_DOCUMENT_CHARS:
            raise InputError(f"file too large (over {MAX_DOCUMENT_CHARS} characters)", 1, 1,
                             str(path))
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", None, None,
                         str(path)) from None
    return read_text(data, str(path), kind_of_path(str(path), kind))


def check_reading(reading: Reading, numeric: NumericLike = False, seed: int = 0,
                  timeout: Optional[float] = DEFAULT_TIMEOUT, explain: bool = True,
                  explain_budget: Optional[float] = DEFAULT_EXPLAIN_BUDGET, *,
                  policy: Optional[CheckPolicy] = None) -> List:
    """A DerivationResult for each chain: its readable segments checked as ``policy`` says
    (without one, the policy of the keyword arguments, as ``check_derivation`` takes them),
    the steps that touch an unreadable row ``unknown`` with the reason."""
    from ..checker import UNKNOWN, check_derivation
    from ..checker.chain import DerivationResult
    from ..checker.step import StepResult

    if policy is None:
        policy = CheckPolicy(Numeric.of(numeric), seed, timeout, explain, explain_budget)
    results = []
    for block in reading.chains:
        by_step = {}
        conditions = []
        for derivation, indices in block.segments:
            checked = check_derivation(derivation, policy=policy)
            for index, result in zip(indices, checked.steps):
                by_step[index] = result
            conditions += [c for c in checked.conditions if c not in conditions]
        steps = []
        for index, step in enumerate(block.derivation.steps):
            result = by_step.get(index)
            if result is None:
                result = StepResult(UNKNOWN, tuple(step.rules),
                                    reason=block.unread.get(index, "not read"))
            steps.append(result)
        results.append(DerivationResult(block.derivation, tuple(steps), tuple(conditions)))
    return results


NOTHING_CHECKED = "no step checked: no display was read as a chain (nothing is verified)"


def skipped_chains(reading: Reading) -> List[SkippedBlock]:
    """The skipped displays that look like a chain (they hold a relation): never silent, they
    are reported in every format and fail under --strict."""
    return [b for b in reading.blocks if isinstance(b, SkippedBlock) and b.has_relation]


def summary_lines(reading: Reading) -> List[str]:
    """The report's last lines: how many displays were checked, declared and skipped, and
    that nothing was checked when no display was read as a chain."""
    f = reading.filename
    checked = len({b.display for b in reading.chains})
    declared = [b for b in reading.blocks if isinstance(b, DeclaredBlock)]
    skipped = [b for b in reading.blocks if isinstance(b, SkippedBlock)]
    lines = [f"{f}: {checked} display{'s' * (checked != 1)} checked, {len(declared)} declared, "
             f"{len(skipped)} skipped"]
    for b in declared:
        lines.append(f"  declared {f}:{b.line}: {b.text}")
    for b in skipped:
        where = f"{f}:{b.line}" + (f":{b.column}" if b.column else "")
        lines.append(f"  skipped {where}: {b.reason}")
    if not checked:
        lines.append(f"{f}: {NOTHING_CHECKED}")
    return lines


def summary_json(reading: Reading) -> dict:
    """The ``"displays"`` of a document's JSON entry (and of the MCP result)."""
    return {"checked": len({b.display for b in reading.chains}),
            "declared": [{"line": b.line, "text": b.text} for b in reading.blocks
                         if isinstance(b, DeclaredBlock)],
            "skipped": [{"line": b.line, "column": b.column, "reason": b.reason,
                         "has_relation": b.has_relation}
                        for b in reading.blocks if isinstance(b, SkippedBlock)]}
