"""Report formats and CLI conventions (issue 11): --format text|json|github|markdown|html,
located lines and the summary line, colour, terminal width, directories, python -m elbo_sym,
and the LaTeX document's legend, rule column and numeric second look."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from elbo_sym.cli import colour_wanted, main

from conftest import write

ROOT = Path(__file__).resolve().parent.parent
KATEX_DIR = ROOT / "tests" / "katex"

GOOD = ('derivation good "Product rule"\n  log p(x)\n'
        '  = log p(x, z) - log p(z | x)    by product-rule\n')
WRONG = ('derivation swapped "Swapped conditional"\n  log p(x)\n'
         '  = log p(x, z) - log p(z | x)    by product-rule\n'
         '  = log p(x, z) - log p(x | z)    by bayes-rule\n')
SHORT_CITATION = ('derivation short "A citation short of a rule"\n'
                  '  KL(q(z | x) || p(z))\n'
                  '  = E_{q(z | x)}[log q(z | x)] - E_{q(z | x)}[log p(z)]    by linearity\n')


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env)


# ---------------------------------------------------------------- text


def test_text_adds_a_located_line_per_failing_step_and_one_summary_line(tmp_path):
    f = write(tmp_path, "swapped.deriv", WRONG)
    r = run("check", f)
    assert r.exit_code == 1
    lines = r.output.rstrip("\n").splitlines()
    assert lines[-1] == ("elbo-check: 1 step not verified (1 refuted) in 1 of 1 derivation; "
                         "2 steps checked: 1 verified, 1 refuted, 0 unknown")
    located = [ln for ln in lines if re.match(re.escape(f) + r":\d+:\d+: ", ln)]
    assert located == [f"{f}:4:3: refuted: swapped, step 2: the two sides differ (residual: "
                       "left − right); residual in normal form: −log p(z) + log p(x); "
                       "numerically violated at x = 0.4109, z = -0.6906: left = -3.268, "
                       "right = -1.041"]
    unknown = run("check", "--no-numeric", f).output
    assert f"{f}:4:3: unknown: swapped, step 2: the two sides differ" in unknown


def test_a_verified_run_ends_with_the_summary_only(tmp_path):
    f = write(tmp_path, "good.deriv", GOOD)
    r = run("check", f)
    assert r.exit_code == 0
    assert f"{f}:" not in r.output.replace(f"{f}: good", "")
    assert r.output.rstrip("\n").splitlines()[-1] == (
        "elbo-check: every step verified in 1 derivation; 1 step checked: 1 verified, "
        "0 refuted, 0 unknown")


def test_quiet_located_lines_say_where_and_what_only(tmp_path):
    f = write(tmp_path, "swapped.deriv", WRONG)
    r = run("check", "-q", f)
    assert f"{f}:4:3: refuted: swapped, step 2\n" in r.output


# ---------------------------------------------------------------- github


def test_github_annotations_for_failing_steps_and_input_errors(tmp_path):
    wrong = write(tmp_path, "swapped.deriv", WRONG)
    broken = write(tmp_path, "broken.deriv", "log p(x)\n= log p(x,, z)\n")
    good = write(tmp_path, "good.deriv", GOOD)
    r = run("check", "--format", "github", wrong, broken, good)
    assert r.exit_code == 2
    out = r.stdout.splitlines()
    errors = [ln for ln in out if ln.startswith("::error ")]
    assert len(errors) == 2
    assert errors[0].startswith(f"::error file={wrong},line=4,col=3,"
                                "title=elbo-check%3A refuted::swapped, step 2: the two sides differ")
    assert errors[1].startswith(f"::error file={broken},line=2,col=")
    assert "title=elbo-check%3A error::" in errors[1]
    assert out[-1].startswith("elbo-check: 1 step not verified (1 refuted) in 1 of 2 derivations; "
                              "1 file with an error;")


def test_github_escapes_newlines_and_percent_in_messages():
    from elbo_sym.printing.located import StepRecord, github_line

    rec = StepRecord("a,b:c.deriv", "d", 1, 2, 3, "unknown", "50% sure\nreally", "", True)
    assert github_line(rec) == ("::error file=a%2Cb%3Ac.deriv,line=2,col=3,"
                                "title=elbo-check%3A unknown::d, step 1: 50%25 sure%0Areally")


# ---------------------------------------------------------------- json alias


def test_json_is_an_alias_of_format_json(tmp_path):
    f = write(tmp_path, "swapped.deriv", WRONG)
    a, b = run("check", "--json", f), run("check", "--format", "json", f)
    assert a.exit_code == b.exit_code == 1
    assert json.loads(a.stdout) == json.loads(b.stdout)
    assert json.loads(run("derive", "--format", "json", "elbo").stdout)["ok"] is True


# ---------------------------------------------------------------- markdown + KaTeX


def _math_blocks(markdown):
    """(tex, display) for every $$ block and every inline $...$ of a Markdown text."""
    blocks = [(m.group(1), True) for m in re.finditer(r"^\$\$\n(.*?)\n\$\$$", markdown, re.S | re.M)]
    rest = re.sub(r"^\$\$\n.*?\n\$\$$", "", markdown, flags=re.S | re.M)
    inline = [(m.group(1), False) for m in re.finditer(r"(?<![\\$])\$([^$\n]+?)(?<!\\)\$", rest)]
    return blocks + inline


def _katex_errors(formulas):
    node = shutil.which("node")
    if node is None or not (KATEX_DIR / "node_modules" / "katex").is_dir():
        pytest.skip("node and the npm package katex (npm install in tests/katex) are needed")
    done = subprocess.run([node, str(KATEX_DIR / "render.js")], input=json.dumps(
        [{"tex": t, "display": d} for t, d in formulas]), capture_output=True, text=True,
        cwd=KATEX_DIR, timeout=120, check=True)
    return json.loads(done.stdout)


def test_katex_rejects_what_it_cannot_render():
    # the harness itself: align* inside display math is an error under KaTeX
    errors = _katex_errors([(r"\begin{align*} a &= b \end{align*}", False), (r"a \le b", False)])
    assert errors[0] and errors[1] == ""


def test_every_markdown_math_block_renders_with_katex(tmp_path):
    wrong = write(tmp_path, "swapped.deriv", WRONG)
    short = write(tmp_path, "short.deriv", SHORT_CITATION)
    examples = sorted(str(p) for p in (ROOT / "examples").glob("*.deriv"))
    r = run("check", "--format", "markdown", wrong, short, *examples)
    assert r.exit_code == 1, r.stderr
    d = run("derive", "--all", "--format", "markdown")
    assert d.exit_code == 0
    formulas = _math_blocks(r.stdout) + _math_blocks(d.stdout)
    assert sum(1 for _, display in formulas if display) >= len(examples) + 2
    assert any(r"\times" in t for t, _ in formulas)                  # the refuted step
    assert any(t.startswith(r"- \log p(z)") for t, _ in formulas)    # its residual, inline
    assert all(r"\begin{aligned}" in t for t, display in formulas if display)
    errors = _katex_errors(formulas)
    bad = [(t, e) for (t, _), e in zip(formulas, errors) if e]
    assert bad == []


def test_markdown_shows_reasons_and_the_conclusion(tmp_path):
    f = write(tmp_path, "swapped.deriv", WRONG)
    out = run("check", "--format", "markdown", f).stdout
    assert out.startswith("# Derivations checked by elbo-check\n")
    assert "### swapped: Swapped conditional" in out
    assert "- **step 2** (line 4): ✗ refuted" in out
    assert "  - residual in normal form: $- \\log p(z) + \\log p(x)$" in out
    assert "**Conclusion:** $\\log p(x) = \\log p(x, z) - \\log p(x \\mid z)$" in out


# ---------------------------------------------------------------- html + Chromium


def _html(tmp_path):
    wrong = write(tmp_path, "swapped.deriv", WRONG)
    good = write(tmp_path, "good.deriv", GOOD)
    page = tmp_path / "report.html"
    r = run("check", "--format", "html", "-o", str(page), wrong, good)
    assert r.exit_code == 1 and r.stdout == ""
    return page, page.read_text(encoding="utf-8")


def test_html_is_one_self_contained_page(tmp_path):
    _, page = _html(tmp_path)
    assert page.startswith("<!DOCTYPE html>")
    # nothing to fetch: no script, no stylesheet link, no image; the only URL is MathML's
    # namespace, which names the vocabulary and is never fetched
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/1998/Math/MathML"}
    assert page.count("<math ") > 6
    assert '<span class="verdict refuted">✗ refuted</span>' in page
    assert '<span class="verdict verified">✓ verified</span>' in page
    assert "residual in normal form: <math" in page
    assert "numerically violated at" in page
    assert "elbo-check: 1 step not verified" in page


def _png_pixels(data):
    """(width, height, rows of RGBA tuples) of an 8-bit RGB/RGBA PNG, not interlaced."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0
    channels = 4 if colour == 6 else 3
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, channels)])
        previous = line
    return width, height, rows


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_html_renders_in_headless_chromium(tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium is not installed (.ci/run installs the Debian package)")
    page, _ = _html(tmp_path)
    shot = tmp_path / "report.png"
    profile = tmp_path / "profile"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
                    "--hide-scrollbars", "--window-size=1200,900", f"--screenshot={shot}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 900)
    colours = {px for row in rows[::2] for px in row[::2]}
    # the verdict badges were drawn with their colours: green verified, red refuted
    assert (0xda, 0xfb, 0xe1) in colours and (0xff, 0xeb, 0xe9) in colours
    # and text was drawn (dark pixels), not an error page or a blank one
    assert sum(1 for row in rows for px in row if sum(px) < 200) > 2000


# ---------------------------------------------------------------- colour and width


class _Stream:
    def __init__(self, tty):
        self.tty = tty

    def isatty(self):
        return self.tty


@pytest.mark.parametrize("env, tty, choice, expected", [
    ({}, True, "auto", True),
    ({}, False, "auto", False),
    ({"NO_COLOR": "1"}, True, "auto", False),
    ({"NO_COLOR": ""}, True, "auto", True),             # an empty NO_COLOR is unset
    ({"FORCE_COLOR": "1"}, False, "auto", True),
    ({"FORCE_COLOR": ""}, False, "auto", False),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, "auto", False),
    ({"NO_COLOR": "1"}, False, "always", True),         # the command line wins
    ({"FORCE_COLOR": "1"}, True, "never", False),
])
def test_colour_choice(monkeypatch, env, tty, choice, expected):
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert colour_wanted(choice, _Stream(tty)) is expected


