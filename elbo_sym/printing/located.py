"""Where each step is written, as plain data: the lines a compiler would print.

A ``StepRecord`` is one checked step reduced to what a located message needs (file, line,
column, verdict, words); the report model's ``StepReport`` has the same fields and is printed
by the same functions. Records are made where the step is checked, in the worker process
of ``--jobs N`` too, and are cheap to send back; the ``text`` format prints
``FILE:LINE:COL: refuted: ...`` for each step that is not verified (as mypy and compilers
print, so an editor jumps there), the ``github`` format ``::error file=F,line=L,col=C::...``
(a pull request shows it on the line), and every run ends with one summary line.
"""
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..relations import REFUTED, UNKNOWN, VERIFIED, VERDICTS
from .escape import github_data, github_property, terminal_text


@dataclass(frozen=True)
class StepRecord:
    file: str                    # the file as named on the command line (or the built-in name)
    derivation: str
    index: int                   # 1-based position of the step in its chain
    line: Optional[int]
    column: Optional[int]
    verdict: str
    message: str                 # why it is not verified (or the citation warning), one line
    reason: str                  # its first part only: the reason, without residual and values
    failed: bool                 # counts against the exit status (not verified, or --strict)


def step_records(file: str, results: Iterable, source: Optional[str] = None,
                 strict: bool = False) -> Tuple[Any, ...]:
    """The located facts of every step of ``results`` (DerivationResults), as the report model
    holds them (``report_model.StepReport``: a StepRecord and more); ``source`` is the text the
    steps were read from, for their columns."""
    from ..report_model import results_report

    return results_report(file, list(results), source, strict, source_syntax=False).steps


def _where(record: Any) -> str:
    return ":".join(str(p) for p in (record.file, record.line, record.column) if p is not None)


def _label(record: Any) -> str:
    """``refuted`` / ``unknown``; a verified step that fails only under --strict is an
    ``error`` about its citation."""
    return record.verdict if record.verdict != VERIFIED else "error"


def located_line(record: Any, short: bool = False) -> str:
    """``swapped.deriv:5:3: refuted: swapped, step 2: the two sides differ ...`` (``short``,
    for --quiet: where and what only, ``swapped.deriv:5:3: refuted: swapped, step 2``)."""
    what = f"{record.derivation}, step {record.index}"
    message = f": {record.message}" if record.message and not short else ""
    return terminal_text(f"{_where(record)}: {_label(record)}: {what}{message}", one_line=True)


def located_lines(records: Iterable[Any], short: bool = False) -> List[str]:
    """A located line for each step that fails (not verified, or short of a rule under
    --strict). Never wrapped: editors and CI read them as FILE:LINE:COL."""
    return [located_line(r, short) for r in records if r.failed]


_escape_data, _escape_property = github_data, github_property  # their former names


def github_line(record: Any) -> str:
    """A GitHub Actions workflow command: the step's problem shown where it is written."""
    props = [f"file={github_property(record.file)}"]
    if record.line is not None:
        props.append(f"line={record.line}")
    if record.column is not None:
        props.append(f"col={record.column}")
    props.append("title=" + github_property(f"elbo-check: {_label(record)}"))
    text = f"{record.derivation}, step {record.index}: {record.message or _label(record)}"
    return f"::error {','.join(props)}::{github_data(text)}"


def github_error(file: str, line: Optional[int], column: Optional[int], message: str) -> str:
    """An input error (or an internal one) as a workflow command."""
    props = [f"file={github_property(file)}"]
    if line is not None:
        props.append(f"line={line}")
    if column is not None:
        props.append(f"col={column}")
    props.append("title=" + github_property("elbo-check: error"))
    return f"::error {','.join(props)}::{github_data(message)}"


def tally(records: Iterable[Any]) -> Dict[str, int]:
    counts = {v: 0 for v in VERDICTS}
    for r in records:
        counts[r.verdict] += 1
    return counts


def summary_line(records: Sequence[Any], errors: int = 0) -> str:
    """One line for the whole run: ``elbo-check: 1 step not verified (1 refuted) in 1 of 2
    derivations; 9 steps checked: 8 verified, 1 refuted, 0 unknown`` (``every step verified
    in 2 derivations; ...`` when nothing failed), and the input errors, if any."""
    counts = tally(records)
    failing = [r for r in records if r.failed]
    derivations = len({(r.file, r.derivation) for r in records})
    failing_derivations = len({(r.file, r.derivation) for r in failing})
    noun = "derivation" if derivations == 1 else "derivations"
    steps = len(records)
    checked = f"{steps} step{'s' * (steps != 1)} checked: " + ", ".join(
        f"{counts[v]} {v}" for v in (VERIFIED, REFUTED, UNKNOWN))
    parts = []
    if failing:
        kinds = ", ".join(f"{n} {v if v != VERIFIED else 'short of a rule'}"
                          for v, n in tally(failing).items() if n)
        parts.append(f"{len(failing)} step{'s' * (len(failing) != 1)} not verified ({kinds}) "
                     f"in {failing_derivations} of {derivations} {noun}")
    if errors:
        parts.append(f"{errors} file{'s' * (errors != 1)} with an error")
    if not parts:
        parts.append(f"every step verified in {derivations} {noun}")
    return "elbo-check: " + "; ".join(parts) + "; " + checked
