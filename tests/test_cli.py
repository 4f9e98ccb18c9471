"""The command line through click's CliRunner: output, exit codes, usage errors."""
import re

from click.testing import CliRunner

import cli
from elbo_sym import __version__
from elbo_sym.derivations import BUILTINS
from elbo_sym.rules.catalogue import RULE_NAMES


def run(*args):
    return CliRunner().invoke(cli.main, list(args))


def test_derive_prints_every_builtin_verified_and_exits_0():
    r = run("derive")
    assert r.exit_code == 0, r.output
    for name in BUILTINS:
        assert re.search(rf"^{re.escape(name)}: ", r.output, re.M)
    assert "log p(x) = log p(x, z) − log p(z | x)" not in r.output  # the start stands alone
    assert "  = log p(x, z) − log p(z | x)" in r.output
    assert "conclusion: log p(x) ≥ −KL(q(z | x) ‖ p(z)) + E_q(z | x)[log p(x | z)]" in r.output
    assert r.output.count("✓ verified") == sum(len(d.steps) for d in BUILTINS.values())
    assert "\x1b[" not in r.output  # no colour when not on a terminal


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
