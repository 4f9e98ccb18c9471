"""Checked derivations as one self-contained HTML page: nothing to fetch, no script.

Math is MathML, which browsers draw natively (Chromium since 109, Firefox, Safari), made from
the same LaTeX the documents use by ``latex2mathml`` (pure Python, imported only here). Each
chain is a table: the expression of every step, its verdict in colour (green verified, red
refuted, amber unknown), the rules it cites; under a step that is not verified, its reason,
residual and counterexample. Styles are inline in the page, so it can be mailed or attached
to a review as it is.
"""
from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence

from ..relations import latex_symbol
from .document import rules_column
from .escape import html_text
from .markdown import file_label, step_details
from .report import MARKS, convention_line, tally, with_facts

if TYPE_CHECKING:  # pragma: no cover - for the annotations only
    from ..report_model import DerivationReport, DocumentReport, Row, StepReport

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 72em; padding: 0 1em; color: #1f2328; background: #ffffff; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
.meta { color: #59636e; }
table.chain { border-collapse: collapse; margin: 1em 0; }
table.chain td { padding: 0.35em 0.6em; vertical-align: middle; }
td.rel { text-align: right; }
.verdict { font-weight: bold; white-space: nowrap; border-radius: 0.3em; padding: 0.1em 0.5em; }
.verified { color: #116329; background: #dafbe1; }
.refuted { color: #a40e26; background: #ffebe9; }
.unknown { color: #7d4e00; background: #fff8c5; }
td.rules { color: #59636e; font-size: 0.9em; }
tr.details td { padding-top: 0; }
ul.why { margin: 0 0 0.5em 0; padding-left: 1.2em; font-size: 0.92em; }
.conclusion { margin: 0.5em 0 1.5em 0; }
.summary { border-top: 1px solid #d1d9e0; padding-top: 0.8em; font-weight: bold; }
pre.error { background: #ffebe9; color: #a40e26; padding: 0.6em; white-space: pre-wrap; }
math { font-size: 1.1em; }
"""


def mathml(tex: str, block: bool = False) -> str:
    """MathML for a LaTeX formula (``display="block"`` for a display)."""
    from latex2mathml.converter import convert

    return convert(tex, display="block" if block else "inline")


_e = html_text


def _expr(unread: Optional[str], tex: str) -> str:
    """An expression as MathML; a row that was not read (``unread``: its source) as escaped
    text (never math: its source is input, and need not even be balanced)."""
    if unread is not None:
        return f'<code class="unread" title="not read">{_e(unread)}</code>'
    return mathml(tex)


def _row(row: "Row") -> str:
    return _expr(row.unread, row.latex)


def _conclusion(d: "DerivationReport") -> str:
    if d.start.unread is None and d.end.unread is None:
        return mathml(d.conclusion_latex)
    return f"{_row(d.start)} {mathml(latex_symbol(d.conclusion_relation))} {_row(d.end)}"


def _verdict(verdict: str) -> str:
    return f'<span class="verdict {verdict}">{MARKS[verdict]} {verdict}</span>'


def _details(step: "StepReport") -> List[str]:
    """The reasons of a step that is not verified (or the warning of a short citation), with
    the Markdown report's words, as HTML and MathML."""
    return step_details(step, words=_e, math=mathml, strong=lambda s: f"<strong>{s}</strong>")


def derivation_html(d: "DerivationReport", file: Optional[str] = None) -> str:
    title = f"{d.name}: {d.title}" if d.title else d.name
    out = [f'<section class="derivation" id="{_e(d.name)}">', f"<h2>{_e(title)}</h2>"]
    meta = []
    if file:
        meta.append(f"<code>{_e(file)}</code>")
    if d.reference:
        meta.append("source: " + _e(d.reference))
    if meta:
        out.append(f'<p class="meta">{" · ".join(meta)}</p>')
    for definition in d.definitions_latex:
        out.append(f"<p>where {mathml(definition)}</p>")
    for model in d.models_latex:
        out.append(f"<p>model {mathml(model)}</p>")
    for convention in d.conventions:
        out.append(f'<p class="convention">{_e(convention_line(convention))}</p>')
    out.append('<table class="chain">')
    out.append(f'<tr><td class="rel"></td><td>{_row(d.start)}</td><td></td><td></td></tr>')
    for i, step in enumerate(d.steps, 1):
        where = f"line {step.line}" if step.line is not None else f"step {i}"
        out.append(f'<tr class="step {step.verdict}"><td class="rel">'
                   f"{mathml(latex_symbol(step.relation))}</td>"
                   f"<td>{_expr(step.unread, step.latex)}</td><td>{_verdict(step.verdict)}</td>"
                   f'<td class="rules">{_e(where)}: {_e(rules_column(step))}</td></tr>')
        details = _details(step)
        if details:
            items = "".join(f"<li>{x}</li>" for x in details)
            out.append(f'<tr class="details"><td></td><td colspan="3"><ul class="why">{items}'
                       "</ul></td></tr>")
    out.append("</table>")
    verdict = "every step verified" if d.ok else "NOT every step verified"
    line = with_facts(f"<strong>Conclusion:</strong> {_conclusion(d)}",
                      [mathml(a) for a in d.assumptions_latex],
                      [mathml(c) for c in d.conditions_latex])
    klass = "verified" if d.ok else "refuted"
    out.append(f'<p class="conclusion">{line} <span class="verdict {klass}">{verdict}: '
               f"{_e(tally(d))}</span></p>")
    out.append("</section>")
    return "\n".join(out)


def fragment(reports: Iterable["DocumentReport"]) -> str:
    """The derivations without the page around them (what a notebook cell shows)."""
    out = []
    for report in reports:
        if report.error:
            out.append(f'<pre class="error">{_e(report.error.text)}</pre>')
            continue
        file = file_label(report)
        out += [derivation_html(d, file) for d in report.derivations]
        out += _notes(report.notes)
    return "\n".join(out)


def _notes(notes: Sequence[str]) -> List[str]:
    """A document's last lines (displays checked, declared, skipped), escaped."""
    if not notes:
        return []
    items = "".join(f"<li>{_e(n.strip())}</li>" for n in notes[1:])
    return [f'<div class="displays"><p>{_e(notes[0])}</p>'
            + (f"<ul>{items}</ul>" if items else "") + "</div>"]


def notebook_html(reports: Iterable["DocumentReport"]) -> str:
    """A fragment with its styles, for ``_repr_html_``."""
    return f"<div class=\"elbo-check\"><style>{STYLE}</style>\n{fragment(reports)}\n</div>"


def html_report(reports: Iterable["DocumentReport"], summary: Optional[str] = None) -> str:
    """The whole run as one page."""
    body = fragment(reports)
    tail = f'<p class="summary">{_e(summary)}</p>\n' if summary else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Derivations checked by elbo-check</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n"
            "<h1>Derivations checked by elbo-check</h1>\n"
            f"{body}\n{tail}</body>\n</html>\n")
