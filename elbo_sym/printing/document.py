"""A LaTeX document (or fragment) for checked derivations: amsmath ``align*``, one line per step,
the rules that justify it on the right. Deterministic: the same bytes for the same input."""
from .latex import latex, latex_relation

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

MARKS = {"verified": r"\checkmark", "refuted": r"\times", "unknown": "?"}

_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def escape(s):
    """Plain text made safe for LaTeX."""
    return "".join(_ESCAPES.get(c, c) for c in s)


def _justification(step, result):
    rules = ", ".join(result.rules_used or step.rules) or "algebra"
    return rf"&& {MARKS[result.verdict]}\ \text{{{escape(rules)}}}"


def align(result):
    """The chain of one derivation as an ``align*`` environment."""
    d = result.derivation
    lines = []
    for i, (step, res) in enumerate(zip(d.steps, result.steps)):
        head = latex(d.start) if i == 0 else ""
        lines.append(f"{head} &{latex_relation(step.relation)} {latex(step.expr)} {_justification(step, res)}")
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"


def section(result):
    d = result.derivation
    out = [f"\\section*{{{escape(d.title or d.name)}}}\n"]
    if d.source:
        out.append(f"\\noindent\\textit{{Source:}} {escape(d.source)}\\par\n")
    for definition in d.definitions:
        params = ", ".join(latex(p) for p in definition.params)
        name = f"{definition.name}({params})" if definition.params else definition.name
        out.append(f"\\noindent where $\\displaystyle {name} = {latex(definition.body)}$.\\par\n")
    out.append(align(result))
    return "".join(out)


def fragment(results):
    """Only the math: one ``align*`` per derivation."""
    return "\n".join(align(r) for r in results)


def document(results):
    """A standalone document that pdflatex compiles."""
    return PREAMBLE + "\n".join(section(r) for r in results) + "\n\\end{document}\n"
