"""Check results as people read them: the terminal report, printed from the report model
(``elbo_sym.report_model``), and the words every report takes (``message_parts``,
``rules_shown``, ``conclusion``), with which the model is built from the checker's results.

The terminal report colours its marks with plain ANSI escape sequences (``style``): no
terminal library is imported to print it."""
from typing import TYPE_CHECKING, Any, List, Optional, Sequence

from ..relations import VERIFIED, unicode_symbol
from .escape import terminal_text

if TYPE_CHECKING:  # pragma: no cover - for the annotations only
    from ..report_model import DerivationReport, DocumentReport

MARKS = {"verified": "✓", "refuted": "✗", "unknown": "?"}
COLOURS = {"verified": "green", "refuted": "red", "unknown": "yellow"}
ANSI_COLOURS = {"red": 31, "green": 32, "yellow": 33}


def message_parts(result: Any) -> List[str]:
    """Why a step failed (its residual, counterexample, or missing certificate), or the warning
    of a verified step whose citation did not suffice; empty for a clean verification
    (``result``: the checker's StepResult)."""
    from .text import text

    if result.verdict == VERIFIED:
        if result.missing:
            return ["the cited rules do not suffice; also needed: " + ", ".join(result.missing)]
        return []
    if result.inconsistent:
        return ["INTERNAL INCONSISTENCY: " + result.reason]
    parts = [result.reason or "not shown"]
    if result.residual is not None:
        parts.append(f"residual in normal form: {text(result.residual)}")
    if result.counterexample:
        values = ", ".join(f"{text(s)} = {text(v)}" for s, v in result.counterexample)
        parts.append(f"counterexample: {values}")
    if result.numeric is not None and result.numeric.status == "violated":
        parts.append("numerically " + result.numeric.message)
    elif result.numeric is not None and result.numeric.status == "holds":
        parts.append(result.numeric.message)
    elif result.numeric is not None and result.numeric.status == "not-applicable":
        # say that the second judge had no opinion, and why, rather than nothing
        message = result.numeric.message or "not applicable"
        if not message.startswith("not applicable"):
            message = "not applicable: " + message
        parts.append("numeric judge: " + message)
    if result.hint:
        parts.append("hint: " + hint_text(result))
    return parts


def hint_text(result: Any) -> str:
    """The hint of a failing step, with the model line that would make it hold, if any."""
    from .text import model_text

    if result.hint_model is None:
        return str(result.hint)
    return f"{result.hint}, e.g. model {model_text(result.hint_model)}"


def rules_shown(cited: Sequence[str], used: Sequence[str], missing: Sequence[str] = ()) -> str:
    """The rules beside a step, in every report (text, Markdown, HTML, LaTeX): those the
    checker used (the citation when it names none, as for a step not verified), written as
    the citation and what it lacked when that says it all (``linearity; also needed:
    kl-definition``), else with the cited where they differ (``product-rule, linearity
    (cited: product-rule)``); "" when there are neither."""
    cited, used, missing = list(cited), list(used) or list(cited), list(missing)
    needed = f"{'also ' * bool(cited)}needed: {', '.join(missing)}" if missing else ""
    if missing and set(used) <= set(cited) | set(missing):
        return "; ".join(p for p in (", ".join(cited), needed) if p)
    shown = ", ".join(cited if set(cited) == set(used) else used)   # the author's order
    if cited and set(cited) != set(used):
        shown += f" (cited: {', '.join(cited)})"
    return "; ".join(p for p in (shown, needed) if p)


LATEX_RELATIONS = {"=": "=", "<=": r"\leq", ">=": r"\geq", "<": "<", ">": ">"}


