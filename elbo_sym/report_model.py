"""The report stage of the pipeline (``elbo_sym.pipeline``): one model of a checked document,
built once, which every renderer reads.

A ``DocumentReport`` holds plain data only (strings, numbers, tuples): it is sent back whole
by the worker processes of ``--jobs N``. ``to_json`` is the one JSON shape of a checked file:
an entry of ``files`` in ``elbo-check check --json`` and the result of the MCP server's tools,
described by the JSON Schema ``elbo_sym/schema/report.schema.json``.
"""
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from .relations import VERDICTS, VERIFIED, latex_symbol

if TYPE_CHECKING:  # pragma: no cover - for the annotations only
    from .checker.chain import DerivationResult
    from .checker.step import StepResult
    from .derivation import Step
    from .errors import InputError
    from .pipeline import CheckedDocument

SCHEMA = "schema/report.schema.json"   # package data: the JSON Schema of ``to_json``


@dataclass(frozen=True)
class NumericReport:
    """The numeric judge's finding on a step; counterexample values as strings."""
    status: str
    instances: int
    counterexample: Optional[Dict[str, str]]
    message: str

    def to_json(self) -> Dict[str, Any]:
        return {"status": self.status, "instances": self.instances,
                "counterexample": dict(self.counterexample) if self.counterexample else None,
                "message": self.message}


@dataclass(frozen=True)
class StepReport:
    """One checked step, as every renderer reads it (a located line uses ``file``, ``line``,
    ``column``, ``verdict``, ``message``, ``reason``, ``failed``)."""
    file: str
    derivation: str
    index: int                        # 1-based, in its chain
    line: Optional[int]
    column: Optional[int]
    relation: str                     # canonical: = <= >= < >
    expression: str                   # the right side as the text report prints it
    source: Optional[str]             # as a .deriv file writes it; None when no file can
    latex: str                        # typeset
    verdict: str
    rules_cited: Tuple[str, ...]
    rules_used: Tuple[str, ...]
    missing_rules: Tuple[str, ...]
    message: Optional[str]            # why it is not verified (or the citation warning), or None
    reason: str                       # the first part of the message only
    residual: Optional[str]
    counterexample: Dict[str, str]    # variable -> value: the symbolic one, or the numeric
    numeric: Optional[NumericReport]
    hint: Optional[str]
    inconsistent: bool
    failed: bool                      # counts against the exit status (not verified, or strict)
    suggestions: Tuple[Dict[str, Any], ...] = ()
    # what the reports print beyond the JSON (not in ``to_json``)
    typeset: str = ""                 # the LaTeX document's row: one not read is its source
    unread: Optional[str] = None      # the source of a row that was not read, else None
    message_parts: Tuple[str, ...] = ()       # ``message``, one part a line in the text report
    checker_reason: str = ""          # the checker's reason as it gave it ("" when none)
    residual_latex: Optional[str] = None
    counterexample_latex: str = ""    # the symbolic counterexample as math ("" when none)
    suggestion_lines: Tuple[str, ...] = ()    # ``did you mean: ...`` in the source's syntax
    suggestion_latex: Tuple[str, ...] = ()    # each suggestion's expression as LaTeX

    @property
    def rules(self) -> str:
        """The rules shown beside the step in every report (``rules_shown``)."""
        from .printing.report import rules_shown

        return rules_shown(self.rules_cited, self.rules_used, self.missing_rules)

    def to_json(self) -> Dict[str, Any]:
        return {"derivation": self.derivation, "index": self.index, "line": self.line,
                "column": self.column, "relation": self.relation,
                "expression": self.expression, "source": self.source, "latex": self.latex,
                "verdict": self.verdict, "rules_cited": list(self.rules_cited),
                "rules_used": list(self.rules_used), "missing_rules": list(self.missing_rules),
                "message": self.message, "residual": self.residual,
                "counterexample": dict(self.counterexample), "inconsistent": self.inconsistent,
                "numeric": self.numeric.to_json() if self.numeric else None, "hint": self.hint,
                "suggestions": [dict(s) for s in self.suggestions]}


@dataclass(frozen=True)
class Row:
    """An expression of a chain (its start or end) as every report prints it."""
    text: str
    latex: str
    typeset: str                      # for the LaTeX document: a row not read is its source
    unread: Optional[str] = None      # the source of a row that was not read, else None


