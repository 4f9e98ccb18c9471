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
from typing import Any, Iterable, List, Optional, Protocol, Sequence

from ..relations import VERIFIED
from .document import MARKS as LATEX_MARKS
from .document import rules_column
from .escape import markdown_code, markdown_fence
from .escape import markdown_text as escape
from .latex import definition_latex, latex, latex_relation, model_latex, unread_source
from .report import MARKS, tally, with_facts


class Section(Protocol):
    """What a report section holds: a file (or built-in) name, its checked derivations
    (``DerivationResult``s), and the error that stopped it ("" when none)."""
    @property
    def target(self) -> str: ...

    @property
    def results(self) -> Sequence[Any]: ...

    @property
    def error(self) -> str: ...


def _text(s: str) -> str:
    r"""Plain text inside ``\text{...}`` that KaTeX and MathJax both accept."""
    return re.sub(r"[\\{}$&#%^_~]", lambda m: {"\\": "/", "~": "-", "^": "'"}.get(
        m.group(), "\\" + m.group()), s)


def _justification(step, result) -> str:
    return rf"&& {LATEX_MARKS[result.verdict]}\ \text{{{_text(rules_column(step, result))}}}"


def aligned(result) -> str:
    r"""The chain as ``\begin{aligned} ... \end{aligned}``: the first line starts with the
    chain's start, every line shows its step's mark and rules on the right."""
    d = result.derivation
    lines = []
    for i, (step, res) in enumerate(zip(d.steps, result.steps)):
        head = latex(d.start) if i == 0 else ""
        lines.append(f"{head} &{latex_relation(step.relation)} {latex(step.expr)} "
                     f"{_justification(step, res)}")
    if not lines:
        lines.append(latex(d.start))
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def display(result) -> str:
    """The chain as a display block: ``$$`` on a line of its own around ``aligned``."""
    return "$$\n" + aligned(result) + "\n$$"


def _inline(tex: str) -> str:
    return f"${tex.strip()}$"


def conclusion_latex(result) -> str:
    d = result.derivation
    return f"{latex(d.start)} {latex_relation(d.conclusion_relation)} {latex(d.end)}"


def _fact(lhs, relation, rhs) -> str:
    return _inline(f"{latex(lhs)} {latex_relation(relation)} {latex(rhs)}")


def step_details(res, words=None, math=None, strong=None) -> List[str]:
    """Why a step is not verified: the reason, the residual and any counterexample as math,
    the numeric judge's finding, the suggestions; or the warning of a short citation. As
    Markdown by default; ``words`` (prose), ``math`` (a LaTeX string) and ``strong`` render
    the pieces for another format (the HTML report passes its own)."""
    words = words or escape
    math = math or _inline
    strong = strong or (lambda s: f"**{s}**")
    if res.verdict == VERIFIED:
        if res.missing:
            return ["the cited rules do not suffice; also needed: "
                    + words(", ".join(res.missing))]
        return []
    if res.inconsistent:
        return [strong("internal inconsistency") + ": " + words(res.reason or "")]
    out = [words(res.reason or "not shown")]
    if res.residual is not None:
        out.append("residual in normal form: " + math(latex(res.residual)))
    if res.counterexample:
        values = ", ".join(f"{latex(s)} = {latex(v)}" for s, v in res.counterexample)
        out.append("counterexample: " + math(values))
    numeric = res.numeric
    if numeric is not None and numeric.status == "violated":
        out.append("numerically " + words(numeric.message))
    elif numeric is not None and numeric.status == "not-applicable":
        out.append("numeric judge: " + words(numeric.message or "not applicable"))
    for s in getattr(res, "suggestions", ()):   # nearby steps the checker verified
        rules = ", ".join(s.rules) or "algebra"
        out.append("did you mean: " + math(f"{latex_relation(s.relation)} {s.latex or latex(s.expression)}")
                   + " (" + words(f"{s.edit}; verified by {rules}") + ")")
    return out


def as_written(expr, code=markdown_code) -> List[str]:
    """For a row that was not read, its source shown as text (``code`` escapes it): in the math
    it is only a placeholder. Empty for any other row."""
    source = unread_source(expr)
    return [] if source is None else ["not read, as written: " + code(source)]


def derivation_markdown(result, file: Optional[str] = None, strict: bool = False) -> str:
    d = result.derivation
    title = f"{d.name}: {d.title}" if d.title else d.name
    out = [f"### {escape(title)}", ""]
    facts = []
    if file:
        facts.append(markdown_code(file))
    if d.source:
        facts.append("source: " + escape(d.source))
    if facts:
        out += [" · ".join(facts), ""]
    for definition in d.definitions:
        out.append(f"where {_inline(definition_latex(definition))}  ")
    for model in d.models:
        out.append(f"model {_inline(model_latex(model))}  ")
    if d.definitions or d.models:
        out.append("")
    out += [display(result), ""]
    listed = False
    for detail in as_written(d.start):
        where = f" (line {d.start_line})" if d.start_line is not None else ""
        out += [f"- **start**{where}:", f"  - {detail}"]
        listed = True
    for i, (step, res) in enumerate(zip(d.steps, result.steps), 1):
        details = as_written(step.expr) + step_details(res)
        if not details:
            continue
        where = f" (line {step.line})" if step.line is not None else ""
        out.append(f"- **step {i}**{where}: {MARKS[res.verdict]} {res.verdict}")
        out += [f"  - {detail}" for detail in details]
        listed = True
    if listed:
        out.append("")
    verdict = "every step verified" if result.ok(strict) else "**not** every step verified"
    line = with_facts(f"**Conclusion:** {_inline(conclusion_latex(result))}", result, _fact)
    out.append(f"{line} ({verdict}: {tally(result)})")
    return "\n".join(out)


def notes_markdown(notes: Sequence[str]) -> List[str]:
    """A document's last lines (displays checked, declared, skipped: ``summary_lines``) as a
    paragraph and a list, every line plain text."""
    if not notes:
        return []
    lines = [escape(n.strip()) for n in notes]   # one line each, whatever was read
    return [lines[0]] + [f"- {n}" for n in lines[1:]] + [""]


def markdown_report(sections: Iterable[Section], strict: bool = False,
                    summary: Optional[str] = None) -> str:
    """The whole run as one Markdown document."""
    out = ["# Derivations checked by elbo-check", ""]
    for section in sections:
        if section.error:
            out += [markdown_fence(section.error), ""]
            continue
        file = section.target if section.target and section.results and \
            section.target != section.results[0].derivation.name else None
        for result in section.results:
            out += [derivation_markdown(result, file, strict), ""]
        out += notes_markdown(getattr(section, "notes", ()))
    if summary:
        out += [escape(summary), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def latex_display(results: Iterable) -> str:
    r"""What a notebook shows for ``_repr_latex_``: each chain as ``$$\begin{aligned}...$$``."""
    return "\n".join(f"$${aligned(r)}$$" for r in results)
