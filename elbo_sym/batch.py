"""One load-and-check path for every command: a target (a built-in name or a derivation file)
becomes one report, as plain data, so that ``derive``, ``latex`` and ``check`` treat input
errors and internal errors alike, and worker processes (``--jobs N``) can hand reports back in
the order of the targets."""
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Tuple

from .errors import InputError

NOT_VERIFIED, INPUT_ERROR, INCONSISTENT = 1, 2, 3
_MESSAGE_LIMIT = 300  # an internal error's message is one line of at most this many characters


@dataclass(frozen=True)
class Options:
    strict: bool = False
    quiet: bool = False
    numeric: bool = True
    seed: int = 0
    timeout: Optional[float] = 10.0
    colour: bool = False
    text: bool = True            # build the human report
    json: bool = True            # build the JSON entry
    keep_results: bool = False   # keep the DerivationResults (in this process only: latex)
    source_format: Optional[str] = None   # --from: how to read standard input (deriv, md, tex)
    stdin_text: Optional[str] = None      # standard input, read once by the command
    judge_unverified: bool = False        # without --numeric, the numeric judge on the steps
                                          # not verified only (derive, latex: numpy only then)
    width: Optional[int] = None           # the terminal's columns: long report lines wrap
    explain: bool = True                  # suggestions under the steps not verified
    explain_budget: Optional[float] = 1.0 # seconds of that search per failing step (None: no limit)


@dataclass(frozen=True)
class TargetReport:
    target: str
    entry: Optional[dict]        # the target's entry of the JSON report (None unless asked for)
    text: str                    # the human report ("" for an error)
    error: str                   # the located input error or the internal error, or ""
    code: int                    # this target's exit code
    results: Tuple = ()          # the DerivationResults, when Options.keep_results
    records: Tuple = ()          # a StepRecord per step checked (printing.located): where it is


FileReport = TargetReport  # the name before built-ins were targets too


def exit_code(results, strict):
    if any(r.inconsistent for r in results):
        return INCONSISTENT
    return 0 if all(r.ok(strict) for r in results) else NOT_VERIFIED


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
    from .printing.report import format_derivation, json_file
    from .readers import check_reading, summary_json, summary_lines

    shown = STDIN_NAME if target == STDIN_TARGET else target
    try:
        reading = read(target, kind, options.stdin_text)
    except InputError as exc:
        located = exc.located(shown)
        entry = json_file(shown, error=located) if options.json else None
        return TargetReport(target, entry, "", str(located), INPUT_ERROR)
    results = tuple(check_reading(reading, numeric=options.numeric, seed=options.seed,
                                  timeout=options.timeout, explain=options.explain,
                                  explain_budget=options.explain_budget))
    text = ""
    if options.text:
        blocks = [f"{shown}: " + format_derivation(r, colour=options.colour, quiet=options.quiet,
                                                   strict=options.strict, width=options.width) for r in results]
        blocks.append("\n".join(summary_lines(reading)))
        text = "\n\n".join(blocks)
    entry = None
    if options.json:
        entry = json_file(shown, results, strict=options.strict)
        entry["displays"] = summary_json(reading)
    source = options.stdin_text if target == STDIN_TARGET else read_source(target)
    return TargetReport(target, entry, text, "", exit_code(results, options.strict),
                        results if options.keep_results else (),
                        step_records(shown, results, source, options.strict))


def _check(target, options):
    from .checker import check_derivation
    from .checker.chain import UNVERIFIED
    from .loading import FILE, STDIN, STDIN_NAME, UnknownTarget, document_kind, load, resolve
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
    numeric = options.numeric or (UNVERIFIED if options.judge_unverified else False)
    results = tuple(check_derivation(d, numeric=numeric, seed=options.seed,
                                     timeout=options.timeout, explain=options.explain,
                                     explain_budget=options.explain_budget) for d in derivations)
    text = ""
    if options.text:
        prefix = {FILE: f"{target}: ", STDIN: f"{STDIN_NAME}: "}.get(resolve(target), "")
        text = "\n\n".join(prefix + format_derivation(r, colour=options.colour, quiet=options.quiet,
                                                      strict=options.strict, width=options.width) for r in results)
    entry = json_file(target, results, strict=options.strict) if options.json else None
    kind = resolve(target)
    shown = {STDIN: STDIN_NAME}.get(kind, target)
    source = {STDIN: options.stdin_text, FILE: None}.get(kind)
    if kind == FILE:
        source = read_source(target)
    return TargetReport(target, entry, text, "", exit_code(results, options.strict),
                        results if options.keep_results else (),
                        step_records(shown, results, source, options.strict))


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
