"""Resource bounds: big files in bounded memory, per-step time limits, hostile input."""
import subprocess
import sys

from click.testing import CliRunner

import cli
from elbo_sym.checker import UNKNOWN, check_derivation
from elbo_sym.parser import parse_text


def test_a_10000_line_file_checks_in_bounded_memory(tmp_path):
    lines = ["derivation big", "  log p(x)"]
    for i in range(10_000):
        lines.append("  = log p(x, z) - log p(z | x)   by product-rule" if i % 2 == 0 else "  = log p(x)")
    f = tmp_path / "big.deriv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # the process reports its own peak, VmHWM of its memory map (ru_maxrss would carry the
    # test run's own high-water mark across fork and exec, and RUSAGE_CHILDREN every earlier
    # child, a headless browser included)
    driver = ("import re, sys\n"
              "from elbo_sym.cli import main\n"
              "try:\n    main()\n"
              "finally:\n"
              "    status = open('/proc/self/status').read()\n"
              "    print('peak', re.search(r'VmHWM:\\s*(\\d+)', status).group(1), file=sys.stderr)\n")
    p = subprocess.run([sys.executable, "-c", driver, "check", "-q", "--no-numeric", str(f)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "every step verified: 10000 verified" in p.stdout
    peak_kb = int(p.stderr.rsplit("peak", 1)[1].split()[0])
    assert peak_kb < 400_000  # KB on Linux: well under 400 MB


def test_a_step_past_its_time_limit_is_unknown():
    # 150 nested logs: expanding them takes far longer than the limit
    text = "x\n= " + "log(" * 150 + "x" + ")" * 150 + "\n"
    (d,) = parse_text(text, "slow.deriv")
    result = check_derivation(d, timeout=0.5)
    assert result.steps[0].verdict == UNKNOWN
    assert result.steps[0].reason == "the time limit of 0.5 s ran out"


def test_a_time_limit_is_never_swallowed_by_a_catch_all():
    # the numeric judge turns any Exception into "no opinion"; a time limit that rings inside
    # it must reach whoever set the limit instead of reading as "evaluation failed"
    import importlib
    import time

    import pytest

    from elbo_sym.checker.limits import StepTimeout, time_limit

    numeric = importlib.import_module("elbo_sym.numeric.judge")   # the module, not its function

    def slow(*args, **kwargs):
        time.sleep(1.0)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(numeric, "_judge", slow)
        with pytest.raises(StepTimeout):
            with time_limit(0.05):
                numeric.judge(0, "=", 0)


def test_python_and_sympy_code_is_an_input_error_and_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    attempts = ["__import__('os').system('touch pwned')", "eval('1')", "lambda x: x",
                "p.__class__", "Symbol('x')", "exec('x')", "open('pwned', 'w')"]
    for i, code in enumerate(attempts):
        f = tmp_path / f"code{i}.deriv"
        f.write_text(f"log p(x)\n= {code}\n", encoding="utf-8")
        r = CliRunner().invoke(cli.main, ["check", f.name])
        assert r.exit_code == 2, code
        assert r.stderr.startswith(f"{f.name}:2:"), code
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"code{i}.deriv" for i in range(len(attempts))]