def suggestion_text(suggestion: Any, syntax: str = "deriv") -> str:
    """``did you mean: = -KL(q(z | x) || p(z)) + …   (the sign of … flipped; verified by
    kl-definition)``: a nearby step the checker verified (``checker.explain``), in the syntax
    of the source it fixes: as a ``.deriv`` file writes it (``source``), or as LaTeX for a step
    read from a document (``syntax="latex"``); the text of the expression when neither can
    write it; ``did you mean (last resort):`` for the residual added back."""
    from .text import text

    rules = ", ".join(suggestion.rules) or "algebra"
    head = "did you mean (last resort):" if suggestion.last_resort else "did you mean:"
    if syntax == "latex" and suggestion.latex:
        shown = f"{LATEX_RELATIONS[suggestion.relation]} {suggestion.latex}"
    else:
        shown = (f"{unicode_symbol(suggestion.relation)} "
                 f"{suggestion.source or text(suggestion.expression)}")
    return f"{head} {shown}   ({suggestion.edit}; verified by {rules})"


def suggestion_texts(result: Any, syntax: str = "deriv") -> List[str]:
    """A ``did you mean:`` line for each suggestion of a failing step (none for a verified one)."""
    return [suggestion_text(s, syntax) for s in getattr(result, "suggestions", ())]


def json_suggestions(result: Any) -> List[dict]:
    """The suggestions of a step as JSON: the expression as the text printer prints it, as a
    ``.deriv`` file writes it (``source``, null when no file can) and as LaTeX; whether it is
    the last resort (the residual added back)."""
    from .text import text

    return [{"expression": text(s.expression), "source": s.source, "latex": s.latex,
             "relation": s.relation, "edit": s.edit, "rules": list(s.rules),
             "last_resort": s.last_resort} for s in getattr(result, "suggestions", ())]


def fact_text(lhs: Any, relation: str, rhs: Any) -> str:
    """``β ≥ 1``: an assumption or a domain condition as the text printer shows it."""
    from .text import text

    return f"{text(lhs)} {unicode_symbol(relation)} {text(rhs)}"


def definition_text(definition: Any) -> str:
    """``L(x) = E_{q(z | x)}[...]``: a ``let`` as the text report's ``where`` line shows it."""
    from .text import text, unicode_name

    params = f"({', '.join(text(p) for p in definition.params)})" if definition.params else ""
    return f"{unicode_name(definition.name)}{params} = {text(definition.body)}"


def assumption_texts(result: Any) -> List[str]:
    """The derivation's ``assume`` facts, as printed: the chain holds only under them."""
    return [fact_text(a.lhs, a.relation, a.rhs) for a in result.derivation.assumptions]


def condition_texts(result: Any) -> List[str]:
    """The domain conditions the steps were checked under (a variance positive, ...)."""
    return [fact_text(lhs, rel, rhs) for lhs, rel, rhs in getattr(result, "conditions", ())]


def with_facts(statement: str, assumptions: Sequence[str], conditions: Sequence[str]) -> str:
    """``statement, assuming β ≥ 1, for v > 0``: the derivation's assumptions and the domain
    conditions its steps were checked under, each already printed the way of its report (text,
    Markdown, HTML). A bound proven under an assumption printed without it would be a false
    statement."""
    if assumptions:
        statement += ", assuming " + " and ".join(assumptions)
    if conditions:
        statement += ", for " + " and ".join(conditions)
    return statement


def conclusion(result: Any) -> str:
    """What the chain proves, with what it assumed: ``log p(x) ≥ L(x), assuming β ≥ 1, for
    v > 0`` (``result``: a DerivationResult; a Derivation alone has assumptions but no
    conditions)."""
    from .text import text

    d = getattr(result, "derivation", result)
    assumptions = [fact_text(a.lhs, a.relation, a.rhs) for a in d.assumptions]
    conditions = condition_texts(result) if d is not result else []
    return with_facts(f"{text(d.start)} {unicode_symbol(d.conclusion_relation)} {text(d.end)}",
                      assumptions, conditions)


def tally(report: Any) -> str:
    """``1 verified, 1 refuted``: the steps of each verdict, the verdicts with none left out."""
    counts = {v: sum(1 for s in report.steps if s.verdict == v) for v in MARKS}
    return ", ".join(f"{n} {v}" for v, n in counts.items() if n)


def style(s: str, colour: str, bold: bool = True) -> str:
    """``s`` in a terminal colour (red, green, yellow), bold: the ANSI escape sequences
    ``click.style(s, fg=colour, bold=True)`` writes, without importing a terminal library."""
    return f"\x1b[{ANSI_COLOURS[colour]}m" + ("\x1b[1m" if bold else "") + s + "\x1b[0m"


