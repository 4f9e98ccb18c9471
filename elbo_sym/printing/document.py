"""A LaTeX document (or fragment) for checked derivations: amsmath ``align*``, one line per step,
the rules that justify it on the right, then what the chain assumed. Deterministic: the same
bytes for the same input.

Plain text (titles, sources) goes through ``escape``, so that whatever a file's title holds
compiles with pdflatex: LaTeX's special characters are escaped, Greek letters become math
(``μ`` is ``$\\mu$``; ``inputenc`` stops at them), the characters ``inputenc`` with T1 fonts
handles (Latin-1, most of Latin Extended-A, typographic quotes and dashes) stay, a few math
signs become math, and any other character prints as its code point, ``[U+2603]``
(``printing.escape``). A row that was not read prints as its source in typewriter type, every
special character escaped: nothing from the input reaches TeX as a command.
"""
from .escape import latex_text as escape
from .latex import definition_latex, latex, latex_relation, model_latex

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[T1]{fontenc}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm,landscape]{geometry}
\allowdisplaybreaks
\title{Derivations checked by elbo-check}
\date{}
\begin{document}
\maketitle
"""

LEGEND = r"""\noindent Each step is checked against the line above it. $\checkmark$~verified: proven
with the rules shown; $?$~unknown: neither proven nor refuted; $\times$~refuted: shown false (a
residual that cannot vanish, or a counterexample). On the right: the rules the step cites, and
any it needed beyond them.\par
"""

MARKS = {"verified": r"\checkmark", "refuted": r"\times", "unknown": "?"}


def rules_column(step, result):
    """The rules beside a step, as in every report (``report.rules_shown``: used, the cited
    where they differ, and what the citation lacked), or ``no rule cited``."""
    from .report import rules_shown

    return rules_shown(step.rules, result.rules_used, result.missing) or "no rule cited"


def _justification(step, result):
    mark = r"\footnotemark" if getattr(result, "suggestions", ()) else ""
    return rf"&& {MARKS[result.verdict]}\ \text{{{escape(rules_column(step, result))}}}{mark}"


def suggestion_note(result):
    r"""The footnote of a failing step with suggestions (``checker.explain``): ``Did you mean
    $= \dots$ (the sign of … flipped; verified by kl-definition)?``, one sentence each."""
    notes = []
    for s in result.suggestions:
        rules = ", ".join(s.rules) or "algebra"
        notes.append(f"Did you mean ${latex_relation(s.relation)} {s.latex or latex(s.expression)}$ "
                     f"({escape(s.edit)}; verified by {escape(rules)})?")
    return " ".join(notes)


def _footnotes(result):
    """The footnotes of the marks in the chain, after its ``align*`` (a footnote cannot be
    set inside one): the counter is taken back over the marks, then stepped for each note."""
    notes = [suggestion_note(r) for r in result.steps if getattr(r, "suggestions", ())]
    if not notes:
        return ""
    return (f"\\addtocounter{{footnote}}{{-{len(notes)}}}\n"
            + "".join(f"\\stepcounter{{footnote}}\\footnotetext{{{n}}}\n" for n in notes))


def _row(expr):
    """A row of the chain; one that was not read, as its escaped source."""
    return latex(expr, unread_as_source=True)


def align(result):
    """The chain of one derivation as an ``align*`` environment (and the footnotes of the
    steps it marks with suggestions)."""
    d = result.derivation
    lines = []
    for i, (step, res) in enumerate(zip(d.steps, result.steps)):
        head = _row(d.start) if i == 0 else ""
        lines.append(f"{head} &{latex_relation(step.relation)} {_row(step.expr)} {_justification(step, res)}")
    return ("\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"
            + _footnotes(result))


def _fact(lhs, relation, rhs):
    return f"${latex(lhs)} {latex_relation(relation)} {latex(rhs)}$"


def qualification(result):
    r"""What the chain was proven under, as a sentence: ``Assuming $\beta \ge 1$; for
    $v > 0$.`` (empty when nothing was assumed). Without it a bound proven under an
    assumption would read as unconditional."""
    assumptions = [_fact(a.lhs, a.relation, a.rhs) for a in result.derivation.assumptions]
    conditions = [_fact(*c) for c in getattr(result, "conditions", ())]
    parts = []
    if assumptions:
        parts.append("Assuming " + " and ".join(assumptions))
    if conditions:
        parts.append(("for " if parts else "For ") + " and ".join(conditions))
    if not parts:
        return ""
    return "\\noindent " + "; ".join(parts) + ".\\par\n"


def definitions(result):
    """The ``where`` lines: each ``let`` name printed as a symbol (``L_{\\theta}``)."""
    out = []
    for definition in result.derivation.definitions:
        out.append(f"\\noindent where $\\displaystyle {definition_latex(definition)}$.\\par\n")
    return "".join(out)


def models(result):
    r"""The derivation's ``model`` lines, under its where lines: ``\noindent Model:
    $p(x, z) = p(x \mid z)\, p(z)$.\par`` (the chain holds under the declared structure)."""
    return "".join(f"\\noindent Model: ${model_latex(m)}$.\\par\n"
                   for m in result.derivation.models)


def body(result):
    """One derivation without its heading: where lines, models, the chain, what it assumed."""
    return definitions(result) + models(result) + align(result) + qualification(result)


def section(result):
    d = result.derivation
    out = [f"\\section*{{{escape(d.title or d.name)}}}\n"]
    if d.source:
        out.append(f"\\noindent\\textit{{Source:}} {escape(d.source)}\\par\n")
    out.append(body(result))
    return "".join(out)


def fragment(results):
    """Only the derivations, to paste into a document: for each its ``where`` lines, its
    ``align*`` and what it assumed."""
    return "\n".join(body(r) for r in results)


def document(results):
    """A standalone document that pdflatex compiles."""
    return PREAMBLE + LEGEND + "\n".join(section(r) for r in results) + "\n\\end{document}\n"
