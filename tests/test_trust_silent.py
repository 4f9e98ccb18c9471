"""Nothing silently passed (issue 16): a display that looks like a chain and could not be read
is reported in every format and fails under --strict; a file where no step was checked is not
a success; and one CheckPolicy decides when the numeric judge runs, so that ``derive``,
``latex`` and ``check`` give a wrong step the same verdict."""
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from conftest import CONFORMANCE
import elbo_sym
from elbo_sym import mcp_server
from elbo_sym.policy import CHECK, DERIVE, CheckPolicy, Numeric
from elbo_sym.readers import check_reading, read_text

# a display with a relation that cannot be read: the bracket is never closed
UNREADABLE = "# Notes\n\n$$ a = \\log p(x \\mid z $$\n"
# display math, but no chain: a single formula
NO_CHAIN = "# Notes\n\nThe evidence:\n\n$$ \\log p(x) $$\n"
# one chain that is read and verified, and one display with a relation that is skipped
PARTLY = ("$$\n\\nabla_z \\log p(z) = 0\n$$\n\n"
          "$$\n\\log p(x) = \\log p(x, z) - \\log p(z \\mid x)\n$$\n")
# a false step that only the numeric judge refutes (the symbolic checker says unknown)
WRONG_SIGN = ("Note to self:\n\n$$\n\\log p(x) = \\mathbb{E}_{q(z|x)}\\left[\\log "
              "\\frac{p(x,z)}{q(z|x)}\\right] - \\mathrm{KL}\\left(q(z|x) \\| p(z|x)\\right)\n$$\n")
NOTHING = "no step checked: no display was read as a chain (nothing is verified)"


