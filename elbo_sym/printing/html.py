"""Checked derivations as one self-contained HTML page: nothing to fetch, no script.

Math is MathML, which browsers draw natively (Chromium since 109, Firefox, Safari), made from
the same LaTeX the documents use by ``latex2mathml`` (pure Python, imported only here). Each
chain is a table: the expression of every step, its verdict in colour (green verified, red
refuted, amber unknown), the rules it cites; under a step that is not verified, its reason,
residual and counterexample. Styles are inline in the page, so it can be mailed or attached
to a review as it is.
"""
from typing import Iterable, List, Optional

from .document import rules_column
from .escape import html_text
from .latex import definition_latex, latex, latex_relation, model_latex, unread_source
from .markdown import conclusion_latex, step_details
from .report import MARKS, tally, with_facts

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


def _expr(expr) -> str:
    """An expression as MathML; a row that was not read as its source, escaped text (never
    math: its source is input, and need not even be balanced)."""
    source = unread_source(expr)
    if source is not None:
        return f'<code class="unread" title="not read">{_e(source)}</code>'
    return mathml(latex(expr))


def _conclusion(result) -> str:
    d = result.derivation
    if unread_source(d.start) is None and unread_source(d.end) is None:
        return mathml(conclusion_latex(result))
    return f"{_expr(d.start)} {mathml(latex_relation(d.conclusion_relation))} {_expr(d.end)}"


def _verdict(verdict: str) -> str:
    return f'<span class="verdict {verdict}">{MARKS[verdict]} {verdict}</span>'


def _details(res) -> List[str]:
    """The reasons of a step that is not verified (or the warning of a short citation), with
    the Markdown report's words, as HTML and MathML."""
    return step_details(res, words=_e, math=mathml, strong=lambda s: f"<strong>{s}</strong>")


def _fact(lhs, relation, rhs) -> str:
    return mathml(f"{latex(lhs)} {latex_relation(relation)} {latex(rhs)}")


def derivation_html(result, file: Optional[str] = None, strict: bool = False) -> str:
    d = result.derivation
    title = f"{d.name}: {d.title}" if d.title else d.name
    out = [f'<section class="derivation" id="{_e(d.name)}">', f"<h2>{_e(title)}</h2>"]
    meta = []
    if file:
        meta.append(f"<code>{_e(file)}</code>")
    if d.source:
        meta.append("source: " + _e(d.source))
    if meta:
        out.append(f'<p class="meta">{" · ".join(meta)}</p>')
    for definition in d.definitions:
        out.append(f"<p>where {mathml(definition_latex(definition))}</p>")
    for model in d.models:
        out.append(f"<p>model {mathml(model_latex(model))}</p>")
    out.append('<table class="chain">')
    out.append(f'<tr><td class="rel"></td><td>{_expr(d.start)}</td><td></td><td></td></tr>')
    for i, (step, res) in enumerate(zip(d.steps, result.steps), 1):
        where = f"line {step.line}" if step.line is not None else f"step {i}"
        out.append(f'<tr class="step {res.verdict}"><td class="rel">'
                   f"{mathml(latex_relation(step.relation))}</td>"
                   f"<td>{_expr(step.expr)}</td><td>{_verdict(res.verdict)}</td>"
                   f'<td class="rules">{_e(where)}: {_e(rules_column(step, res))}</td></tr>')
        details = _details(res)
        if details:
            items = "".join(f"<li>{x}</li>" for x in details)
            out.append(f'<tr class="details"><td></td><td colspan="3"><ul class="why">{items}'
                       "</ul></td></tr>")
    out.append("</table>")
    ok = result.ok(strict)
    verdict = "every step verified" if ok else "NOT every step verified"
    line = with_facts(f"<strong>Conclusion:</strong> {_conclusion(result)}",
                      result, _fact)
    klass = "verified" if ok else "refuted"
    out.append(f'<p class="conclusion">{line} <span class="verdict {klass}">{verdict}: '
               f"{_e(tally(result))}</span></p>")
    out.append("</section>")
    return "\n".join(out)


def fragment(sections: Iterable, strict: bool = False) -> str:
    """The derivations without the page around them (what a notebook cell shows)."""
    out = []
    for section in sections:
        if section.error:
            out.append(f'<pre class="error">{_e(section.error)}</pre>')
            continue
        results = list(section.results)
        file = section.target if results and section.target != results[0].derivation.name \
            else None
        out += [derivation_html(r, file, strict) for r in results]
        out += _notes(getattr(section, "notes", ()))
    return "\n".join(out)


def _notes(notes) -> List[str]:
    """A document's last lines (displays checked, declared, skipped), escaped."""
    if not notes:
        return []
    items = "".join(f"<li>{_e(n.strip())}</li>" for n in notes[1:])
    return [f'<div class="displays"><p>{_e(notes[0])}</p>'
            + (f"<ul>{items}</ul>" if items else "") + "</div>"]


def notebook_html(sections: Iterable, strict: bool = False) -> str:
    """A fragment with its styles, for ``_repr_html_``."""
    return f"<div class=\"elbo-check\"><style>{STYLE}</style>\n{fragment(sections, strict)}\n</div>"


def html_report(sections: Iterable, strict: bool = False, summary: Optional[str] = None) -> str:
    """The whole run as one page."""
    body = fragment(sections, strict)
    tail = f'<p class="summary">{_e(summary)}</p>\n' if summary else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Derivations checked by elbo-check</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n"
            "<h1>Derivations checked by elbo-check</h1>\n"
            f"{body}\n{tail}</body>\n</html>\n")