@dataclass(frozen=True)
class DerivationReport:
    """One checked chain: what the JSON holds, and (not in ``to_json``) what the text,
    Markdown, HTML and LaTeX reports print around its steps."""
    name: str
    title: str
    ok: bool
    conclusion: str                   # with its assumptions and conditions, as text
    assumptions: Tuple[str, ...]
    conditions: Tuple[str, ...]
    models: Tuple[str, ...]
    steps: Tuple[StepReport, ...]
    reference: str = ""               # where the derivation comes from (its ``source``)
    definitions: Tuple[str, ...] = ()         # ``where`` lines as text: ``L(x) = ...``
    definitions_latex: Tuple[str, ...] = ()
    models_latex: Tuple[str, ...] = ()
    start: Row = Row("", "", "")
    start_line: Optional[int] = None
    end: Row = Row("", "", "")
    conclusion_relation: str = "="
    assumptions_latex: Tuple[str, ...] = ()
    conditions_latex: Tuple[str, ...] = ()
    conventions: Tuple[str, ...] = ()         # readings that add meaning the rows do not write

    @property
    def conclusion_latex(self) -> str:
        """``\\log p(x) \\ge L(x)``: what the chain proves, as math (without its facts)."""
        return f"{self.start.latex} {latex_symbol(self.conclusion_relation)} {self.end.latex}"

    def to_json(self) -> Dict[str, Any]:
        return {"name": self.name, "title": self.title, "ok": self.ok,
                "conclusion": self.conclusion, "assumptions": list(self.assumptions),
                "conditions": list(self.conditions), "models": list(self.models),
                "conventions": list(self.conventions),
                "steps": [s.to_json() for s in self.steps]}


@dataclass(frozen=True)
class ErrorReport:
    """An input error (located when it can be) or an internal error."""
    line: Optional[int]
    column: Optional[int]
    message: str
    text: str                          # the whole located message, as printed on stderr

    def to_json(self) -> Dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message,
                "text": self.text}


@dataclass(frozen=True)
class SkippedDisplay:
    """A display that looks like a chain (it holds a relation) and was not read: where it is
    and why, reported in every format (a warning on GitHub), a failure under --strict."""
    file: str
    line: Optional[int]
    column: Optional[int]
    reason: str


@dataclass(frozen=True)
class DocumentReport:
    """One checked file, text or built-in (or the error that stopped it)."""
    file: str
    ok: bool
    error: Optional[ErrorReport] = None
    derivations: Tuple[DerivationReport, ...] = ()
    displays: Optional[Dict[str, Any]] = None     # a document's displays (JSON shape)
    skipped: Tuple[SkippedDisplay, ...] = ()      # the displays that look like a chain
    notes: Tuple[str, ...] = ()                   # a document's last lines
    strict: bool = False

    @property
    def steps(self) -> Tuple[StepReport, ...]:
        return tuple(s for d in self.derivations for s in d.steps)

    @property
    def verdicts(self) -> List[str]:
        return [s.verdict for s in self.steps]

    @property
    def counts(self) -> Dict[str, int]:
        verdicts = self.verdicts
        return {v: verdicts.count(v) for v in VERDICTS}

    def located(self) -> List[str]:
        """``FILE:LINE:COL: refuted: ...`` for each step that fails."""
        from .printing.located import located_lines

        return located_lines(self.steps)

    def to_json(self) -> Dict[str, Any]:
        """The one JSON shape of a checked file (``elbo_sym/schema/report.schema.json``)."""
        return {"file": self.file, "ok": self.ok,
                "error": self.error.to_json() if self.error else None,
                "derivations": [d.to_json() for d in self.derivations],
                "counts": self.counts, "located": self.located(),
                "displays": self.displays, "notes": list(self.notes)}


# -- building it ------------------------------------------------------------------------------

def _column(source_lines: Sequence[str], line: Optional[int]) -> Optional[int]:
    """The column of the first character written on ``line`` (the step's relation), 1-based."""
    if line is None or not 1 <= line <= len(source_lines):
        return None
    text = source_lines[line - 1]
    return len(text) - len(text.lstrip()) + 1 if text.strip() else 1


