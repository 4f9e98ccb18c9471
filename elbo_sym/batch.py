"""The command line's use of the pipeline (``elbo_sym.pipeline``: Source -> Document -> check
-> Report): a target (a built-in name, a derivation file or ``-``) becomes one report, as
plain data, so that ``derive``, ``latex`` and ``check`` treat input errors and internal errors
alike, and worker processes (``--jobs N``) can hand reports back in
the order of the targets."""
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Optional, Tuple

from .errors import InputError
from .pipeline import BUILTIN
from .policy import CHECK, CheckPolicy
from .report_model import DocumentReport, SkippedDisplay

if TYPE_CHECKING:  # pragma: no cover - for the annotations only
    from concurrent.futures import Future
    from multiprocessing.context import BaseContext

    from .pipeline import CheckedDocument

INPUT_ERROR, INCONSISTENT = 2, 3
_MESSAGE_LIMIT = 300  # an internal error's message is one line of at most this many characters


@dataclass(frozen=True)
class Options:
    policy: CheckPolicy = CHECK  # how each step is judged, and what passes (strict)
    quiet: bool = False
    colour: bool = False
    text: bool = True            # build the human report
    json: bool = True            # build the JSON entry
    keep_results: bool = False   # keep the DerivationResults (in this process only)
    source_format: Optional[str] = None   # --from: how to read standard input (deriv, md, tex)
    stdin_text: Optional[str] = None      # standard input, read once by the command
    width: Optional[int] = None           # the terminal's columns: long report lines wrap

    @property
    def strict(self) -> bool:
        return self.policy.strict


@dataclass(frozen=True)
class TargetReport:
    target: str
    entry: Optional[Dict[str, Any]]  # its entry of the JSON report (None unless asked for)
    text: str                    # the human report ("" for an error)
    error: str                   # the located input error or the internal error, or ""
    code: int                    # this target's exit code
    results: Tuple = ()          # the DerivationResults, when Options.keep_results
    records: Tuple = ()          # a StepReport per step checked (report_model): where it is
    skipped: Tuple[SkippedDisplay, ...] = ()  # the displays that look like a chain, not read
    notes: Tuple[str, ...] = ()  # a document's last lines: its displays checked, declared, skipped
    report: Optional[DocumentReport] = None   # the report model, built once

    @property
    def checked_nothing(self) -> bool:
        """Read without an error, yet no step checked: a failure, never a silent success."""
        return not self.error and not self.records


FileReport = TargetReport  # the name before built-ins were targets too


def _internal_error(target: str, exc: BaseException) -> str:
    """One line that says what broke, never a traceback: a bug in elbo-check, not the input."""
    from .pipeline import UnknownTarget, resolve

    try:
        builtin = resolve(target) == BUILTIN
    except UnknownTarget:
        builtin = False
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())
    if len(detail) > _MESSAGE_LIMIT:
        detail = detail[:_MESSAGE_LIMIT - 3] + "..."
    what = "the command" if builtin else "this file"
    return (f"{target}: internal error: {detail} "
            f"(a bug in elbo-check; please report it with {what})")


def _failed(target: str, report: DocumentReport, message: str, code: int,
            options: Options) -> "TargetReport":
    """The TargetReport of a target that was not checked."""
    entry = report.to_json() if options.json else None
    return TargetReport(target, entry, "", message, code, report=report)


def _text(checked: "CheckedDocument", report: DocumentReport, options: Options) -> str:
    """The human report of a checked document, from its report (``printing.report``)."""
    from .printing.report import document_text

    source = checked.document.source
    prefix = "" if source.kind == BUILTIN else f"{source.name}: "
    return document_text(report, prefix, options.colour, options.quiet, options.width)