def test_color_always_colours_a_pipe_and_never_does_not(tmp_path):
    f = write(tmp_path, "swapped.deriv", WRONG)
    always = run("check", "--color", "always", f, env={"NO_COLOR": "1"})
    assert "\x1b[31m\x1b[1m✗ refuted\x1b[0m" in always.stdout
    never = run("check", "--no-numeric", "--color", "never", f, env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in never.stdout
    forced = run("check", "--no-numeric", f, env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[32m\x1b[1m✓ verified\x1b[0m" in forced.stdout


def test_long_lines_fit_the_terminal_width(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = "swapped.deriv"
    write(tmp_path, f, WRONG)
    wide = run("check", "--no-explain", f).stdout
    assert max(len(ln) for ln in wide.splitlines()) > 60
    narrow = run("check", "--no-explain", f, env={"COLUMNS": "60"}).stdout
    lines = narrow.splitlines()
    located = [ln for ln in lines if ln.startswith(f"{f}:4:3: refuted")]
    assert len(located) == 1                           # located lines stay whole for tools
    assert max(len(ln) for ln in lines if ln not in located) <= 60
    report = narrow.split(located[0])[0]
    assert "✗ refuted  line 4: by bayes-rule" in report
    # the words are all there, only the lines are broken
    wide_report = wide.split(located[0])[0]
    assert " ".join(report.split()) == " ".join(wide_report.split())


# ---------------------------------------------------------------- targets


def test_a_directory_checks_every_derivation_file_inside(tmp_path):
    write(tmp_path, "b/good.deriv", GOOD)
    write(tmp_path, "a.deriv", WRONG)
    write(tmp_path, "notes.md", "A note.\n\n$$\n\\log p(x) = \\log p(x, z) - \\log p(z \\mid x)\n$$\n")
    write(tmp_path, ".hidden/skip.deriv", WRONG)
    write(tmp_path, "readme.txt", "not a derivation")
    r = run("check", "--json", "--no-numeric", str(tmp_path))
    assert r.exit_code == 1
    files = [entry["file"] for entry in json.loads(r.stdout)["files"]]
    assert files == [str(tmp_path / "a.deriv"), str(tmp_path / "notes.md"),
                     str(tmp_path / "b" / "good.deriv")]


def test_python_dash_m_elbo_sym_runs_the_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "elbo_sym", "list"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("elbo ")
    done = subprocess.run([sys.executable, "-m", "elbo_sym", "--help"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.stdout.startswith("Usage: elbo-check ")


def test_no_top_level_module_named_cli_is_installed(tmp_path):
    # from outside the checkout, 'cli' is not importable: the package installs only elbo_sym
    done = subprocess.run([sys.executable, "-c", "import importlib.util as u; "
                           "print(u.find_spec('cli'), u.find_spec('elbo_sym.cli') is not None)"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          env={**os.environ, "PYTHONPATH": ""})
    assert done.stdout.split() == ["None", "True"]
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'elbo-check = "elbo_sym.cli:main"' in text and "py-modules" not in text


# ---------------------------------------------------------------- LaTeX


def test_latex_writes_the_document_when_a_step_fails_and_judges_it(tmp_path):
    f = write(tmp_path, "swapped.deriv", WRONG)
    out = tmp_path / "proof.tex"
    r = run("latex", "-o", str(out), f)
    assert r.exit_code == 1
    tex = out.read_text(encoding="utf-8")
    # the numeric judge ran behind the failing step (derive/latex run it by default there)
    assert "&& \\times\\ \\text{bayes-rule}" in tex
    assert "&& \\checkmark\\ \\text{product-rule}" in tex
    assert "$\\checkmark$~verified" in tex and "$\\times$~refuted" in tex and "$?$~unknown" in tex
    off = run("latex", "--no-numeric", "--fragment", f)
    assert off.exit_code == 1


def test_derive_refutes_a_wrong_step_with_the_numeric_judge(tmp_path):
    # the swapped conditional: the symbolic checker alone leaves it unknown
    f = write(tmp_path, "swapped.deriv", WRONG)
    judged = run("derive", f)
    assert judged.exit_code == 1
    assert "✗ refuted" in judged.stdout and "numerically violated at" in judged.stdout
    symbolic = run("derive", "--no-numeric", f)
    assert "? unknown" in symbolic.stdout and "numerically" not in symbolic.stdout


def test_the_rule_column_shows_the_rules_cited_and_the_missing_ones(tmp_path):
    f = write(tmp_path, "short.deriv", SHORT_CITATION)
    r = run("latex", "--fragment", f)
    assert r.exit_code == 0
    assert "&& \\checkmark\\ \\text{linearity; also needed: kl-definition}" in r.stdout
    from elbo_sym.derivations import BUILTINS

    full = run("latex", "--fragment", "elbo").stdout
    shown = re.findall(r"&& \\checkmark\\ \\text\{([^}]*)\}", full)
    assert shown == [", ".join(s.rules) for s in BUILTINS["elbo"].steps]
