"""The command line through click's CliRunner: output, exit codes, usage errors."""
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from elbo_sym import __version__
from elbo_sym.derivations import BUILTINS, DEFAULT
from elbo_sym.rules.catalogue import RULE_NAMES

from conftest import write


def run(*args):
    return CliRunner().invoke(cli.main, list(args))


def test_derive_prints_every_builtin_verified_and_exits_0():
    r = run("derive")
    assert r.exit_code == 0, r.output
    for name in DEFAULT:
        assert re.search(rf"^{re.escape(name)}: ", r.output, re.M)
    assert "log p(x) = log p(x, z) − log p(z | x)" not in r.output  # the start stands alone
    assert "  = log p(x, z) − log p(z | x)" in r.output
    assert "conclusion: log p(x) ≥ −KL(q(z | x) ‖ p(z)) + E_q(z | x)[log p(x | z)]" in r.output
    assert r.output.count("✓ verified") == sum(len(BUILTINS[n].steps) for n in DEFAULT)
    assert "\x1b[" not in r.output  # no colour when not on a terminal


def test_derive_all_checks_every_builtin():
    r = run("derive", "--all")
    assert r.exit_code == 0, r.output
    for name in BUILTINS:
        assert re.search(rf"^{re.escape(name)}: ", r.output, re.M)
    assert r.output.count("✓ verified") == sum(len(d.steps) for d in BUILTINS.values())


def test_derive_one_name_and_the_rules_it_used():
    r = run("derive", "jensen-elbo")
    assert r.exit_code == 0
    assert "by importance-weighting" in r.output
    assert "gaussian-kl" not in r.output


def test_derive_unknown_name_is_usage_error_listing_known_names():
    r = run("derive", "no-such-derivation")
    assert r.exit_code == 2
    assert "no-such-derivation" in r.output
    for name in BUILTINS:
        assert name in r.output


def test_list_and_rules():
    r = run("list")
    assert r.exit_code == 0
    assert [ln.split()[0] for ln in r.output.splitlines()] == list(BUILTINS)
    r = run("rules")
    assert r.exit_code == 0
    assert [ln.split()[0] for ln in r.output.splitlines()] == list(RULE_NAMES)


def test_version_and_help():
    assert run("--version").output.strip() == f"elbo-check, version {__version__}"
    r = run("--help")
    assert r.exit_code == 0 and "Examples:" in r.output and "elbo-check latex > proof.tex" in r.output


def test_latex_fragment_is_only_math():
    r = run("latex", "--fragment", "kl-nonneg")
    assert r.exit_code == 0
    assert r.output.startswith("\\begin{align*}\n")
    assert "\\documentclass" not in r.output
    assert "&\\le \\log{\\left(\\mathbb{E}_{q(z \\mid x)}" in r.output


def test_latex_is_deterministic_and_writes_a_file(tmp_path):
    out = tmp_path / "proof.tex"
    r = run("latex", "-o", str(out))
    assert r.exit_code == 0 and r.output == ""
    assert out.read_text(encoding="utf-8") == run("latex").output


# One load-and-check path: derive, latex and check take built-in names and files alike.

GOOD = "log p(x)\n= log p(x, z) - log p(z | x)    by product-rule\n"
BROKEN = "log p(x)\n= log p(x, z\n"


def test_check_accepts_a_builtin_name():
    r = run("check", "elbo")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("elbo: The evidence lower bound\n")
    assert r.output.count("✓ verified") == len(BUILTINS["elbo"].steps)
    assert "(every step verified: 7 verified)" in r.output


def test_check_json_names_the_builtin_as_its_file():
    import json

    r = run("check", "--json", "--no-numeric", "kl-nonneg")
    assert r.exit_code == 0
    doc = json.loads(r.output)
    assert doc["ok"] is True
    assert [f["file"] for f in doc["files"]] == ["kl-nonneg"]
    assert [d["name"] for d in doc["files"][0]["derivations"]] == ["kl-nonneg"]


def test_derive_reports_an_input_error_and_goes_on(tmp_path):
    broken = write(tmp_path, "some.deriv", BROKEN)
    r = run("derive", broken, "kl-nonneg")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"{broken}:2:8: error: '(' is never closed")
    assert "Traceback" not in r.output
    assert r.stdout.startswith("kl-nonneg: ")          # the next target is still derived


