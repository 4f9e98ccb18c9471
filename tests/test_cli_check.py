"""`elbo-check check`: the report, the JSON document of the contract, exit codes."""
import json

from click.testing import CliRunner

import cli

from conftest import write

GOOD = "log p(x)\n= log p(x, z) - log p(z | x)    by product-rule\n"
WRONG = "log p(x)\n= log p(x, z) - log p(x | z)    by bayes-rule\n"
UNCITED = "log p(x)\n= log p(x, z) - log p(z | x)    by linearity\n"


def run(*args):
    return CliRunner().invoke(cli.main, list(args))


def test_json_report_has_the_contract_shape(tmp_path):
    good, wrong = write(tmp_path, "good.deriv", GOOD), write(tmp_path, "wrong.deriv", WRONG)
    r = run("check", "--json", good, wrong)
    assert r.exit_code == 1
    doc = json.loads(r.output)
    assert doc["ok"] is False
    assert [f["file"] for f in doc["files"]] == [good, wrong]
    first, second = doc["files"]
    assert (first["ok"], first["error"], second["ok"]) == (True, None, False)
    d = first["derivations"][0]
    assert (d["name"], d["title"], d["ok"]) == ("good", "", True)
    assert d["conclusion"] == "log p(x) = log p(x, z) − log p(z | x)"
    step = d["steps"][0]
    assert {k: step[k] for k in ("index", "line", "relation", "verdict", "rules_cited", "rules_used", "message")} == {
        "index": 1, "line": 2, "relation": "=", "verdict": "verified",
        "rules_cited": ["product-rule"], "rules_used": ["product-rule"], "message": None}
    bad = second["derivations"][0]["steps"][0]
    assert bad["verdict"] == "refuted"
    assert "residual in normal form: −log p(z) + log p(x)" in bad["message"]


def test_an_input_error_does_not_stop_the_other_files(tmp_path):
    broken = write(tmp_path, "broken.deriv", "log p(x)\n= log p(x, z\n")
    good = write(tmp_path, "good.deriv", GOOD)
    r = run("check", "--json", broken, good)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"{broken}:2:")
    assert "error:" in r.stderr and "Traceback" not in r.stderr
    doc = json.loads(r.stdout)
    assert doc["files"][0]["error"]["line"] == 2
    assert doc["files"][0]["derivations"] == []
    assert doc["files"][1]["ok"] is True


def test_missing_rule_warns_and_strict_fails(tmp_path):
    f = write(tmp_path, "uncited.deriv", UNCITED)
    r = run("check", f)
    assert r.exit_code == 0
    assert "the cited rules do not suffice; also needed: product-rule" in r.output
    assert run("check", "--strict", f).exit_code == 1


def test_quiet_prints_only_summaries(tmp_path):
    f = write(tmp_path, "wrong.deriv", WRONG)
    r = run("check", "-q", f)
    assert r.exit_code == 1
    assert "conclusion:" in r.output and "1 refuted" in r.output
    assert "residual" not in r.output


def test_a_missing_file_is_a_usage_error(tmp_path):
    missing = str(tmp_path / "nope.deriv")
    r = run("check", missing)
    assert r.exit_code == 2
    assert f"Error: no built-in derivation or file named '{missing}'; built-ins: elbo," in r.stderr
    assert "Traceback" not in r.output


def test_jobs_give_the_same_report(tmp_path):
    files = [write(tmp_path, f"f{i}.deriv", GOOD if i % 2 else WRONG) for i in range(6)]
    one = run("check", "--json", "-j", "1", *files)
    two = run("check", "--json", "-j", "2", *files)
    assert one.exit_code == two.exit_code == 1
    assert json.loads(one.output) == json.loads(two.output)


def test_jobs_mix_builtins_files_and_input_errors_in_order(tmp_path):
    good, broken = write(tmp_path, "good.deriv", GOOD), write(tmp_path, "broken.deriv", "log p(x)\n= (\n")
    targets = ["elbo", good, broken, "kl-nonneg", good]
    one = run("check", "--json", "--no-numeric", "-j", "1", *targets)
    two = run("check", "--json", "--no-numeric", "-j", "2", *targets)
    assert one.exit_code == two.exit_code == 2
    assert json.loads(one.stdout) == json.loads(two.stdout)
    files = json.loads(two.stdout)["files"]
    assert [f["file"] for f in files] == targets
    assert [f["ok"] for f in files] == [True, True, False, True, True]
    assert files[2]["error"]["line"] == 2
    assert two.stderr.startswith(f"{broken}:2:")


def test_derive_and_latex_accept_files(tmp_path):
    f = write(tmp_path, "good.deriv", GOOD)
    r = run("derive", f)
    assert r.exit_code == 0 and "✓ verified" in r.output
    r = run("latex", "--fragment", f)
    assert r.exit_code == 0
    assert r.output == ("\\begin{align*}\n\\log p(x) &= \\log p(x, z) - \\log p(z \\mid x) "
                        "&& \\checkmark\\ \\text{product-rule}\n\\end{align*}\n")


def test_an_unexpected_exception_is_an_internal_error_not_a_traceback(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr("elbo_sym.checker.check_derivation", broken)
    f = write(tmp_path, "good.deriv", GOOD)
    r = run("check", f)
    assert r.exit_code == 3
    assert r.stderr.startswith(f"{f}: internal error: KeyError: 'boom'")
    assert "Traceback" not in r.output
