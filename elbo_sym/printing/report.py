"""Check results as people read them: the terminal report, and the words every report takes
(``message_parts``, ``rules_shown``, ``conclusion``); the JSON is ``elbo_sym.report_model``'s."""
from ..checker import VERIFIED
from .escape import terminal_text
from .text import model_text, relation_symbol, text, unicode_name

MARKS = {"verified": "✓", "refuted": "✗", "unknown": "?"}
COLOURS = {"verified": "green", "refuted": "red", "unknown": "yellow"}


def message_parts(result):
    """Why a step failed (its residual, counterexample, or missing certificate), or the warning
    of a verified step whose citation did not suffice; empty for a clean verification."""
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


def hint_text(result):
    """The hint of a failing step, with the model line that would make it hold, if any."""
    if result.hint_model is None:
        return result.hint
    return f"{result.hint}, e.g. model {model_text(result.hint_model)}"


def rules_shown(cited, used, missing=()) -> str:
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


def suggestion_text(suggestion, syntax="deriv"):
    """``did you mean: = -KL(q(z | x) || p(z)) + …   (the sign of … flipped; verified by
    kl-definition)``: a nearby step the checker verified (``checker.explain``), in the syntax
    of the source it fixes: as a ``.deriv`` file writes it (``source``), or as LaTeX for a step
    read from a document (``syntax="latex"``); the text of the expression when neither can
    write it; ``did you mean (last resort):`` for the residual added back."""
    rules = ", ".join(suggestion.rules) or "algebra"
    head = "did you mean (last resort):" if suggestion.last_resort else "did you mean:"
    if syntax == "latex" and suggestion.latex:
        shown = f"{LATEX_RELATIONS[suggestion.relation]} {suggestion.latex}"
    else:
        shown = (f"{relation_symbol(suggestion.relation)} "
                 f"{suggestion.source or text(suggestion.expression)}")
    return f"{head} {shown}   ({suggestion.edit}; verified by {rules})"


def suggestion_texts(result, syntax="deriv"):
    """A ``did you mean:`` line for each suggestion of a failing step (none for a verified one)."""
    return [suggestion_text(s, syntax) for s in getattr(result, "suggestions", ())]


def json_suggestions(result):
    """The suggestions of a step as JSON: the expression as the text printer prints it, as a
    ``.deriv`` file writes it (``source``, null when no file can) and as LaTeX; whether it is
    the last resort (the residual added back)."""
    return [{"expression": text(s.expression), "source": s.source, "latex": s.latex,
             "relation": s.relation, "edit": s.edit, "rules": list(s.rules),
             "last_resort": s.last_resort} for s in getattr(result, "suggestions", ())]


def fact_text(lhs, relation, rhs):
    """``β ≥ 1``: an assumption or a domain condition as the text printer shows it."""
    return f"{text(lhs)} {relation_symbol(relation)} {text(rhs)}"


def assumption_texts(result):
    """The derivation's ``assume`` facts, as printed: the chain holds only under them."""
    return [fact_text(a.lhs, a.relation, a.rhs) for a in result.derivation.assumptions]


def condition_texts(result):
    """The domain conditions the steps were checked under (a variance positive, ...)."""
    return [fact_text(lhs, rel, rhs) for lhs, rel, rhs in getattr(result, "conditions", ())]


def with_facts(statement, result, fact=fact_text):
    """``statement, assuming β ≥ 1, for v > 0``: the derivation's assumptions and the domain
    conditions its steps were checked under, each printed by ``fact(lhs, relation, rhs)`` (the
    text, Markdown and HTML reports each print their own way). A bound proven under an
    assumption printed without it would be a false statement. (A ``Derivation`` alone is
    accepted too: it has assumptions but no conditions.)"""
    d = getattr(result, "derivation", result)
    assumptions = [fact(a.lhs, a.relation, a.rhs) for a in d.assumptions]
    conditions = [fact(*c) for c in getattr(result, "conditions", ())] if d is not result else []
    if assumptions:
        statement += ", assuming " + " and ".join(assumptions)
    if conditions:
        statement += ", for " + " and ".join(conditions)
    return statement


