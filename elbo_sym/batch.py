"""One load-and-check path for every command: a target (a built-in name or a derivation file)
becomes one report, as plain data, so that ``derive``, ``latex`` and ``check`` treat input
errors and internal errors alike, and worker processes (``--jobs N``) can hand reports back in
the order of the targets."""
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Tuple

from .errors import InputError
from .policy import CHECK, CheckPolicy

NOT_VERIFIED, INPUT_ERROR, INCONSISTENT = 1, 2, 3
_MESSAGE_LIMIT = 300  # an internal error's message is one line of at most this many characters


@dataclass(frozen=True)
class Options:
    policy: CheckPolicy = CHECK  # how each step is judged, and what passes (strict)
    quiet: bool = False
    colour: bool = False
    text: bool = True            # build the human report
    json: bool = True            # build the JSON entry
    keep_results: bool = False   # keep the DerivationResults (in this process only: latex)
    source_format: Optional[str] = None   # --from: how to read standard input (deriv, md, tex)
    stdin_text: Optional[str] = None      # standard input, read once by the command
    width: Optional[int] = None           # the terminal's columns: long report lines wrap

    @property
    def strict(self) -> bool:
        return self.policy.strict


@dataclass(frozen=True)
class SkippedDisplay:
    """A display that looks like a chain (it holds a relation) and was not read: where it is
    and why, reported in every format (a warning on GitHub), a failure under --strict."""
    file: str
    line: Optional[int]
    column: Optional[int]
    reason: str


@dataclass(frozen=True)
class TargetReport:
    target: str
    entry: Optional[dict]        # the target's entry of the JSON report (None unless asked for)
    text: str                    # the human report ("" for an error)
    error: str                   # the located input error or the internal error, or ""
    code: int                    # this target's exit code
    results: Tuple = ()          # the DerivationResults, when Options.keep_results
    records: Tuple = ()          # a StepRecord per step checked (printing.located): where it is
    skipped: Tuple[SkippedDisplay, ...] = ()  # the displays that look like a chain, not read
    notes: Tuple[str, ...] = ()  # a document's last lines: its displays checked, declared, skipped

    @property
    def checked_nothing(self) -> bool:
        """Read without an error, yet no step checked: a failure, never a silent success."""
        return not self.error and not self.records


FileReport = TargetReport  # the name before built-ins were targets too


def exit_code(results, policy: CheckPolicy, skipped: int = 0) -> int:
    """0 when ``policy`` passes the results (see ``CheckPolicy.passes``), 1 when not, 3 when
    the judges disagree."""
    results = list(results)
    if any(r.inconsistent for r in results):
        return INCONSISTENT
    return 0 if policy.passes(results, skipped) else NOT_VERIFIED


def _entry(shown, results, policy, skipped=0):
    """The JSON entry of a checked file, its ``ok`` the policy's verdict."""
    from .printing.report import json_file

    entry = json_file(shown, results, strict=policy.strict)
    entry["ok"] = policy.passes(results, skipped)
    return entry


def _error_entry(target, line, column, message):
    return {"file": target, "ok": False,
            "error": {"line": line, "column": column, "message": message}, "derivations": []}


def _internal_error(target, exc):
    """One line that says what broke, never a traceback: a bug in elbo-check, not the input."""
    from .loading import BUILTIN, UnknownTarget, resolve

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


def _check_document(target, kind, options):
    """A Markdown or LaTeX document: its chains checked, its declared and skipped displays
    counted at the end of the report (and under "displays" in the JSON entry)."""
    from .loading import STDIN_NAME, STDIN_TARGET, read
    from .printing.located import read_source, step_records
    from .printing.escape import terminal_text
    from .printing.report import format_derivation, json_file
    from .readers import check_reading, skipped_chains, summary_json, summary_lines

    policy = options.policy
    shown = STDIN_NAME if target == STDIN_TARGET else target
    try:
        reading = read(target, kind, options.stdin_text)
    except InputError as exc:
        located = exc.located(shown)
        entry = json_file(shown, error=located) if options.json else None
        return TargetReport(target, entry, "", str(located), INPUT_ERROR)
    results = tuple(check_reading(reading, policy=policy))
    skipped = tuple(SkippedDisplay(shown, b.line, b.column, b.reason)
                    for b in skipped_chains(reading))
    notes = tuple(summary_lines(reading))
    text = ""
    if options.text:
        head = terminal_text(f"{shown}: ", one_line=True)
        blocks = [head + format_derivation(r, colour=options.colour, quiet=options.quiet,
                                           strict=policy.strict, width=options.width)
                  for r in results]
        blocks.append(terminal_text("\n".join(notes)))
        text = "\n\n".join(blocks)
    entry = None
    if options.json:
        entry = _entry(shown, results, policy, len(skipped))
        entry["displays"] = summary_json(reading)
    source = options.stdin_text if target == STDIN_TARGET else read_source(target)
    return TargetReport(target, entry, text, "", exit_code(results, policy, len(skipped)),
                        results if options.keep_results else (),
                        step_records(shown, results, source, policy.strict), skipped, notes)


