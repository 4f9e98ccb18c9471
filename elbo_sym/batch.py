"""Checking many files: one file's whole report as plain data, so that worker processes
(``--jobs N``) can hand it back; the order of the files is kept."""
from dataclasses import dataclass
from typing import Optional

from .errors import InputError

NOT_VERIFIED, INPUT_ERROR, INCONSISTENT = 1, 2, 3


@dataclass(frozen=True)
class Options:
    strict: bool = False
    quiet: bool = False
    numeric: bool = True
    seed: int = 0
    timeout: Optional[float] = 10.0
    colour: bool = False


@dataclass(frozen=True)
class FileReport:
    entry: dict          # the file's entry of the JSON report
    text: str            # the human report ("" for an input error)
    error: str           # the located input error, or ""
    code: int            # this file's exit code


def exit_code(results, strict):
    if any(r.inconsistent for r in results):
        return INCONSISTENT
    return 0 if all(r.ok(strict) for r in results) else NOT_VERIFIED


def check_file(path, options):
    """Parse and check one file; never raises for bad input."""
    from .checker import check_derivation
    from .parser import parse_file
    from .printing.report import format_derivation, json_file

    try:
        derivations = parse_file(path)
    except InputError as exc:
        located = exc.located(path)
        return FileReport(json_file(path, error=located), "", str(located), INPUT_ERROR)
    try:
        results = [check_derivation(d, numeric=options.numeric, seed=options.seed,
                                    timeout=options.timeout) for d in derivations]
    except Exception as exc:  # a bug: say so plainly, never a traceback
        message = (f"{path}: internal error: {type(exc).__name__}: {exc} "
                   "(a bug in elbo-check; please report it with this file)")
        entry = {"file": path, "ok": False, "error": {"line": None, "column": None,
                                                      "message": message}, "derivations": []}
        return FileReport(entry, "", message, INCONSISTENT)
    text = "\n\n".join(f"{path}: " + format_derivation(r, colour=options.colour, quiet=options.quiet,
                                                       strict=options.strict) for r in results)
    return FileReport(json_file(path, results, strict=options.strict), text, "",
                      exit_code(results, options.strict))


def _check_one(args):
    return check_file(*args)


def check_files(paths, options, jobs=1):
    """FileReports in the order of ``paths``, computed by ``jobs`` processes."""
    if jobs <= 1 or len(paths) <= 1:
        for path in paths:
            yield check_file(path, options)
        return
    from concurrent.futures import ProcessPoolExecutor

    # the first file is checked here: it loads the parser, numpy and sympy's caches once,
    # before the workers are forked from this process
    yield check_file(paths[0], options)
    rest = [(p, options) for p in paths[1:]]
    chunk = max(1, min(16, len(rest) // (4 * jobs)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_check_one, rest, chunksize=chunk)
