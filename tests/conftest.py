"""Shared builders for tests: densities written the way the paper writes them, and the
conformance files the tests read (a copy in tests/conformance, so that a clone alone passes)."""
import os
import signal
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sympy import symbols

from elbo_sym.algebra import Density

x, z, y = symbols("x z y")

# the conformance files of the contract that the tests read; .ci/run checks ../shared too
CONFORMANCE = Path(__file__).resolve().parent / "conformance"


def p(*variables, given=()):
    return Density("p", variables, given)


def q(*variables, given=()):
    return Density("q", variables, given)


# the default run (the README's command) draws fewer random examples in the slowest property
# tests; .ci/run sets ELBO_CHECK_FULL_TESTS=1 and runs them all
FULL = os.environ.get("ELBO_CHECK_FULL_TESTS") == "1"


@pytest.fixture(autouse=True)
def _a_pipe_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test sees the command as a pipe does: pytest-xdist's workers set COLUMNS, which
    the text report takes for a terminal's width (a test that wants a width sets it itself)."""
    monkeypatch.delenv("COLUMNS", raising=False)


def write(tmp_path: Path, name: str, text: str) -> str:
    """``text`` written to ``tmp_path / name`` (its folders made): the path, as a string."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def error_of(text: str, filename: str = "t.deriv"):
    """The ``InputError`` that parsing ``text`` (as ``filename``) raises; the test fails if none."""
    from elbo_sym.errors import InputError
    from elbo_sym.parser import parse_text

    with pytest.raises(InputError) as info:
        parse_text(text, filename)
    return info.value


def assert_exact_error(text: str, where: str, message: str):
    """The error is exactly ``t.deriv:LINE:COL: error: MESSAGE`` (``where`` is LINE:COL)."""
    err = error_of(text)
    assert str(err).split("\n")[0] == f"t.deriv:{where}: error: {message}"
    return err


def check_deriv(tmp_path: Path, text: str, *options: str):
    """(exit code, the steps of the first derivation) of `elbo-check check --json` on ``text``
    written as a .deriv file."""
    import json

    from click.testing import CliRunner

    from elbo_sym.cli import main

    r = CliRunner().invoke(main, ["check", "--json", *options, write(tmp_path, "step.deriv", text)])
    doc = json.loads(r.stdout)
    return r.exit_code, doc["files"][0]["derivations"][0]["steps"]


def run_cli(*args: str):
    """``elbo-check ARGS`` run in this process (no sympy import paid per call) as a pipe sees
    it: no colour, no terminal width. A click ``Result``: ``exit_code``, ``stdout``, ``stderr``."""
    from click.testing import CliRunner

    from elbo_sym.cli import main

    env = {"NO_COLOR": "1", "FORCE_COLOR": None, "COLUMNS": None}
    return CliRunner().invoke(main, list(args), env=env)


def examples(default: int, full: int) -> int:
    """How many random examples a slow property test draws: ``full`` under .ci/run."""
    return full if FULL else default


HANG = 300   # seconds: a guard against a hang, never a judge of speed (slow machines pass)


@contextmanager
def no_hang(seconds: float = HANG) -> Iterator[None]:
    """Fail the test if its block is still running after ``seconds``: catches a hang (an
    exponential parse, a huge number computed) without asserting how fast anything runs."""
    def ring(signum, frame):
        pytest.fail(f"still running after {seconds} s: a hang", pytrace=False)

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