def _numeric(res: "StepResult") -> Optional[NumericReport]:
    outcome = res.numeric
    if outcome is None:
        return None
    values = None
    if outcome.counterexample:
        values = {str(k): _value(v) for k, v in outcome.counterexample}
    return NumericReport(outcome.status, outcome.instances, values, outcome.message)


def _value(v: Any) -> str:
    try:
        return f"{float(v):.6g}"
    except (TypeError, ValueError):
        return str(v)


def _counterexample(res: "StepResult") -> Dict[str, str]:
    """The symbolic counterexample, else the numeric judge's point (its last two pairs are the
    two sides' values, not variables)."""
    from .printing.text import text

    if res.counterexample:
        return {text(s): text(v) for s, v in res.counterexample}
    if res.numeric is not None and res.numeric.counterexample:
        return {str(k): _value(v) for k, v in res.numeric.counterexample[:-2]}
    return {}


def _source(expr: Any) -> Optional[str]:
    """``expr`` as a ``.deriv`` file writes it; None when no file can (a row not read, whose
    text as written is in ``expression``, inert)."""
    from .printing.latex import unread_source
    from .printing.source import source_text

    return None if unread_source(expr) is not None else source_text(expr)


def _row(expr: Any) -> Row:
    """``expr`` as text, as LaTeX, and as the LaTeX document typesets it (a row not read: its
    source, escaped, where a math renderer gets a placeholder)."""
    from .printing.latex import latex, unread_source
    from .printing.text import text

    unread = unread_source(expr)
    tex = latex(expr)
    typeset = latex(expr, unread_as_source=True) if unread is not None else tex
    return Row(text(expr), tex, typeset, unread)


def _fact_latex(lhs: Any, relation: str, rhs: Any) -> str:
    """``\\beta \\ge 1``: an assumption or a domain condition as math."""
    from .printing.latex import latex

    return f"{latex(lhs)} {latex_symbol(relation)} {latex(rhs)}"


def _counterexample_latex(res: "StepResult") -> str:
    from .printing.latex import latex

    return ", ".join(f"{latex(s)} = {latex(v)}" for s, v in res.counterexample or ())


def step_report(file: str, derivation: str, index: int, step: "Step", res: "StepResult",
                column: Optional[int], strict: bool, source_syntax: bool = True,
                syntax: str = "deriv") -> StepReport:
    """One step's report; ``source_syntax``: also its ``.deriv`` text (which needs the parser's
    reserved words: the terminal report of a built-in goes without); ``syntax``: the language
    of its chain, in which its suggestions are written (``deriv`` or ``latex``)."""
    from .printing.latex import latex
    from .printing.report import hint_text, json_suggestions, message_parts, suggestion_texts
    from .printing.text import text

    parts = message_parts(res)
    row = _row(step.expr)
    suggestions = tuple(getattr(res, "suggestions", ()))
    return StepReport(
        file, derivation, index, step.line, column, step.relation, row.text,
        _source(step.expr) if source_syntax else None, row.latex, res.verdict,
        tuple(step.rules), tuple(res.rules_used), tuple(res.missing), "; ".join(parts) or None,
        parts[0] if parts else "",
        text(res.residual) if res.residual is not None else None, _counterexample(res),
        _numeric(res), hint_text(res) if res.hint else None, res.inconsistent,
        not res.verified or bool(strict and res.missing), tuple(json_suggestions(res)),
        typeset=row.typeset, unread=row.unread, message_parts=tuple(parts),
        checker_reason=res.reason or "",
        residual_latex=latex(res.residual) if res.residual is not None else None,
        counterexample_latex=_counterexample_latex(res),
        suggestion_lines=tuple(suggestion_texts(res, syntax)),
        suggestion_latex=tuple(s.latex or latex(s.expression) for s in suggestions))