def test_latex_reports_an_input_error_and_goes_on(tmp_path):
    broken = write(tmp_path, "some.deriv", BROKEN)
    r = run("latex", "--fragment", broken, "kl-nonneg")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"{broken}:2:8: error: ")
    assert r.stdout.startswith("\\begin{align*}\n")


def test_derive_prefixes_a_file_report_with_its_path(tmp_path):
    good = write(tmp_path, "good.deriv", GOOD)
    r = run("derive", good, "elbo")
    assert r.exit_code == 0
    assert r.stdout.startswith(f"{good}: good\n")
    assert "\n\nelbo: The evidence lower bound\n" in r.stdout


def _break_the_checker(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr("elbo_sym.checker.check_derivation", broken)


@pytest.mark.parametrize("command", ["derive", "latex", "check"])
def test_an_internal_error_is_exit_3_with_one_line(command, monkeypatch):
    _break_the_checker(monkeypatch)
    r = run(command, "elbo", "kl-nonneg")
    assert r.exit_code == 3
    assert r.stderr.splitlines() == [
        f"{name}: internal error: KeyError: 'boom' (a bug in elbo-check; please report it "
        "with the command)" for name in ("elbo", "kl-nonneg")]
    assert "Traceback" not in r.output


def test_an_internal_error_in_derive_of_a_file(tmp_path, monkeypatch):
    _break_the_checker(monkeypatch)
    good = write(tmp_path, "good.deriv", GOOD)
    r = run("derive", good)
    assert r.exit_code == 3
    assert r.stderr == (f"{good}: internal error: KeyError: 'boom' (a bug in elbo-check; "
                        "please report it with this file)\n")
    assert r.stdout == ""


def test_an_internal_error_in_the_parser_is_exit_3(tmp_path, monkeypatch):
    def broken(text, filename="<string>"):
        raise RuntimeError("line one\nline two")

    monkeypatch.setattr("elbo_sym.parser.parse_text", broken)   # the pipeline reads the text
    good = write(tmp_path, "good.deriv", GOOD)
    r = run("derive", good, "elbo")
    assert r.exit_code == 3
    assert r.stderr.startswith(f"{good}: internal error: RuntimeError: line one line two (")
    assert "elbo: The evidence lower bound" in r.stdout   # the built-in is still derived


def test_an_exception_outside_the_checker_is_exit_3(monkeypatch):
    def broken(results):
        raise ValueError("typesetting failed")

    monkeypatch.setattr("elbo_sym.printing.document.document", broken)
    r = run("latex", "elbo")
    assert r.exit_code == 3
    assert r.stderr == ("elbo-check: internal error: ValueError: typesetting failed (a bug in "
                        "elbo-check; please report it with the command)\n")
    assert "Traceback" not in r.output


@pytest.mark.parametrize("command", ["derive", "latex", "check"])
def test_an_unknown_target_is_a_usage_error_naming_the_builtins(command, tmp_path):
    good = write(tmp_path, "good.deriv", GOOD)
    r = run(command, good, "elbow")
    assert r.exit_code == 2
    assert r.stdout == ""                             # nothing is checked
    assert ("Error: no built-in derivation or file named 'elbow'; built-ins: "
            + ", ".join(BUILTINS)) in r.stderr


def test_a_directory_without_derivation_files_is_a_usage_error(tmp_path):
    # a directory is checked file by file (tests/test_formats.py); an empty one says so
    r = run("check", str(tmp_path))
    assert r.exit_code == 2
    assert f"Error: no derivation files (.deriv, .md, .tex) in '{tmp_path}'" in r.stderr


def test_derive_of_builtins_imports_neither_numpy_nor_the_parser():
    import subprocess
    import sys

    code = ("import sys, cli\n"
            "try:\n    cli.main(['derive'])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "bad = [m for m in ('numpy', 'lark', 'elbo_sym.parser', 'elbo_sym.numeric') "
            "if m in sys.modules]\nassert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                   cwd=str(Path(__file__).resolve().parents[1]))
