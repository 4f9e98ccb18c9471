r"""Checked derivations as Markdown: headings, one display of math per chain, the reasons of the
steps that are not verified as a list, the conclusion.

The math is written for both renderers people meet: GitHub (``$$ ... $$`` blocks on lines of
their own, inline ``$...$`` with no space inside the dollars) and KaTeX (``aligned``, not
``align*``, which is an environment of its own that KaTeX refuses inside ``$$``). Only
commands KaTeX supports are used (``\checkmark``, ``\times``, ``\text``); the tests render
every block with the real KaTeX. The same ``aligned`` display is what a notebook shows for
``_repr_latex_``.
"""
import re
from typing import TYPE_CHECKING, Callable, Iterable, List, Optional, Sequence

from ..relations import VERIFIED, latex_symbol
from .document import MARKS as LATEX_MARKS
from .document import rules_column
from .escape import markdown_code, markdown_fence
from .escape import markdown_text as escape
from .report import MARKS, convention_line, tally, with_facts

if TYPE_CHECKING:  # pragma: no cover - for the annotations only
    from ..report_model import DerivationReport, DocumentReport, StepReport

def _text(s: str) -> str:
    r"""Plain text inside ``\text{...}`` that KaTeX and MathJax both accept."""
    return re.sub(r"[\\{}$&#%^_~]", lambda m: {"\\": "/", "~": "-", "^": "'"}.get(
        m.group(), "\\" + m.group()), s)


def _justification(step: "StepReport") -> str:
    return rf"&& {LATEX_MARKS[step.verdict]}\ \text{{{_text(rules_column(step))}}}"


def aligned(d: "DerivationReport") -> str:
    r"""The chain as ``\begin{aligned} ... \end{aligned}``: the first line starts with the
    chain's start, every line shows its step's mark and rules on the right."""
    lines = []
    for i, step in enumerate(d.steps):
        head = d.start.latex if i == 0 else ""
        lines.append(f"{head} &{latex_symbol(step.relation)} {step.latex} "
                     f"{_justification(step)}")
    if not lines:
        lines.append(d.start.latex)
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def display(d: "DerivationReport") -> str:
    """The chain as a display block: ``$$`` on a line of its own around ``aligned``."""
    return "$$\n" + aligned(d) + "\n$$"


def _inline(tex: str) -> str:
    return f"${tex.strip()}$"


def conclusion_latex(d: "DerivationReport") -> str:
    return d.conclusion_latex


def step_details(step: "StepReport", words: Optional[Callable[[str], str]] = None,
                 math: Optional[Callable[[str], str]] = None,
                 strong: Optional[Callable[[str], str]] = None) -> List[str]:
    """Why a step is not verified: the reason, the residual and any counterexample as math,
    the numeric judge's finding, the suggestions; or the warning of a short citation. As
    Markdown by default; ``words`` (prose), ``math`` (a LaTeX string) and ``strong`` render
    the pieces for another format (the HTML report passes its own)."""
    words = words or escape
    math = math or _inline
    strong = strong or (lambda s: f"**{s}**")
    if step.verdict == VERIFIED:
        if step.missing_rules:
            return ["the cited rules do not suffice; also needed: "
                    + words(", ".join(step.missing_rules))]
        return []
    if step.inconsistent:
        return [strong("internal inconsistency") + ": " + words(step.checker_reason)]
    out = [words(step.checker_reason or "not shown")]
    if step.residual_latex is not None:
        out.append("residual in normal form: " + math(step.residual_latex))
    if step.counterexample_latex:
        out.append("counterexample: " + math(step.counterexample_latex))
    numeric = step.numeric
    if numeric is not None and numeric.status == "violated":
        out.append("numerically " + words(numeric.message))
    elif numeric is not None and numeric.status == "not-applicable":
        out.append("numeric judge: " + words(numeric.message or "not applicable"))
    for s, tex in zip(step.suggestions, step.suggestion_latex):   # nearby verified steps
        rules = ", ".join(s["rules"]) or "algebra"
        out.append("did you mean: " + math(f"{latex_symbol(s['relation'])} {tex}")
                   + " (" + words(f"{s['edit']}; verified by {rules}") + ")")
    return out


def as_written(unread: Optional[str], code: Callable[[str], str] = markdown_code) -> List[str]:
    """For a row that was not read (``unread``: its source), that source shown as text
    (``code`` escapes it): in the math it is only a placeholder. Empty for any other row."""
    return [] if unread is None else ["not read, as written: " + code(unread)]


def derivation_markdown(d: "DerivationReport", file: Optional[str] = None) -> str:
    title = f"{d.name}: {d.title}" if d.title else d.name
    out = [f"### {escape(title)}", ""]
    facts = []
    if file:
        facts.append(markdown_code(file))
    if d.reference:
        facts.append("source: " + escape(d.reference))
    if facts:
        out += [" · ".join(facts), ""]
    for definition in d.definitions_latex:
        out.append(f"where {_inline(definition)}  ")
    for model in d.models_latex:
        out.append(f"model {_inline(model)}  ")
    for convention in d.conventions:
        out.append(escape(convention_line(convention)) + "  ")
    if d.definitions_latex or d.models_latex or d.conventions:
        out.append("")
    out += [display(d), ""]
    listed = False
    for detail in as_written(d.start.unread):
        where = f" (line {d.start_line})" if d.start_line is not None else ""
        out += [f"- **start**{where}:", f"  - {detail}"]
        listed = True
    for i, step in enumerate(d.steps, 1):
        details = as_written(step.unread) + step_details(step)
        if not details:
            continue
        where = f" (line {step.line})" if step.line is not None else ""
        out.append(f"- **step {i}**{where}: {MARKS[step.verdict]} {step.verdict}")
        out += [f"  - {detail}" for detail in details]
        listed = True
    if listed:
        out.append("")
    verdict = "every step verified" if d.ok else "**not** every step verified"
    line = with_facts(f"**Conclusion:** {_inline(d.conclusion_latex)}",
                      [_inline(a) for a in d.assumptions_latex],
                      [_inline(c) for c in d.conditions_latex])
    out.append(f"{line} ({verdict}: {tally(d)})")
    return "\n".join(out)


def notes_markdown(notes: Sequence[str]) -> List[str]:
    """A document's last lines (displays checked, declared, skipped: ``summary_lines``) as a
    paragraph and a list, every line plain text."""
    if not notes:
        return []
    lines = [escape(n.strip()) for n in notes]   # one line each, whatever was read
    return [lines[0]] + [f"- {n}" for n in lines[1:]] + [""]


def file_label(report: "DocumentReport") -> Optional[str]:
    """The file's name above each of its chains, or None when it says nothing more than the
    chain's own name (a built-in) or there are no chains."""
    if report.file and report.derivations and report.file != report.derivations[0].name:
        return report.file
    return None


def markdown_report(reports: Iterable["DocumentReport"], summary: Optional[str] = None) -> str:
    """The whole run as one Markdown document."""
    out = ["# Derivations checked by elbo-check", ""]
    for report in reports:
        if report.error:
            out += [markdown_fence(report.error.text), ""]
            continue
        file = file_label(report)
        for d in report.derivations:
            out += [derivation_markdown(d, file), ""]
        out += notes_markdown(report.notes)
    if summary:
        out += [escape(summary), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def latex_display(derivations: Iterable["DerivationReport"]) -> str:
    r"""What a notebook shows for ``_repr_latex_``: each chain as ``$$\begin{aligned}...$$``."""
    return "\n".join(f"$${aligned(d)}$$" for d in derivations)
