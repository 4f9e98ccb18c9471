"""The one pipeline (Source -> Document -> check -> Report -> renderers) and its one report:
the CLI's --json and the MCP server's result validated against the JSON Schema shipped in the
package; one suffix table; a file read once; ``derive`` and ``check`` agree on a document;
every format shows the same rules beside a step."""
import builtins
import io
import json

import pytest
from click.testing import CliRunner

jsonschema = pytest.importorskip("jsonschema")

from elbo_sym import cli, mcp_server, pipeline  # noqa: E402
from elbo_sym.report_model import schema  # noqa: E402

SWAPPED = ('derivation swapped "Swapped conditional"\n  log p(x)\n'
           '  = log p(x, z) - log p(z | x)    by product-rule\n'
           '  = log p(x, z) - log p(x | z)    by bayes-rule\n')
MARKDOWN = ("# Notes\n\n$$\n\\begin{aligned}\n\\log p(x) &= \\log p(x, z) - \\log p(z \\mid x)"
            " && \\text{by product-rule} \\\\\n&= \\log p(x, z) - \\log p(x \\mid z)"
            " && \\text{by bayes-rule}\n\\end{aligned}\n$$\n\n"
            "$$\n\\log p(x) \\le \\frac{1}{0\n$$\n")
EXTRA = ('derivation extra "Extra citation"\n  log p(x)\n'
         '  = log p(x, z) - log p(z | x)     by product-rule, linearity\n')


def _validate(data, definition=None):
    root = schema()
    target = root if definition is None else {"$ref": f"#/$defs/{definition}",
                                              "$defs": root["$defs"]}
    jsonschema.validate(data, target, cls=jsonschema.Draft202012Validator)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _cli_json(*args):
    result = CliRunner().invoke(cli.main, list(args))
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def files(tmp_path):
    return {"deriv": _write(tmp_path, "swapped.deriv", SWAPPED),
            "md": _write(tmp_path, "notes.md", MARKDOWN),
            "bad": _write(tmp_path, "bad.deriv", "log p(x)\n= log p(x\n")}


def test_the_schema_is_package_data_and_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("which", ["deriv", "md", "builtin", "bad"])
def test_the_cli_json_follows_the_schema(files, which):
    target = "gaussian-kl" if which == "builtin" else files[which]
    code, data = _cli_json("check", "--json", "--no-explain", target)
    _validate(data)
    entry = data["files"][0]
    assert code == {"deriv": 1, "md": 1, "builtin": 0, "bad": 2}[which]
    assert entry["ok"] is (which == "builtin")
    if which == "bad":
        assert entry["error"]["line"] == 2 and entry["derivations"] == []


def test_the_mcp_results_follow_the_schema_of_a_file():
    wrong = mcp_server.check_derivation(SWAPPED)
    markdown = mcp_server.check_derivation(MARKDOWN, "md")
    builtin = mcp_server.derive("gaussian-kl")
    broken = mcp_server.check_derivation("log p(x)\n= log p(x\n")
    unknown = mcp_server.derive("no-such-thing")
    for result in (wrong, markdown, builtin, broken, unknown):
        _validate(result, "file")
        _validate({"ok": result["ok"], "files": [result]})   # the CLI's shape, one entry
    assert [s["verdict"] for s in wrong["derivations"][0]["steps"]] == ["verified", "refuted"]
    assert markdown["displays"]["checked"] == 1 and len(markdown["displays"]["skipped"]) == 1
    assert broken["error"]["line"] == 2 and broken["ok"] is False


def test_the_cli_and_the_mcp_server_give_one_step_shape(files):
    _, data = _cli_json("check", "--json", files["deriv"])
    cli_step = data["files"][0]["derivations"][0]["steps"][1]
    mcp_step = mcp_server.check_derivation(SWAPPED)["derivations"][0]["steps"][1]
    assert set(cli_step) == set(mcp_step)
    assert cli_step["column"] == mcp_step["column"] == 3
    assert cli_step["residual"] == mcp_step["residual"] == "−log p(z) + log p(x)"
    assert cli_step["source"] == "log p(x, z) - log p(x | z)"
    assert set(cli_step["counterexample"]) == {"x", "z"}
    values = list(cli_step["counterexample"].values()) + list(
        cli_step["numeric"]["counterexample"].values())
    assert all(isinstance(v, str) for v in values)          # one representation: strings