def convention_line(convention: str) -> str:
    """A reading that adds meaning, as every report prints it (escaped by each format):
    ``convention: reading a bare q as q_phi(z | x)``; one line whatever was read."""
    return "convention: " + " ".join(convention.split())


def _style(s: str, verdict: str, colour: bool) -> str:
    return style(s, COLOURS[verdict]) if colour else s


def _fit(line: str, width: Optional[int], indent: str) -> List[str]:
    """``line`` as is, or wrapped at spaces into lines of at most ``width`` characters (a
    word longer than that stays whole), the later ones indented by ``indent``. Control
    characters from the input are shown as code points: a terminal never receives them."""
    line = terminal_text(line)
    if not width or len(line) <= width:
        return [line]
    import textwrap

    return textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [line]


def format_derivation(chain: Any, colour: bool = False, quiet: bool = False,
                      strict: bool = False, width: Optional[int] = None) -> str:
    """Heading, the chain one step a line with its mark and rules, then the conclusion, from
    a ``DerivationReport`` (a checker's DerivationResult is made into one first, ``strict``
    saying what passes). With ``width`` (the terminal's columns) every line fits it: a step
    too long for one line gets its mark and rules on the line below, long expressions and
    reasons wrap at spaces."""
    from ..report_model import as_derivation_report

    d = as_derivation_report(chain, strict)
    lines = _fit(f"{d.name}: {d.title}" if d.title else d.name, width, "  ")
    if d.reference:
        lines += _fit(f"  source: {d.reference}", width, "    ")
    for definition in d.definitions:
        lines += _fit(f"  where {definition}", width, "      ")
    for model in d.models:
        lines += _fit(f"  model {model}", width, "      ")
    for convention in d.conventions:
        lines += _fit(f"  {convention_line(convention)}", width, "      ")
    if not quiet:
        lines += _chain_lines(d, colour, width)
    verdict = "every step verified" if d.ok else "NOT every step verified"
    lines += _fit(f"  conclusion: {d.conclusion}   ({verdict}: {tally(d)})", width, "    ")
    return "\n".join(lines)


def _chain_lines(d: "DerivationReport", colour: bool, width: Optional[int]) -> List[str]:
    """The chain between blank lines: its start, then a step a line with its mark, where it is
    written and its rules, and under a step its reasons and suggestions."""
    column = min(max([len(d.start.text) + 2] + [len(s.expression) for s in d.steps]) + 4, 100)
    lines = [""] + _fit(f"      {d.start.text}", width, "        ")
    for step in d.steps:
        rel, body, rules = unicode_symbol(step.relation), step.expression, step.rules
        plain = f"{MARKS[step.verdict]} {step.verdict}"
        mark = _style(plain, step.verdict, colour)
        where = f"line {step.line}" if step.line is not None else ""
        info = ": ".join(p for p in (where, "by " + rules if rules else "") if p)
        row = f"  {rel} {body.ljust(column)} {plain}  {info}".rstrip()
        if width and len(row) > width:   # the mark and rules go below the expression
            lines += _fit(f"  {rel} {body}", width, "      ")
            lines += [line.replace(plain, mark, 1) for line in
                      _fit(f"      {plain}  {info}".rstrip(), width, "        ")]
        else:
            lines.append(terminal_text(row).replace(plain, mark, 1))
        for part in step.message_parts + step.suggestion_lines:
            lines += _fit(f"      {part}", width, "        ")
    return lines + [""]


def document_text(report: "DocumentReport", prefix: str = "", colour: bool = False,
                  quiet: bool = False, width: Optional[int] = None) -> str:
    """The terminal report of a checked document (its ``DocumentReport``): each chain
    (``format_derivation``) after ``prefix`` (the file's name), then a document's last lines
    (``notes``), inert."""
    head = terminal_text(prefix, one_line=True)
    blocks = [head + format_derivation(d, colour=colour, quiet=quiet, width=width)
              for d in report.derivations]
    if report.notes:
        blocks.append(terminal_text("\n".join(report.notes)))
    return "\n\n".join(blocks)
