"""The ``elbo-check`` command: a thin click layer over ``elbo_sym``.

Exit codes: 0 every step verified; 1 some step not verified; 2 bad usage or an input error;
3 an internal inconsistency (the symbolic and numeric judges disagree: a bug in elbo-check).
"""
import os
import sys
from typing import (TYPE_CHECKING, Any, Callable, IO, List, Optional, Sequence, Tuple,
                    TypeVar)

import click

from elbo_sym import __version__

if TYPE_CHECKING:  # pragma: no cover - for the annotations only
    from elbo_sym.batch import Options, TargetReport
    from elbo_sym.policy import CheckPolicy
    from elbo_sym.report_model import DocumentReport

F = TypeVar("F", bound=Callable[..., Any])   # a command function, decorated with its options

EXAMPLES = """
\b
Examples:
  elbo-check derive                     the ELBO of the VAE paper, every step checked
  elbo-check derive elbo gaussian-kl    only these built-ins
  elbo-check latex > proof.tex          a LaTeX document (pdflatex proof.tex)
  elbo-check check my-bound.deriv       check your own derivation file
  elbo-check check --json a.deriv b.deriv
  elbo-check check notes.md paper.tex   the display math of Markdown and LaTeX
  elbo-check check - --from md < notes.md
  elbo-check check derivations/         every .deriv, .md and .tex file inside
  elbo-check check --format github a.deriv      annotations on a pull request
  elbo-check check --format html -o report.html a.deriv
  python -m elbo_sym derive             the same command, run as a module
"""

RECURSION_LIMIT = 6000  # expressions may nest 200 brackets; sympy recurses several frames a level
# The command is a short-lived process that allocates many objects and frees few cycles: the
# cyclic collector runs after this many allocations (Python's default, 700, makes it rescan
# sympy's import over and over). mypy's command does the same; the library leaves it alone.
GC_THRESHOLDS = (100_000, 20, 20)


FORMATS = ("text", "json", "github", "markdown", "html")