def run(*args):
    return CliRunner().invoke(cli.main, list(args))


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A scratch folder as the working directory: files are named as written."""
    monkeypatch.chdir(tmp_path)

    def write(name, text):
        (tmp_path / name).write_text(text, encoding="utf-8")
        return name
    return write


# -- a document with nothing checked fails, in every format

def test_an_unreadable_chain_is_not_a_success(here):
    name = here("bad.md", UNREADABLE)
    r = run("check", name)
    assert r.exit_code == 1
    assert "  skipped bad.md:3:14: '(' is never closed" in r.output
    assert f"bad.md: {NOTHING}" in r.output
    assert r.output.rstrip().endswith(
        "elbo-check: no step checked in 1 file; 1 display that looks like a chain skipped")


def test_json_says_not_ok_and_lists_the_display(here):
    name = here("bad.md", UNREADABLE)
    r = run("check", "--json", name)
    assert r.exit_code == 1
    doc = json.loads(r.output)
    assert doc["ok"] is False
    entry = doc["files"][0]
    assert entry["ok"] is False and entry["derivations"] == []
    assert entry["displays"] == {"checked": 0, "declared": [], "skipped": [
        {"line": 3, "column": 14, "reason": "'(' is never closed", "has_relation": True}]}


def test_a_document_without_a_chain_fails(here):
    name = here("none.md", NO_CHAIN)
    r = run("check", "--json", name)
    assert r.exit_code == 1
    entry = json.loads(r.output)["files"][0]
    assert entry["ok"] is False
    assert entry["displays"]["skipped"] == [
        {"line": 5, "column": None, "reason": "a single formula, no chain (no relation)",
         "has_relation": False}]
    # a display without a relation is counted, but it is no warning on GitHub
    r = run("check", "--format", "github", name)
    assert r.exit_code == 1
    assert r.output.splitlines() == [
        f"::error file=none.md,title=elbo-check%3A error::{NOTHING}",
        "elbo-check: no step checked in 1 file"]


def test_github_warns_where_a_chain_was_skipped(here):
    name = here("bad.md", UNREADABLE)
    r = run("check", "--format", "github", name)
    assert r.exit_code == 1
    assert r.output.splitlines()[:2] == [
        "::warning file=bad.md,line=3,col=14,title=elbo-check%3A display skipped::"
        "display not checked: '(' is never closed",
        f"::error file=bad.md,title=elbo-check%3A error::{NOTHING}"]


def test_github_escapes_the_file_name_of_a_warning(here):
    name = here("we%ird,name: x.md", UNREADABLE)
    r = run("check", "--format", "github", name)
    assert r.output.splitlines()[0] == (
        "::warning file=we%25ird%2Cname%3A x.md,line=3,col=14,"
        "title=elbo-check%3A display skipped::display not checked: '(' is never closed")


@pytest.mark.parametrize("fmt, line", [
    ("markdown", "- skipped bad.md:3:14: '(' is never closed"),
    ("html", "<li>skipped bad.md:3:14: &#x27;(&#x27; is never closed</li>"),
])
def test_markdown_and_html_list_the_skipped_display(here, fmt, line):
    name = here("bad.md", UNREADABLE)
    r = run("check", "--format", fmt, name)
    assert r.exit_code == 1
    assert line in r.output
    assert "no step checked in 1 file" in r.output


# -- checked steps beside skipped displays: a pass, except under --strict

def test_skipped_displays_beside_checked_steps_pass_unless_strict(here):
    name = here("partly.md", PARTLY)
    r = run("check", "--json", name)
    assert r.exit_code == 0
    entry = json.loads(r.output)["files"][0]
    assert entry["ok"] is True
    assert [s["line"] for s in entry["displays"]["skipped"]] == [2]
    r = run("check", "--strict", "--json", name)
    assert r.exit_code == 1
    doc = json.loads(r.output)
    assert doc["ok"] is False and doc["files"][0]["ok"] is False
    assert [s["verdict"] for d in doc["files"][0]["derivations"] for s in d["steps"]] == \
        ["verified"]
    r = run("check", "--strict", name)
    assert r.exit_code == 1
    assert "1 display that looks like a chain skipped (a failure under --strict)" in r.output
    r = run("check", "--format", "github", name)
    assert r.exit_code == 0
    assert r.output.splitlines()[0].startswith(
        "::warning file=partly.md,line=2,col=1,title=elbo-check%3A display skipped::")


def test_the_conformance_file_with_a_skipped_display_still_verifies():
    path = str(CONFORMANCE / "latex" / "skipped.md")
    assert run("check", path).exit_code == 0
    assert run("check", "--strict", path).exit_code == 1


# -- the API and the MCP tool say the same

def test_api_report_is_not_ok_when_nothing_was_checked():
    report = elbo_sym.check(UNREADABLE, "md", name="bad.md")
    assert report.ok is False and report.exit_code == 1
    assert report.verdicts == []
    assert [(s.line, s.column, s.reason) for s in report.skipped] == \
        [(3, 14, "'(' is never closed")]
    assert report.to_json()["ok"] is False
    assert report.to_json()["displays"]["skipped"][0]["has_relation"] is True
    assert f"bad.md: {NOTHING}" in report.text()


def test_api_report_strict_fails_on_a_skipped_display():
    assert elbo_sym.check(PARTLY, "md").ok is True
    assert elbo_sym.check(PARTLY, "md", strict=True).ok is False
    assert elbo_sym.check(PARTLY, "md", policy=CheckPolicy(strict=True)).ok is False


def test_mcp_tool_is_not_ok_and_lists_the_display():
    result = mcp_server.check_derivation(UNREADABLE, "md")
    assert result["ok"] is False
    assert result["derivations"] == []
    assert result["displays"]["skipped"] == [
        {"line": 3, "column": 14, "reason": "'(' is never closed", "has_relation": True}]
    assert result["notes"][-1] == f"<derivation>: {NOTHING}"


# -- one policy: derive, latex and check agree on a wrong step

def _latex_verdicts(output):
    marks = {r"\checkmark": "verified", r"\times": "refuted", "?": "unknown"}
    return [marks[m] for m in re.findall(r"&& (\\checkmark|\\times|\?)\\ ", output)]


def test_derive_latex_and_check_agree_on_a_step_only_the_numeric_judge_refutes(here):
    name = here("notes.md", WRONG_SIGN)
    assert elbo_sym.check(WRONG_SIGN, "md", numeric=False).verdicts == ["unknown"]
    verdicts = {}
    for command in ("check", "derive"):
        r = run(command, "--json", "--no-explain", name)
        assert r.exit_code == 1, command
        verdicts[command] = [s["verdict"] for f in json.loads(r.output)["files"]
                             for d in f["derivations"] for s in d["steps"]]
    r = run("latex", "--no-explain", name)
    assert r.exit_code == 1
    verdicts["latex"] = _latex_verdicts(r.output)
    assert verdicts == {"check": ["refuted"], "derive": ["refuted"], "latex": ["refuted"]}


def test_check_reading_takes_every_spelling_of_the_policy():
    reading = read_text(WRONG_SIGN, "notes.md", "md")
    for numeric in (True, None, "unverified", Numeric.ALWAYS):
        results = check_reading(reading, numeric=numeric, explain=False)
        assert [s.verdict for r in results for s in r.steps] == ["refuted"], numeric
    results = check_reading(reading, policy=CheckPolicy(numeric=False, explain=False))
    assert [s.verdict for r in results for s in r.steps] == ["unknown"]


def test_the_policy_converts_the_former_encodings_once():
    assert [Numeric.of(v) for v in (True, False, None, "unverified", "always", "never")] == [
        Numeric.ALWAYS, Numeric.NEVER, Numeric.UNVERIFIED, Numeric.UNVERIFIED, Numeric.ALWAYS,
        Numeric.NEVER]
    assert CheckPolicy(numeric=None).numeric is Numeric.UNVERIFIED
    assert (CHECK.numeric, DERIVE.numeric) == (Numeric.ALWAYS, Numeric.UNVERIFIED)
    assert [CheckPolicy(numeric=n).judges(v) for n in Numeric for v in (True, False)] == \
        [True, True, False, True, False, False]
    with pytest.raises(ValueError, match="numeric must be"):
        CheckPolicy(numeric="sometimes")


def test_the_documents_hook_stops_a_staged_file_with_nothing_checked(here):
    yaml = pytest.importorskip("yaml")
    root = Path(__file__).resolve().parent.parent
    hooks = {h["id"]: h for h in yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())}
    entry = hooks["elbo-check-documents"]["entry"].split()
    assert entry[0] == "elbo-check"
    readme = here("README.md", "# A project\n\nNo math here.\n")
    r = run(*entry[1:], readme)
    assert r.exit_code == 1
    assert f"README.md: {NOTHING}" in r.output
