"""The Python API: ``check(text)`` and ``derive(name)`` give a ``Report`` that displays itself.

In a notebook a report shows as a page of colours and math (``_repr_html_``), as LaTeX
(``_repr_latex_``: ``aligned`` inside ``$$``, which KaTeX and MathJax both render) or as
Markdown; ``str(report)`` is the terminal report; ``report.to_json()`` the JSON the command
prints. Everything goes through the same loader, checker and printers as ``elbo-check``.

>>> import elbo_sym
>>> report = elbo_sym.check('''
... derivation swapped "Swapped conditional"
...   log p(x)
...   = log p(x, z) - log p(z | x)     by product-rule
...   = log p(x, z) - log p(x | z)     by bayes-rule
... ''')
>>> report.ok, report.verdicts
(False, ['verified', 'refuted'])
"""
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from .errors import InputError
from .policy import CheckPolicy, Numeric, NumericLike

if TYPE_CHECKING:  # pragma: no cover - imported for the annotations only
    from .checker.chain import DerivationResult
    from .checker.step import StepResult
    from .derivation import Derivation, Step
    from .readers import Reading

SOURCES = ("deriv", "md", "tex")

__all__ = ["Report", "StepView", "check", "derive", "builtins", "rule_catalogue", "SOURCES",
           "InputError", "CheckPolicy"]


@dataclass(frozen=True)
class StepView:
    """One checked step, flat: what a program (or an agent) reads of it."""
    derivation: str
    index: int                       # 1-based, in its chain
    line: Optional[int]
    relation: str                    # canonical: = <= >= < >
    expression: str                  # the step's right side, as the terminal prints it
    latex: str
    verdict: str                     # verified, refuted or unknown
    rules_cited: Tuple[str, ...]
    rules_used: Tuple[str, ...]
    missing_rules: Tuple[str, ...]
    message: Optional[str]           # why it is not verified (or the citation warning)
    residual: Optional[str]          # lhs - rhs in normal form, for a step not verified
    counterexample: Dict[str, str]   # variable -> value (symbolic, or the numeric judge's)
    # nearby steps the checker verified, for a step not verified: {expression, relation, edit,
    # rules} (elbo_sym.checker.explain)
    suggestions: Tuple[Dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Report:
    """The checked derivations of one text, file or built-in.

    ``results`` are the checker's ``DerivationResult``s (each with its ``derivation`` and one
    ``StepResult`` per step); ``reading`` is the Markdown or LaTeX document's ``Reading``
    (its displays checked, declared and skipped), None for the ``.deriv`` language and the
    built-ins. ``ok`` is true when some step was checked and every step is verified (under
    ``strict``, also cited with every rule it needed, and no display that looks like a chain
    skipped): nothing checked is not success."""

    name: str
    results: Tuple["DerivationResult", ...]
    strict: bool = False
    source: Optional[str] = field(default=None, repr=False)
    reading: Optional["Reading"] = field(default=None, repr=False)

    # -- the Section protocol of the printers (one section: this report)
    @property
    def target(self) -> str:
        return self.name

    @property
    def error(self) -> str:
        return ""

    # -- reading it
    @property
    def ok(self) -> bool:
        return CheckPolicy(strict=self.strict).passes(self.results, len(self.skipped))

    @property
    def skipped(self) -> List[Any]:
        """The displays that look like a chain (they hold a relation) and were not read, each
        with its ``line``, ``column`` and ``reason``."""
        from .readers import skipped_chains

        return skipped_chains(self.reading) if self.reading is not None else []

    @property
    def displays(self) -> Optional[Dict[str, Any]]:
        """A document's displays as the JSON reports them (``checked``, ``declared``,
        ``skipped``); None for the ``.deriv`` language and the built-ins."""
        from .readers import summary_json

        return summary_json(self.reading) if self.reading is not None else None

    @property
    def notes(self) -> List[str]:
        """A document's last report lines: displays checked, declared and skipped, and that
        nothing was checked when no display was read as a chain."""
        from .readers import summary_lines

        return summary_lines(self.reading) if self.reading is not None else []

    @property
    def inconsistent(self) -> bool:
        return any(r.inconsistent for r in self.results)

    @property
    def exit_code(self) -> int:
        """What ``elbo-check check`` would exit with: 0, 1, or 3 (the judges disagree)."""
        return 3 if self.inconsistent else (0 if self.ok else 1)

    @property
    def verdicts(self) -> List[str]:
        """Every step's verdict, in order (all derivations one after another)."""
        return [s.verdict for r in self.results for s in r.steps]

    @property
    def steps(self) -> List[StepView]:
        from .printing import latex, text

        out = []
        for r in self.results:
            d = r.derivation
            for i, (step, res) in enumerate(zip(d.steps, r.steps), 1):
                out.append(_step_view(d.name, i, step, res, text, latex))
        return out

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, i: int) -> "DerivationResult":
        return self.results[i]

    # -- printing it
    def text(self, colour: bool = False) -> str:
        """The terminal report (``elbo-check check``'s text, without colour by default)."""
        from .printing.report import format_derivation

        prefix = f"{self.name}: " if self.name not in {r.derivation.name for r in self.results} \
            else ""
        blocks = [prefix + format_derivation(r, colour=colour, strict=self.strict)
                  for r in self.results]
        return "\n\n".join(blocks + (["\n".join(self.notes)] if self.notes else []))

    def located(self) -> List[str]:
        """``NAME:LINE:COL: refuted: ...`` for each step that is not verified."""
        from .printing.located import located_lines, step_records

        return located_lines(step_records(self.name, self.results, self.source, self.strict))

    def markdown(self) -> str:
        from .printing.markdown import markdown_report

        return markdown_report([self], strict=self.strict)

    def html(self) -> str:
        """A self-contained HTML page (MathML, no script, nothing fetched)."""
        from .printing.html import html_report

        return html_report([self], strict=self.strict)

    def latex(self) -> str:
        """A LaTeX document that pdflatex compiles (``elbo-check latex``)."""
        from .printing.document import document

        return document(list(self.results))

    def to_json(self) -> Dict[str, Any]:
        """The entry of ``files`` in ``elbo-check check --json``."""
        from .printing.report import json_file

        entry = json_file(self.name, self.results, strict=self.strict)
        entry["ok"] = self.ok
        if self.reading is not None:
            entry["displays"] = self.displays
        return entry

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        counts: Dict[str, int] = {}
        for v in self.verdicts:
            counts[v] = counts.get(v, 0) + 1
        tally = ", ".join(f"{n} {v}" for v, n in counts.items()) or "no steps"
        names = ", ".join(r.derivation.name for r in self.results)
        return f"<Report {self.name}: {names}: {tally}>"

    # -- notebooks
    def _repr_latex_(self) -> str:
        from .printing.markdown import latex_display

        return latex_display(self.results)

    def _repr_html_(self) -> str:
        from .printing.html import notebook_html

        return notebook_html([self], strict=self.strict)

    def _repr_markdown_(self) -> str:
        from .printing.markdown import derivation_markdown

        return "\n\n".join(derivation_markdown(r, strict=self.strict) for r in self.results)


