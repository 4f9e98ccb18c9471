"""What a command imports (run in a fresh interpreter): ``elbo-check derive`` needs neither the
parser, the readers of Markdown and LaTeX, numpy, nor the JSON and HTML libraries; the
suggestions are searched only under a step that fails. Behaviour only: no timing."""
import ast
import subprocess
import sys

import pytest

_RUN = """
import io, sys, contextlib
from elbo_sym.cli import main
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        main(ARGS, standalone_mode=False)
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.__stdout__.write(repr((code, sorted(sys.modules))))
"""


def _imported(args):
    code = _RUN.replace("ARGS", repr(list(args)))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    code, modules = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    return code, set(modules)


@pytest.fixture(scope="module")
def derive_modules():
    return _imported(["derive"])


def test_derive_verifies(derive_modules):
    code, modules = derive_modules
    assert code == 0
    assert "elbo_sym.checker" in modules


@pytest.mark.parametrize("module", ["numpy", "lark", "elbo_sym.parser", "elbo_sym.readers",
                                    "elbo_sym.numeric", "elbo_sym.checker.explain",
                                    "latex2mathml", "json", "html", "elbo_sym.mutation"])
def test_derive_does_not_import(derive_modules, module):
    assert module not in derive_modules[1]


def test_derive_collects_rarely():
    code = ("import gc, sys\nfrom elbo_sym.cli import main\n"
            "try:\n    main(['list'])\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write(repr(gc.get_threshold()))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    from elbo_sym.cli import GC_THRESHOLDS

    assert done.stderr.strip() == repr(GC_THRESHOLDS)


def test_check_without_failure_skips_explain_and_readers():
    code, modules = _imported(["check", "--no-numeric", "examples/gaussian-kl.deriv"])
    assert code == 0
    assert "elbo_sym.parser" in modules
    assert not {"elbo_sym.readers", "elbo_sym.checker.explain", "html", "numpy"} & modules


def _pid_report(target, options):
    import os
    import time

    from elbo_sym.batch import TargetReport

    time.sleep(0.01)
    return TargetReport(target, None, str(os.getpid()), "", 0)


def test_jobs_share_the_work_with_this_process(monkeypatch):
    """``--jobs N``: N - 1 forked workers and this process check the targets; the reports
    come back in the order of the targets."""
    import os

    from elbo_sym import batch

    monkeypatch.setattr(batch, "check_target", _pid_report)
    targets = [f"t{i}" for i in range(40)]
    reports = list(batch.check_targets(targets, batch.Options(), jobs=2))
    assert [r.target for r in reports] == targets
    pids = {r.text for r in reports}
    assert str(os.getpid()) in pids and len(pids) <= 2
