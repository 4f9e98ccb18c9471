"""The pre-commit hook definition (.pre-commit-hooks.yaml): its command, run as pre-commit runs
it (the entry, then the staged file names that match ``files``), on sample files."""
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
GOOD = ('derivation good "Product rule"\n  log p(x)\n'
        '  = log p(x, z) - log p(z | x)    by product-rule\n')
WRONG = ('derivation swapped "Swapped conditional"\n  log p(x)\n'
         '  = log p(x, z) - log p(z | x)    by product-rule\n'
         '  = log p(x, z) - log p(x | z)    by bayes-rule\n')
NOTE = "The product rule:\n\n$$\n\\log p(x) = \\log p(x, z) - \\log p(z \\mid x)\n$$\n"


def _hooks():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return {h["id"]: h for h in hooks}


def _run(hook, files, cwd):
    """pre-commit's call: the entry's words, then the files its pattern selects."""
    chosen = [f for f in files if re.search(hook["files"], f)]
    argv = shlex.split(hook["entry"])
    if shutil.which(argv[0]) is None:  # not installed as a script: the same command as a module
        argv = [sys.executable, "-m", "elbo_sym"] + argv[1:]
    return chosen, subprocess.run(argv + chosen, cwd=cwd, capture_output=True, text=True,
                                  timeout=300)


def test_the_hooks_are_well_formed():
    hooks = _hooks()
    assert set(hooks) == {"elbo-check", "elbo-check-documents"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["entry"].startswith("elbo-check check")
        assert {"id", "name", "entry", "language", "files"} <= set(hook)


def test_the_hook_passes_a_good_file_and_stops_a_wrong_one(tmp_path):
    (tmp_path / "good.deriv").write_text(GOOD, encoding="utf-8")
    (tmp_path / "wrong.deriv").write_text(WRONG, encoding="utf-8")
    (tmp_path / "README.md").write_text("no math here\n", encoding="utf-8")
    hook = _hooks()["elbo-check"]
    chosen, done = _run(hook, ["good.deriv", "README.md"], tmp_path)
    assert chosen == ["good.deriv"]
    assert done.returncode == 0, done.stderr
    chosen, done = _run(hook, ["good.deriv", "wrong.deriv"], tmp_path)
    assert done.returncode == 1
    assert "wrong.deriv:4:3: refuted: swapped, step 2: the two sides differ" in done.stdout
    assert "\x1b[" not in done.stdout


def test_the_documents_hook_checks_markdown(tmp_path):
    (tmp_path / "note.md").write_text(NOTE, encoding="utf-8")
    hook = _hooks()["elbo-check-documents"]
    chosen, done = _run(hook, ["note.md", "good.deriv"], tmp_path)
    assert chosen == ["note.md"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 display checked" in done.stdout