def derivation_report(file: str, result: "DerivationResult", source_lines: Sequence[str] = (),
                      strict: bool = False, source_syntax: bool = True) -> DerivationReport:
    """One chain's report: its steps, and what every report prints around them."""
    from .printing.latex import definition_latex, model_latex
    from .printing.report import assumption_texts, conclusion, condition_texts, definition_text
    from .printing.text import model_text

    d = result.derivation
    steps = tuple(step_report(file, d.name, i, step, res, _column(source_lines, step.line),
                              strict, source_syntax, d.syntax)
                  for i, (step, res) in enumerate(zip(d.steps, result.steps), 1))
    conditions = tuple(getattr(result, "conditions", ()))
    return DerivationReport(
        d.name, d.title or "", result.ok(strict), conclusion(result),
        tuple(assumption_texts(result)), tuple(condition_texts(result)),
        tuple(model_text(m) for m in d.models), steps,
        reference=d.source or "",
        definitions=tuple(definition_text(x) for x in d.definitions),
        definitions_latex=tuple(definition_latex(x) for x in d.definitions),
        models_latex=tuple(model_latex(m) for m in d.models),
        start=_row(d.start), start_line=d.start_line, end=_row(d.end),
        conclusion_relation=d.conclusion_relation,
        assumptions_latex=tuple(_fact_latex(a.lhs, a.relation, a.rhs) for a in d.assumptions),
        conditions_latex=tuple(_fact_latex(*c) for c in conditions))


def as_derivation_report(chain: Any, strict: bool = False) -> DerivationReport:
    """``chain`` as the reports read it: a DerivationReport as it is, a checker's
    DerivationResult made into its report (``strict``: what passes)."""
    if isinstance(chain, DerivationReport):
        return chain
    return derivation_report("", chain, strict=strict, source_syntax=False)


def results_report(file: str, results: Sequence["DerivationResult"],
                   source: Optional[str] = None, strict: bool = False,
                   ok: Optional[bool] = None, source_syntax: bool = True) -> DocumentReport:
    """The report of DerivationResults checked outside a Document (``ok``: the policy's
    verdict, by default every derivation ok and some step checked)."""
    from .policy import CheckPolicy

    lines = source.splitlines() if source is not None else []
    derivations = tuple(derivation_report(file, r, lines, strict, source_syntax)
                        for r in results)
    if ok is None:
        ok = CheckPolicy(strict=strict).passes(results)
    return DocumentReport(file, ok, None, derivations, strict=strict)


def build_report(checked: "CheckedDocument", source_syntax: bool = True) -> DocumentReport:
    """The report of a checked document: built once, printed by every renderer
    (``source_syntax``: with each step's ``.deriv`` text, see ``step_report``)."""
    document = checked.document
    name, strict = document.name, checked.policy.strict
    base = results_report(name, checked.results, document.source.text, strict, checked.ok,
                          source_syntax)
    # each chain's conventions (one result per chain, in order), printed with it
    derivations = tuple(replace(d, conventions=c.conventions) if c.conventions else d
                        for d, c in zip(base.derivations, document.chains))
    skipped = tuple(SkippedDisplay(name, s.line, s.column, s.reason)
                    for s in document.skipped_chains)
    return DocumentReport(name, checked.ok, None, derivations, document.displays(),
                          skipped, tuple(document.notes()), strict)


def error_report(file: str, error: "InputError") -> DocumentReport:
    """The report of a text that could not be read: nothing checked."""
    return DocumentReport(file, False, ErrorReport(error.line, error.column, error.message,
                                                   str(error)))


def failure_report(file: str, message: str, text: Optional[str] = None) -> DocumentReport:
    """The report of a target that was not checked (unknown, or an internal error); ``text``:
    the whole message as printed on stderr (by default ``message``)."""
    return DocumentReport(file, False, ErrorReport(None, None, message,
                                                   message if text is None else text))


def run_json(reports: Sequence[DocumentReport], ok: bool) -> Dict[str, Any]:
    """``elbo-check check --json``: the run's ``ok`` and a report per file."""
    return {"ok": ok, "files": [r.to_json() for r in reports]}


def schema() -> Dict[str, Any]:
    """The JSON Schema of the reports (package data)."""
    import json
    from importlib.resources import files

    return json.loads(files("elbo_sym").joinpath(SCHEMA).read_text(encoding="utf-8"))


__all__ = ["DocumentReport", "DerivationReport", "StepReport", "NumericReport", "ErrorReport",
           "Row", "SkippedDisplay", "as_derivation_report", "build_report", "error_report",
           "failure_report", "results_report",
           "run_json", "schema", "VERIFIED"]
