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
from typing import TYPE_CHECKING, Any, Iterable

from ..relations import latex_symbol
from .escape import latex_text as escape

if TYPE_CHECKING:  # pragma: no cover - for the annotations only
    from ..report_model import DerivationReport, StepReport

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


def _chain(chain: Any) -> "DerivationReport":
    """A DerivationReport as it is; a checker's DerivationResult made into its report."""
    from ..report_model import as_derivation_report

    return as_derivation_report(chain)


def rules_column(step: "StepReport") -> str:
    """The rules beside a step, as in every report (``report.rules_shown``: used, the cited
    where they differ, and what the citation lacked), or ``no rule cited``."""
    return step.rules or "no rule cited"


def _justification(step: "StepReport") -> str:
    mark = r"\footnotemark" if step.suggestions else ""
    return rf"&& {MARKS[step.verdict]}\ \text{{{escape(rules_column(step))}}}{mark}"


def suggestion_note(step: "StepReport") -> str:
    r"""The footnote of a failing step with suggestions (``checker.explain``): ``Did you mean
    $= \dots$ (the sign of … flipped; verified by kl-definition)?``, one sentence each."""
    notes = []
    for s, tex in zip(step.suggestions, step.suggestion_latex):
        rules = ", ".join(s["rules"]) or "algebra"
        notes.append(f"Did you mean ${latex_symbol(s['relation'])} {tex}$ "
                     f"({escape(s['edit'])}; verified by {escape(rules)})?")
    return " ".join(notes)


def _footnotes(d: "DerivationReport") -> str:
    """The footnotes of the marks in the chain, after its ``align*`` (a footnote cannot be
    set inside one): the counter is taken back over the marks, then stepped for each note."""
    notes = [suggestion_note(s) for s in d.steps if s.suggestions]
    if not notes:
        return ""
    return (f"\\addtocounter{{footnote}}{{-{len(notes)}}}\n"
            + "".join(f"\\stepcounter{{footnote}}\\footnotetext{{{n}}}\n" for n in notes))


def align(chain: Any) -> str:
    """The chain of one derivation (a ``DerivationReport``) as an ``align*`` environment (and
    the footnotes of the steps it marks with suggestions); a row not read is its escaped
    source."""
    d = _chain(chain)
    lines = []
    for i, step in enumerate(d.steps):
        head = d.start.typeset if i == 0 else ""
        lines.append(f"{head} &{latex_symbol(step.relation)} {step.typeset} "
                     f"{_justification(step)}")
    return ("\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"
            + _footnotes(d))


def qualification(chain: Any) -> str:
    r"""What the chain was proven under, as a sentence: ``Assuming $\beta \ge 1$; for
    $v > 0$.`` (empty when nothing was assumed). Without it a bound proven under an
    assumption would read as unconditional."""
    d = _chain(chain)
    parts = []
    if d.assumptions_latex:
        parts.append("Assuming " + " and ".join(f"${a}$" for a in d.assumptions_latex))
    if d.conditions_latex:
        parts.append(("for " if parts else "For ")
                     + " and ".join(f"${c}$" for c in d.conditions_latex))
    if not parts:
        return ""
    return "\\noindent " + "; ".join(parts) + ".\\par\n"


def definitions(chain: Any) -> str:
    """The ``where`` lines: each ``let`` name printed as a symbol (``L_{\\theta}``)."""
    return "".join(f"\\noindent where $\\displaystyle {x}$.\\par\n"
                   for x in _chain(chain).definitions_latex)


def models(chain: Any) -> str:
    r"""The derivation's ``model`` lines, under its where lines: ``\noindent Model:
    $p(x, z) = p(x \mid z)\, p(z)$.\par`` (the chain holds under the declared structure)."""
    return "".join(f"\\noindent Model: ${m}$.\\par\n" for m in _chain(chain).models_latex)


def conventions(chain: Any) -> str:
    r"""The readings that add meaning the rows do not write, as text: ``\noindent
    \textit{Convention:} reading a bare q as q\_phi(z | x)\par`` (escaped: nothing read
    from the input reaches TeX as a command)."""
    return "".join(f"\\noindent\\textit{{Convention:}} {escape(c)}\\par\n"
                   for c in _chain(chain).conventions)


def body(chain: Any) -> str:
    """One derivation without its heading: where lines, models, the conventions of its
    reading, the chain, what it assumed."""
    d = _chain(chain)
    return definitions(d) + models(d) + conventions(d) + align(d) + qualification(d)


def section(chain: Any) -> str:
    d = _chain(chain)
    out = [f"\\section*{{{escape(d.title or d.name)}}}\n"]
    if d.reference:
        out.append(f"\\noindent\\textit{{Source:}} {escape(d.reference)}\\par\n")
    out.append(body(d))
    return "".join(out)


def fragment(chains: Iterable[Any]) -> str:
    """Only the derivations (``DerivationReport``s), to paste into a document: for each its
    ``where`` lines, its ``align*`` and what it assumed."""
    return "\n".join(body(d) for d in chains)


def document(chains: Iterable[Any]) -> str:
    """A standalone document that pdflatex compiles, of ``DerivationReport``s."""
    return PREAMBLE + LEGEND + "\n".join(section(d) for d in chains) + "\n\\end{document}\n"