def colour_wanted(choice: str = "auto", stream: Optional[IO[str]] = None) -> bool:
    """Whether to colour the report: ``--color always|never`` decides; under ``auto`` a
    non-empty ``NO_COLOR`` turns colour off, a non-empty ``FORCE_COLOR`` on (no-color.org,
    force-color.org: an empty value counts as unset), else colour only on a terminal."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return bool(hasattr(stream, "isatty") and stream.isatty())


def _colour(enabled: bool = True, choice: str = "auto") -> bool:
    return enabled and colour_wanted(choice)


def terminal_width() -> Optional[int]:
    """The terminal's columns when the report goes to a terminal (or ``COLUMNS`` is set), so
    long lines wrap to fit; None when it goes to a file or a pipe (lines stay whole)."""
    import shutil

    if "COLUMNS" in os.environ or (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()):
        return max(40, shutil.get_terminal_size().columns)
    return None


def colour_option(f: F) -> F:
    return click.option("--color", "--colour", "color", type=click.Choice(["auto", "always", "never"]),
                        default="auto", show_default=True,
                        help="Colour the verdicts: on a terminal (auto; NO_COLOR turns it off, "
                             "FORCE_COLOR on), always, or never.")(f)


def format_option(f: F) -> F:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                        show_default=True,
                        help="text: the report, a FILE:LINE:COL line for each step not verified "
                             "and a summary line; json: one JSON document; github: workflow "
                             "annotations (::error file=...); markdown: math for GitHub and "
                             "KaTeX; html: one self-contained page.")(f)


def output_option(f: F) -> F:
    return click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                        help="Write the report to FILE instead of standard output.")(f)


def numeric_options(default: Optional[bool]) -> Callable[[F], F]:
    """--numeric/--no-numeric and --seed, shared by the commands that check."""
    def decorate(f: F) -> F:
        f = click.option("--seed", type=int, default=0, show_default=True,
                         help="Seed of the numeric judge's random instances.")(f)
        return click.option("--numeric/--no-numeric", default=default, show_default=True,
                            help="Run the numeric judge behind every step: random Gaussian "
                                 "instances that refute wrong steps with a counterexample.")(f)
    return decorate


def explain_options(f: F) -> F:
    """--explain/--no-explain and --explain-budget, shared by the commands that check."""
    f = click.option("--explain-budget", type=click.FloatRange(min=0), default=1.0,
                     show_default=True, metavar="S",
                     help="Seconds the search for suggestions may spend on one failing "
                          "step (0: no limit).")(f)
    return click.option("--explain/--no-explain", default=True, show_default=True,
                        help="Under a step that is not verified, propose the nearest steps "
                             "that are ('did you mean: ...'), each verified by the checker.")(f)


def _policy(numeric: Optional[bool], seed: int, timeout: Optional[float], explain: bool,
            explain_budget: Optional[float], strict: bool = False) -> "CheckPolicy":
    """The command's options as one CheckPolicy (a timeout or budget of 0: no limit;
    ``numeric`` None: the numeric judge behind the steps not verified only)."""
    from elbo_sym.policy import CheckPolicy, Numeric

    return CheckPolicy(Numeric.of(numeric), seed, timeout or None, explain, explain_budget or None,
                       strict)


def timeout_option(f: F) -> F:
    return click.option("--timeout", type=float, default=10.0, show_default=True,
                        help="Seconds each judge may spend on one step before it is "
                             "'unknown' (0: no limit).")(f)


def _inside(directory: str) -> List[str]:
    """Every derivation file (a suffix of ``pipeline.SUFFIXES``: .deriv, .md, .tex) under
    ``directory``, in a stable order; hidden folders (.git, .venv) are skipped."""
    from elbo_sym.pipeline import is_derivation_file

    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(root, f) for f in sorted(files)
                  if is_derivation_file(f) and not f.startswith(".")]
    return found


def _targets(targets: Sequence[str]) -> List[str]:
    """``targets`` as given, a directory replaced by the derivation files inside it, once each
    is known to be a built-in name or an existing file; anything else is a usage error (exit 2)
    that names the built-ins, before any is checked."""
    from elbo_sym.derivations import BUILTINS
    from elbo_sym.pipeline import STDIN_TARGET, UnknownTarget, resolve

    out = []
    for target in targets:
        if target not in BUILTINS and target != STDIN_TARGET and os.path.isdir(target):
            inside = _inside(target)
            if not inside:
                raise click.UsageError(f"no derivation files (.deriv, .md, .tex) in {target!r}")
            out += inside
            continue
        try:
            resolve(target)
        except UnknownTarget as exc:
            raise click.UsageError(str(exc)) from None
        out.append(target)
    return out


def from_option(f: F) -> F:
    from elbo_sym.pipeline import FORMATS as SOURCE_FORMATS

    return click.option("--from", "source_format", type=click.Choice(SOURCE_FORMATS),
                        default=None, help="How to read standard input ('-'): a .deriv file "
                                           "(the default), Markdown or LaTeX.")(f)


def _with_stdin(targets: Sequence[str], options: "Options") -> "Options":
    """``options`` with standard input read once, when '-' is among the targets."""
    import dataclasses

    if "-" not in targets:
        return options
    return dataclasses.replace(options, stdin_text=sys.stdin.read())


def _reports(targets: Sequence[str], options: "Options", jobs: int = 1,
             github: bool = False) -> Tuple[int, List["TargetReport"]]:
    """(exit code, reports) of ``targets`` through the one load-and-check path; each error
    (an input error, located, or an internal one) is printed on stderr as it comes, inert
    (``printing.escape``: no control character; under ``github`` no workflow command)."""
    from elbo_sym.batch import check_targets
    from elbo_sym.printing.escape import github_log, terminal_text

    code, reports = 0, []
    for report in check_targets(_targets(targets), options, jobs):
        code = max(code, report.code)
        if report.error:
            click.echo((github_log if github else terminal_text)(report.error), err=True)
        reports.append(report)
    return code, reports


class _Main(click.Group):
    """The command group; an exception that escapes a command is a bug in elbo-check: one
    line on stderr and exit 3, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # the reader went away (| head): not an error of ours
            sys.stderr.close()
            ctx.exit(1)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            click.echo(f"elbo-check: internal error: {detail} (a bug in elbo-check; "
                       "please report it with the command)", err=True)
            ctx.exit(3)