def _check(target: str, options: Options) -> "TargetReport":
    """Source -> Document -> check -> Report (``elbo_sym.pipeline``), as a TargetReport."""
    from .pipeline import STDIN_NAME, STDIN_TARGET, UnknownTarget, check_document, \
        read_document, source_of
    from .report_model import build_report, error_report, failure_report

    shown = STDIN_NAME if target == STDIN_TARGET else target
    try:
        document = read_document(source_of(target, options.source_format, options.stdin_text))
    except InputError as exc:
        located = exc.located(shown)
        return _failed(target, error_report(shown, located), str(located), INPUT_ERROR, options)
    except UnknownTarget as exc:  # the command checks targets first; a file may vanish since
        message = f"{target}: error: {exc}"
        return _failed(target, failure_report(target, str(exc), message), message,
                       INPUT_ERROR, options)
    checked = check_document(document, options.policy)
    report = build_report(checked, source_syntax=options.json)
    return TargetReport(target, report.to_json() if options.json else None,
                        _text(checked, report, options) if options.text else "", "",
                        checked.exit_code,
                        checked.results if options.keep_results else (), report.steps,
                        report.skipped, report.notes, report)


def check_target(target: str, options: Options) -> TargetReport:
    """Load ``target`` (a built-in name or a file), check every derivation in it and report.
    Never raises for bad input (an input error is a report with code 2) nor for a bug (an
    unexpected exception is a report with code 3 and a one-line message)."""
    try:
        return _check(target, options)
    except Exception as exc:  # a bug: say so plainly, never a traceback
        from .report_model import failure_report

        message = _internal_error(target, exc)
        return _failed(target, failure_report(target, message), message, INCONSISTENT, options)


def check_file(path: str, options: Options) -> TargetReport:
    """The report of one file (or built-in name): ``check_target``."""
    return check_target(path, options)


def check_targets(targets: Iterable[str], options: Options, jobs: int = 1) -> Iterator[TargetReport]:
    """TargetReports in the order of ``targets``, computed by ``jobs`` processes: this one and
    ``jobs - 1`` workers (results are kept only in this process: with ``keep_results``
    everything is checked here)."""
    targets = list(targets)
    if jobs <= 1 or len(targets) <= 1 or options.keep_results:
        for target in targets:
            yield check_target(target, options)
        return
    # the first target is checked here: it loads the parser, numpy and sympy's caches once,
    # before the workers are forked from this process (they start warm, as this one is)
    yield check_target(targets[0], options)
    yield from _shared(targets[1:], options, jobs - 1)


def _shared(targets: List[str], options: Options, workers: int) -> Iterator[TargetReport]:
    """The reports of ``targets`` in their order, checked by ``workers`` forked processes and
    by this one, which checks whichever target no worker has taken yet while the next report
    is not ready: this process's warm caches do a share of the work (with ``--jobs 2`` one
    worker, not two, pays for warming its own caches)."""
    import gc
    from concurrent.futures import ProcessPoolExecutor

    here: Dict[int, TargetReport] = {}
    gc.freeze()   # the workers' collections leave the parent's objects (and their pages) alone
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_fork_context()) as pool:
            futures = [pool.submit(check_target, t, options) for t in targets]
            ahead = 0  # the executor hands targets to the workers in order: claim from here on
            for i, future in enumerate(futures):
                while i not in here and not future.done():
                    ahead = max(ahead, i)
                    while ahead < len(futures) and (ahead in here or not futures[ahead].cancel()):
                        ahead += 1
                    if ahead == len(futures):
                        break      # every target left is taken: wait for this one
                    here[ahead] = check_target(targets[ahead], options)
                yield here.pop(i) if i in here else _result(future, targets[i], options)
    finally:
        gc.unfreeze()


def _result(future: "Future[TargetReport]", target: str, options: Options) -> TargetReport:
    """A worker's report; when the worker died (killed, out of memory), checked here."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool:
        return check_target(target, options)


def _fork_context() -> Optional["BaseContext"]:
    """Workers forked from this process where forking is safe (Linux and other POSIX systems,
    not macOS, whose system libraries may not survive a fork): they share its imports and
    warm caches instead of importing everything again; elsewhere the platform's default."""
    import multiprocessing

    if sys.platform == "darwin" or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


def check_files(paths: Iterable[str], options: Options,
                jobs: int = 1) -> Iterator["TargetReport"]:
    """``check_targets`` under its former name."""
    return check_targets(paths, options, jobs)