def test_one_suffix_table():
    assert pipeline.SUFFIXES == {".deriv": "deriv", ".md": "md", ".markdown": "md",
                                 ".tex": "tex", ".latex": "tex", ".ipynb": "ipynb"}
    assert [pipeline.kind_of_path(f"a{s.upper()}") for s in pipeline.SUFFIXES] == \
        list(pipeline.SUFFIXES.values())
    assert pipeline.kind_of_path("notes.txt") == "deriv"
    assert pipeline.kind_of_path("-", "md") == "md"
    assert not hasattr(cli, "DOCUMENT_SUFFIXES")


def test_a_directory_holds_the_files_of_the_table(tmp_path):
    for suffix in list(pipeline.SUFFIXES) + [".txt"]:
        _write(tmp_path, f"a{suffix}", "x\n")
    found = sorted(p.rsplit(".", 1)[1] for p in cli._inside(str(tmp_path)))
    assert found == ["deriv", "ipynb", "latex", "markdown", "md", "tex"]


def test_a_source_is_read_once(files, monkeypatch):
    opened = []

    def counting(real):
        def open_(file, *args, **kwargs):
            if str(file) == files["md"]:
                opened.append(file)
            return real(file, *args, **kwargs)
        return open_

    monkeypatch.setattr(builtins, "open", counting(builtins.open))
    monkeypatch.setattr(io, "open", counting(io.open))
    from elbo_sym.batch import Options, check_target

    report = check_target(files["md"], Options())
    assert len(opened) == 1
    assert [r.column for r in report.records] == [1, 1]   # the columns from the one reading


def test_a_source_knows_its_kind(files):
    assert pipeline.source_of("elbo").kind == pipeline.BUILTIN
    md = pipeline.source_of(files["md"])
    assert (md.kind, md.name, md.text) == ("md", files["md"], MARKDOWN)
    stdin = pipeline.source_of("-", "tex", "x")
    assert (stdin.kind, stdin.name) == ("tex", "<stdin>")
    with pytest.raises(pipeline.UnknownTarget):
        pipeline.source_of("no-such-file.deriv")


def test_a_deriv_file_is_a_document_with_nothing_skipped(files):
    document = pipeline.read_document(pipeline.source_of(files["deriv"]))
    assert [c.derivation.name for c in document.chains] == ["swapped"]
    assert document.skipped == () and document.notes() == [] and document.displays() is None
    md = pipeline.read_document(pipeline.source_of(files["md"]))
    assert len(md.chains) == 1 and len(md.skipped_chains) == 1


def test_derive_and_check_of_a_document_give_the_same_verdicts(files):
    _, checked = _cli_json("check", "--json", files["md"])
    _, derived = _cli_json("derive", "--json", files["md"])
    verdicts = [[s["verdict"] for d in f["derivations"] for s in d["steps"]]
                for f in (checked["files"][0], derived["files"][0])]
    assert verdicts[0] == verdicts[1] == ["verified", "refuted"]


def test_every_format_shows_the_rules_used_and_the_cited_where_they_differ(tmp_path):
    path = _write(tmp_path, "extra.deriv", EXTRA)
    shown = "product-rule (cited: product-rule, linearity)"
    for fmt in ("text", "markdown", "html"):
        out = CliRunner().invoke(cli.main, ["check", "--no-numeric", "--format", fmt, path])
        assert out.exit_code == 0 and shown in out.stdout, fmt
    latex = CliRunner().invoke(cli.main, ["latex", "--fragment", path]).stdout
    assert "\\text{" + shown + "}" in latex


def test_the_api_report_is_the_same_model():
    import elbo_sym

    report = elbo_sym.check(SWAPPED)
    _validate(report.to_json(), "file")
    step = report.steps[1]
    assert (step.verdict, step.column, step.source) == ("refuted", 3,
                                                        "log p(x, z) - log p(x | z)")
    assert report.located() == report.to_json()["located"]