@click.group(cls=_Main, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="elbo-check")
def main() -> None:
    """Check variational-inference derivations step by step.

    Every step of a derivation is proven by a symbolic checker that names the rule it uses:
    product rule, linearity of expectation, KL definition, Gibbs' inequality, Jensen's
    inequality, Gaussian closed forms. Built in: the evidence lower bound of Kingma & Welling
    (2014) and its companions (see `elbo-check list`).

    Exit status: 0 every step verified, 1 some step not verified, 2 bad usage or an input
    error, 3 an internal inconsistency between the symbolic and the numeric judge.
    """
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    _collect_rarely()


def _collect_rarely() -> None:
    """The command's collector thresholds (``GC_THRESHOLDS``), never lower than the process's
    own (a program that embeds the command may have raised them, or set 0: never collect)."""
    import gc

    current = gc.get_threshold()
    if current[0] == 0:
        return
    gc.set_threshold(*(max(a, b) for a, b in zip(current, GC_THRESHOLDS)))


def _default_targets(targets: Sequence[str], all_builtins: bool) -> List[str]:
    """The named targets, then every built-in with --all; the VAE chain when none is named."""
    from elbo_sym.derivations import BUILTINS, DEFAULT

    chosen = list(targets) + ([n for n in BUILTINS if n not in targets] if all_builtins else [])
    return chosen or list(DEFAULT)


@main.command()
@click.argument("targets", nargs=-1, metavar="[NAME|FILE]...")
@click.option("--all", "all_builtins", is_flag=True, help="Every built-in derivation, not only the VAE chain.")
@click.option("--strict", is_flag=True, help="A step whose cited rules do not suffice fails.")
@numeric_options(default=None)
@timeout_option
@explain_options
@format_option
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@colour_option
@output_option
def derive(targets: Tuple[str, ...], all_builtins: bool, strict: bool, numeric: Optional[bool],
           seed: int, timeout: float, explain: bool, explain_budget: float, fmt: str,
           as_json: bool, color: str, output: Optional[str]) -> None:
    """Print derivations with every step checked (default: the VAE paper's chain; --all: every
    built-in, see `elbo-check list`).

    Each step shows its verdict (✓ verified, ✗ refuted, ? unknown) and the rules that justify
    it; the chain ends with its conclusion. Exit 0 only when every step is verified.
    The numeric judge runs behind the steps that are not verified (--numeric: behind every
    step; --no-numeric: never).
    """
    from elbo_sym.batch import Options

    fmt = "json" if as_json else fmt
    colour = fmt == "text" and not output and _colour(choice=color)
    options = Options(_policy(numeric, seed, timeout, explain, explain_budget, strict),
                      colour=colour, text=fmt == "text", json=fmt in ("json", "github"),
                      width=terminal_width() if fmt == "text" and not output else None)
    code, reports = _reports(_default_targets(targets, all_builtins), options,
                             github=fmt == "github")
    _emit(fmt, reports, code, strict, colour, output)
    sys.exit(code)


@main.command()
@click.argument("targets", nargs=-1, metavar="[NAME|FILE]...")
@click.option("--all", "all_builtins", is_flag=True, help="Every built-in derivation, not only the VAE chain.")
@click.option("--fragment", is_flag=True, help="Only the align* environments, no preamble.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to FILE instead of standard output.")
@numeric_options(default=None)
@timeout_option
@explain_options
@from_option
def latex(targets: Tuple[str, ...], all_builtins: bool, fragment: bool, output: Optional[str],
          numeric: Optional[bool], seed: int, timeout: float, explain: bool,
          explain_budget: float, source_format: Optional[str]) -> None:
    """Typeset derivations as LaTeX (default: the VAE paper's chain; --all: every built-in).

    A standalone document (amsmath align*, one line per step, the rules on the right) that
    pdflatex compiles; --fragment prints only the math. The document is written even when a
    step is not verified (it reads ✗ or ?, as in the terminal), and the exit status is 1.
    Markdown and LaTeX files (.md, .tex) are read too: their checked chains, typeset again.
    The numeric judge runs behind the steps that are not verified (--numeric: every step).
    """
    from elbo_sym.batch import Options
    from elbo_sym.printing import document as doc

    options = Options(_policy(numeric, seed, timeout, explain, explain_budget), text=False,
                      json=False, source_format=source_format)
    options = _with_stdin(targets, options)
    code, reports = _reports(_default_targets(targets, all_builtins), options)
    chains = [d for r in reports if r.report is not None for d in r.report.derivations]
    text = doc.fragment(chains) if fragment else doc.document(chains)
    if output:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)
    sys.exit(code)