def _step_view(name: str, index: int, step: "Step", res: "StepResult", text: Any,
               latex: Any) -> StepView:
    from .printing.report import json_suggestions, step_message

    counterexample = {text(s): text(v) for s, v in res.counterexample}
    if not counterexample and res.numeric is not None and res.numeric.counterexample:
        # the judge's pairs end with the two sides' values ("left", "right"): not variables
        pairs = res.numeric.counterexample[:-2]
        counterexample = {str(k): f"{float(v):.6g}" for k, v in pairs}
    return StepView(name, index, step.line, step.relation, text(step.expr), latex(step.expr),
                    res.verdict, tuple(step.rules), tuple(res.rules_used), tuple(res.missing),
                    step_message(res), text(res.residual) if res.residual is not None else None,
                    counterexample, tuple(json_suggestions(res)))


def check(text: str, source: str = "deriv", *, name: str = "<string>",
          numeric: NumericLike = True, seed: int = 0, timeout: Optional[float] = 10.0,
          strict: bool = False, policy: Optional[CheckPolicy] = None) -> Report:
    """Check the derivations written in ``text``: the ``.deriv`` language (``source="deriv"``),
    or the display math of a Markdown (``"md"``) or LaTeX (``"tex"``) document. ``numeric``
    runs the numeric judge behind every step (True, as ``elbo-check check`` does), behind the
    steps not verified only (None) or never (False). ``policy``, when given, says all of that
    at once and replaces ``numeric``, ``seed``, ``timeout`` and ``strict``.

    Raises ``InputError`` (with ``line`` and ``column``) for text that cannot be read."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if policy is None:
        policy = CheckPolicy(Numeric.of(numeric), seed, timeout, strict=strict)
    reading = None
    if source == "deriv":
        from .checker import check_derivation
        from .parser import parse_text

        derivations = parse_text(text, filename=name)
        results = tuple(check_derivation(d, policy=policy) for d in derivations)
    else:
        from .readers import check_reading, read_text

        reading = read_text(text, name, source)
        results = tuple(check_reading(reading, policy=policy))
    return Report(name, results, policy.strict, text, reading)


def derive(name: str = "elbo", *, numeric: NumericLike = None, seed: int = 0,
           timeout: Optional[float] = 10.0, strict: bool = False,
           policy: Optional[CheckPolicy] = None) -> Report:
    """A built-in derivation (see ``builtins()``), every step checked. As ``elbo-check
    derive``: symbolic first, then the numeric judge on any step not verified (``numeric=True``
    runs it behind every step, ``False`` never). ``policy``, when given, replaces ``numeric``,
    ``seed``, ``timeout`` and ``strict``."""
    from .checker import check_derivation
    from .derivations import BUILTINS

    if name not in BUILTINS:
        raise KeyError(f"no built-in derivation named {name!r}; built-ins: {', '.join(BUILTINS)}")
    if policy is None:
        policy = CheckPolicy(Numeric.of(numeric), seed, timeout, strict=strict)
    return Report(name, (check_derivation(BUILTINS[name], policy=policy),), policy.strict)


def builtins() -> Dict[str, str]:
    """The built-in derivations: name -> title."""
    from .derivations import BUILTINS

    return {name: d.title for name, d in BUILTINS.items()}


def rule_catalogue() -> Dict[str, str]:
    """The rule catalogue: the names a step may cite after ``by``, and what each licenses."""
    from .rules.catalogue import RULES

    return dict(RULES)