def _check(target, options):
    from .checker import check_derivation
    from .loading import FILE, STDIN, STDIN_NAME, UnknownTarget, document_kind, load, resolve
    from .printing.escape import terminal_text
    from .printing.located import read_source, step_records
    from .printing.report import format_derivation, json_file

    kind = document_kind(target, options.source_format)
    if kind is not None:
        return _check_document(target, kind, options)
    try:
        derivations = load(target, options.stdin_text)
    except InputError as exc:
        located = exc.located(STDIN_NAME if target == "-" else target)
        entry = json_file(located.filename, error=located) if options.json else None
        return TargetReport(target, entry, "", str(located), INPUT_ERROR)
    except UnknownTarget as exc:  # the command checks targets first; a file may vanish since
        entry = _error_entry(target, None, None, str(exc)) if options.json else None
        return TargetReport(target, entry, "", f"{target}: error: {exc}", INPUT_ERROR)
    policy = options.policy
    results = tuple(check_derivation(d, policy=policy) for d in derivations)
    text = ""
    if options.text:
        prefix = {FILE: terminal_text(f"{target}: ", one_line=True),
                  STDIN: f"{STDIN_NAME}: "}.get(resolve(target), "")
        text = "\n\n".join(prefix + format_derivation(r, colour=options.colour, quiet=options.quiet,
                                                      strict=policy.strict, width=options.width) for r in results)
    entry = _entry(target, results, policy) if options.json else None
    kind = resolve(target)
    shown = {STDIN: STDIN_NAME}.get(kind, target)
    source = {STDIN: options.stdin_text, FILE: None}.get(kind)
    if kind == FILE:
        source = read_source(target)
    return TargetReport(target, entry, text, "", exit_code(results, policy),
                        results if options.keep_results else (),
                        step_records(shown, results, source, policy.strict))


def check_target(target: str, options: Options) -> TargetReport:
    """Load ``target`` (a built-in name or a file), check every derivation in it and report.
    Never raises for bad input (an input error is a report with code 2) nor for a bug (an
    unexpected exception is a report with code 3 and a one-line message)."""
    try:
        return _check(target, options)
    except Exception as exc:  # a bug: say so plainly, never a traceback
        message = _internal_error(target, exc)
        entry = _error_entry(target, None, None, message) if options.json else None
        return TargetReport(target, entry, "", message, INCONSISTENT)


def check_file(path: str, options: Options) -> TargetReport:
    """The report of one file (or built-in name): ``check_target``."""
    return check_target(path, options)


def _check_one(args):
    return check_target(*args)


def check_targets(targets: Iterable[str], options: Options, jobs: int = 1) -> Iterator[TargetReport]:
    """TargetReports in the order of ``targets``, computed by ``jobs`` processes (results are
    kept only in this process: with ``keep_results`` everything is checked here)."""
    targets = list(targets)
    if jobs <= 1 or len(targets) <= 1 or options.keep_results:
        for target in targets:
            yield check_target(target, options)
        return
    from concurrent.futures import ProcessPoolExecutor

    # the first target is checked here: it loads the parser, numpy and sympy's caches once,
    # before the workers are forked from this process
    yield check_target(targets[0], options)
    rest = [(t, options) for t in targets[1:]]
    chunk = max(1, min(16, len(rest) // (4 * jobs)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_check_one, rest, chunksize=chunk)


def check_files(paths, options, jobs=1):
    """``check_targets`` under its former name."""
    return check_targets(paths, options, jobs)