@main.command("list")
def list_() -> None:
    """List the built-in derivations: name, title, source."""
    from elbo_sym.derivations import BUILTINS

    width = max(len(n) for n in BUILTINS)
    for name, d in BUILTINS.items():
        click.echo(f"{name.ljust(width)}  {d.title}  [{d.source}]")


@main.command()
def rules() -> None:
    """List the rule catalogue: the names a step may cite after `by`."""
    from elbo_sym.rules.catalogue import RULES

    width = max(len(n) for n in RULES)
    for name, what in RULES.items():
        click.echo(f"{name.ljust(width)}  {what}")


@main.command()
@click.argument("targets", nargs=-1, required=True, metavar="FILE|NAME...")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON report on stdout.")
@click.option("--strict", is_flag=True, help="A step whose cited rules do not suffice fails.")
@click.option("-q", "--quiet", is_flag=True, help="Only each derivation's summary line.")
@numeric_options(default=True)
@timeout_option
@explain_options
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Check files in this many processes.")
@from_option
@format_option
@colour_option
@output_option
def check(targets: Tuple[str, ...], as_json: bool, strict: bool, quiet: bool,
          numeric: Optional[bool], seed: int, timeout: float, explain: bool,
          explain_budget: float, jobs: int, source_format: Optional[str], fmt: str, color: str,
          output: Optional[str]) -> None:
    """Check derivation files (.deriv), Markdown notes (.md), LaTeX papers (.tex) or
    built-ins: a verdict for every step. '-' reads standard input (--from md|tex|deriv).

    In .md and .tex files every display-math block that is a chain is checked; the report
    ends with how many displays were checked, declared (models) and skipped, and why.

    A directory checks every .deriv, .md and .tex file inside it.

    Input errors are printed as FILE:LINE:COL: error: MESSAGE and do not stop the other
    files. Exit 0 when every step of every file is verified, 1 when some step is not,
    2 when a file has an input error, 3 on an internal inconsistency.
    """
    from elbo_sym.batch import Options

    fmt = "json" if as_json else fmt
    colour = fmt == "text" and not output and _colour(choice=color)
    options = Options(_policy(numeric, seed, timeout, explain, explain_budget, strict), quiet,
                      colour, text=fmt == "text", json=fmt in ("json", "github"),
                      source_format=source_format,
                      width=terminal_width() if fmt == "text" and not output else None)
    options = _with_stdin(targets, options)
    code, reports = _reports(targets, options, jobs, github=fmt == "github")
    _emit(fmt, reports, code, strict, colour, output, quiet)
    sys.exit(code)


@main.command()
def mcp() -> None:
    """Serve the checker to AI assistants over the Model Context Protocol (stdio).

    Tools: check_derivation(text, source), derive(name), list_rules(); each returns the
    verdicts with residuals, counterexamples and the rules used. Needs the extra:
    pip install 'elbo-check[mcp]'.
    """
    import importlib.util

    if importlib.util.find_spec("mcp") is None:
        raise click.UsageError("the MCP server needs the official MCP SDK: "
                               "pip install 'elbo-check[mcp]'")
    from elbo_sym.mcp_server import serve

    serve()


