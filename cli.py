"""The ``elbo-check`` command: a thin click layer over ``elbo_sym``.

Exit codes: 0 every step verified; 1 some step not verified; 2 bad usage or an input error.
"""
import json
import os
import sys

import click

from elbo_sym import __version__
from elbo_sym.errors import InputError

EXAMPLES = """
\b
Examples:
  elbo-check derive                     the ELBO of the VAE paper, every step checked
  elbo-check derive elbo gaussian-kl    only these built-ins
  elbo-check latex > proof.tex          a LaTeX document (pdflatex proof.tex)
  elbo-check check my-bound.deriv       check your own derivation file
  elbo-check check --json a.deriv b.deriv
"""


def _colour(stream=None):
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _report_input_error(err, filename):
    located = err if err.filename else err.located(filename)
    click.echo(str(located), err=True)


def _load_targets(targets):
    """(label, derivations or None, error) per target; unknown names are a usage error."""
    from elbo_sym.loading import UnknownTarget, load

    out = []
    for t in targets:
        try:
            out.append((t, load(t), None))
        except UnknownTarget as exc:
            raise click.UsageError(str(exc))
        except InputError as exc:
            out.append((t, None, exc))
    return out


def _check_all(loaded):
    from elbo_sym.checker import check_derivation

    return [(label, [check_derivation(d) for d in ders] if ders else None, err)
            for label, ders, err in loaded]


@click.group(epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="elbo-check")
def main():
    """Check variational-inference derivations step by step.

    Every step of a derivation is proven by a symbolic checker that names the rule it uses:
    product rule, linearity of expectation, KL definition, Gibbs' inequality, Jensen's
    inequality, Gaussian closed forms. Built in: the evidence lower bound of Kingma & Welling
    (2014) and its companions (see `elbo-check list`).
    """


@main.command()
@click.argument("targets", nargs=-1, metavar="[NAME|FILE]...")
@click.option("--strict", is_flag=True, help="A step whose cited rules do not suffice fails.")
def derive(targets, strict):
    """Print derivations with every step checked (default: all built-ins).

    Each step shows its verdict (✓ verified, ✗ refuted, ? unknown) and the rules that justify
    it; the chain ends with its conclusion. Exit 0 only when every step is verified.
    """
    from elbo_sym.derivations import BUILTINS
    from elbo_sym.printing.report import format_derivation

    loaded = _load_targets(targets or list(BUILTINS))
    code, colour, first = 0, _colour(), True
    for label, results, err in _check_all(loaded):
        if err is not None:
            _report_input_error(err, label)
            code = 2
            continue
        for r in results:
            if not first:
                click.echo("")
            first = False
            click.echo(format_derivation(r, colour=colour, strict=strict))
            if not r.ok(strict):
                code = max(code, 1)
    sys.exit(code)


@main.command()
@click.argument("targets", nargs=-1, metavar="[NAME|FILE]...")
@click.option("--fragment", is_flag=True, help="Only the align* environments, no preamble.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to FILE instead of standard output.")
def latex(targets, fragment, output):
    """Typeset derivations as LaTeX (default: all built-ins).

    A standalone document (amsmath align*, one line per step, the rules on the right) that
    pdflatex compiles; --fragment prints only the math. Exit 1 if a step is not verified.
    """
    from elbo_sym.derivations import BUILTINS
    from elbo_sym.printing import document as doc

    loaded = _load_targets(targets or list(BUILTINS))
    code, results = 0, []
    for label, rs, err in _check_all(loaded):
        if err is not None:
            _report_input_error(err, label)
            code = 2
            continue
        results.extend(rs)
        if not all(r.ok() for r in rs):
            code = max(code, 1)
    text = doc.fragment(results) if fragment else doc.document(results)
    if output:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)
    sys.exit(code)


@main.command("list")
def list_():
    """List the built-in derivations: name, title, source."""
    from elbo_sym.derivations import BUILTINS

    width = max(len(n) for n in BUILTINS)
    for name, d in BUILTINS.items():
        click.echo(f"{name.ljust(width)}  {d.title}  [{d.source}]")


@main.command()
def rules():
    """List the rule catalogue: the names a step may cite after `by`."""
    from elbo_sym.rules.catalogue import RULES

    width = max(len(n) for n in RULES)
    for name, what in RULES.items():
        click.echo(f"{name.ljust(width)}  {what}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON report on stdout.")
@click.option("--strict", is_flag=True, help="A step whose cited rules do not suffice fails.")
@click.option("-q", "--quiet", is_flag=True, help="Only each derivation's summary line.")
def check(files, as_json, strict, quiet):
    """Check derivation files (.deriv): a verdict for every step.

    Input errors are printed as FILE:LINE:COL: error: MESSAGE and do not stop the other
    files. Exit 0 when every step of every file is verified, 1 when some step is not,
    2 when a file has an input error.
    """
    from elbo_sym.checker import check_derivation
    from elbo_sym.parser import parse_file
    from elbo_sym.printing.report import format_derivation, json_file

    code, entries, colour, first = 0, [], _colour() and not as_json, True
    for path in files:
        try:
            results = [check_derivation(d) for d in parse_file(path)]
        except InputError as exc:
            _report_input_error(exc, path)
            entries.append(json_file(path, error=exc))
            code = 2
            continue
        entry = json_file(path, results, strict=strict)
        entries.append(entry)
        if not entry["ok"]:
            code = max(code, 1)
        if not as_json:
            for r in results:
                if not first:
                    click.echo("")
                first = False
                click.echo(f"{path}: " + format_derivation(r, colour=colour, quiet=quiet, strict=strict))
    if as_json:
        click.echo(json.dumps({"ok": code == 0, "files": entries}, indent=2, ensure_ascii=False))
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