def conclusion(result):
    """What the chain proves, with what it assumed: ``log p(x) ≥ L(x), assuming β ≥ 1, for
    v > 0``."""
    d = getattr(result, "derivation", result)
    return with_facts(f"{text(d.start)} {relation_symbol(d.conclusion_relation)} {text(d.end)}",
                      result)


def tally(result):
    """``1 verified, 1 refuted``: the steps of each verdict, the verdicts with none left out."""
    counts = {v: sum(1 for s in result.steps if s.verdict == v) for v in MARKS}
    return ", ".join(f"{n} {v}" for v, n in counts.items() if n)


def _style(s, verdict, colour):
    if not colour:
        return s
    import click

    return click.style(s, fg=COLOURS[verdict], bold=True)


def _fit(line, width, indent):
    """``line`` as is, or wrapped at spaces into lines of at most ``width`` characters (a
    word longer than that stays whole), the later ones indented by ``indent``. Control
    characters from the input are shown as code points: a terminal never receives them."""
    line = terminal_text(line)
    if not width or len(line) <= width:
        return [line]
    import textwrap

    return textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [line]


def format_derivation(result, colour=False, quiet=False, strict=False, width=None):
    """Heading, the chain one step a line with its mark and rules, then the conclusion.
    With ``width`` (the terminal's columns) every line fits it: a step too long for one line
    gets its mark and rules on the line below, long expressions and reasons wrap at spaces."""
    d = result.derivation
    lines = _fit(f"{d.name}: {d.title}" if d.title else d.name, width, "  ")
    if d.source:
        lines += _fit(f"  source: {d.source}", width, "    ")
    for definition in d.definitions:
        params = f"({', '.join(text(p) for p in definition.params)})" if definition.params else ""
        lines += _fit(f"  where {unicode_name(definition.name)}{params} = {text(definition.body)}",
                      width, "      ")
    for model in d.models:
        lines += _fit(f"  model {model_text(model)}", width, "      ")
    if not quiet:
        rows = [("", "  " + text(d.start), None, None)]
        for step, res in zip(d.steps, result.steps):
            rows.append((relation_symbol(step.relation), text(step.expr), step, res))
        column = min(max(len(r[1]) for r in rows) + 4, 100)
        lines.append("")
        for rel, body, step, res in rows:
            if step is None:
                lines += _fit(f"    {body}", width, "        ")
                continue
            rules = rules_shown(step.rules, res.rules_used, res.missing)
            plain = f"{MARKS[res.verdict]} {res.verdict}"
            mark = _style(plain, res.verdict, colour)
            where = f"line {step.line}" if step.line is not None else ""
            info = ": ".join(p for p in (where, "by " + rules if rules else "") if p)
            row = f"  {rel} {body.ljust(column)} {plain}  {info}".rstrip()
            if width and len(row) > width:   # the mark and rules go below the expression
                lines += _fit(f"  {rel} {body}", width, "      ")
                lines += [line.replace(plain, mark, 1) for line in
                          _fit(f"      {plain}  {info}".rstrip(), width, "        ")]
            else:
                lines.append(terminal_text(row).replace(plain, mark, 1))
            for part in message_parts(res) + suggestion_texts(res, d.syntax):
                lines += _fit(f"      {part}", width, "        ")
        lines.append("")
    ok = result.ok(strict)
    verdict = "every step verified" if ok else "NOT every step verified"
    lines += _fit(f"  conclusion: {conclusion(result)}   ({verdict}: {tally(result)})", width,
                  "    ")
    return "\n".join(lines)


def document_text(results, notes=(), prefix="", colour=False, quiet=False, strict=False,
                  width=None):
    """The terminal report of a checked document: each chain (``format_derivation``) after
    ``prefix`` (the file's name), then a document's last lines (``notes``), inert."""
    head = terminal_text(prefix, one_line=True)
    blocks = [head + format_derivation(r, colour=colour, quiet=quiet, strict=strict, width=width)
              for r in results]
    if notes:
        blocks.append(terminal_text("\n".join(notes)))
    return "\n\n".join(blocks)