def _summary(reports: Sequence["TargetReport"], strict: bool = False) -> Optional[str]:
    """The run's last line: the steps (``located.summary_line``), then the files where no
    step was checked and the displays skipped, which are never a silent success."""
    from elbo_sym.printing.located import summary_line

    records = [rec for r in reports for rec in r.records]
    unchecked = sum(1 for r in reports if r.checked_nothing)
    skipped = sum(len(r.skipped) for r in reports)
    if not records and not unchecked:
        return None
    nothing = f"no step checked in {unchecked} file{'s' * (unchecked != 1)}"
    if records:
        line = summary_line(records, sum(1 for r in reports if r.error))
        line += f"; {nothing}" if unchecked else ""
    else:
        line = f"elbo-check: {nothing}"
    if skipped:
        line += f"; {skipped} display{'s' * (skipped != 1)} that look{'s' * (skipped == 1)} " \
                "like a chain skipped" + (" (a failure under --strict)" if strict else "")
    return line


def _github(reports: Sequence["TargetReport"]) -> List[str]:
    """Workflow commands: an ``::error`` where each step that is not verified is written, where
    each input error is and on each file where no step was checked; a ``::warning`` where each
    display that looks like a chain was skipped."""
    from elbo_sym.printing.located import github_error, github_line
    from elbo_sym.pipeline import NOTHING_CHECKED

    out = []
    for r in reports:
        name = (r.entry or {}).get("file") or r.target
        if r.error:
            error = (r.entry or {}).get("error") or {}
            out.append(github_error(name, error.get("line"), error.get("column"),
                                    error.get("message") or r.error))
        out += [github_line(rec) for rec in r.records if rec.failed]
        out += [_github_warning(d.file, d.line, d.column, "elbo-check: display skipped",
                                f"display not checked: {d.reason}") for d in r.skipped]
        if r.checked_nothing:
            out.append(github_error(name, None, None, NOTHING_CHECKED))
    return out


def _github_warning(file: str, line: Optional[int], column: Optional[int], title: str,
                    message: str) -> str:
    """A ``::warning`` workflow command, its properties and message escaped as GitHub
    requires (nothing read from a file can end the command or start another)."""
    from elbo_sym.printing.escape import github_data, github_property

    props = [f"file={github_property(file)}"]
    props += [f"{key}={value}" for key, value in (("line", line), ("col", column))
              if value is not None]
    props.append(f"title={github_property(title)}")
    return f"::warning {','.join(props)}::{github_data(message)}"


def _wrap(line: str, width: Optional[int]) -> List[str]:
    import textwrap

    if not width or len(line) <= width:
        return [line]
    return textwrap.wrap(line, width, subsequent_indent="  ", break_long_words=False,
                         break_on_hyphens=False)


def _models(reports: Sequence["TargetReport"]) -> List["DocumentReport"]:
    """The report model of each target (``report_model.DocumentReport``), which the Markdown
    and HTML reports print."""
    return [r.report for r in reports if r.report is not None]


def _emit(fmt: str, reports: Sequence["TargetReport"], code: int, strict: bool, colour: bool,
          output: Optional[str], quiet: bool = False) -> None:
    """Print (or write to ``output``) the run's report in format ``fmt``."""
    summary = _summary(reports, strict)
    if fmt == "json":  # the run's ok and each file's report (report_model.run_json's shape)
        import json

        entries = [r.entry for r in reports]
        text = json.dumps({"ok": code == 0, "files": entries}, indent=2, ensure_ascii=False)
    elif fmt == "github":
        text = "\n".join(_github(reports) + ([summary] if summary else []))
    elif fmt == "markdown":
        from elbo_sym.printing.markdown import markdown_report

        text = markdown_report(_models(reports), summary=summary).rstrip("\n")
    elif fmt == "html":
        from elbo_sym.printing.html import html_report

        text = html_report(_models(reports), summary=summary).rstrip("\n")
    else:
        from elbo_sym.printing.located import located_lines

        blocks = [r.text for r in reports if r.text]
        located = located_lines((rec for r in reports for rec in r.records), short=quiet)
        if located:
            blocks.append("\n".join(located))
        if summary:
            width = terminal_width() if not output else None
            blocks.append("\n".join(_wrap(summary, width)))
        text = "\n\n".join(blocks)
    if output:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text + "\n" if text else "")
    elif text:
        click.echo(text, color=colour or None)


if __name__ == "__main__":  # pragma: no cover
    main()
