"""Every example file verifies; its LaTeX is the same on a second run."""
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from elbo_sym.checker import VERIFIED, check_derivation
from elbo_sym.parser import parse_file

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.deriv"))


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_verifies_step_by_step(path):
    derivations = parse_file(str(path))
    assert derivations
    for d in derivations:
        result = check_derivation(d, numeric=True)
        assert [s.verdict for s in result.steps] == [VERIFIED] * len(d.steps), d.name
        assert not result.inconsistent


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_through_the_cli_and_latex_twice(path):
    runner = CliRunner()
    assert runner.invoke(cli.main, ["check", "--strict", str(path)]).exit_code == 0
    first = runner.invoke(cli.main, ["latex", str(path)])
    second = runner.invoke(cli.main, ["latex", str(path)])
    assert first.exit_code == 0
    assert first.output == second.output
    assert "\\begin{align*}" in first.output
