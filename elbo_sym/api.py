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
from functools import cached_property
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from .errors import InputError
from .pipeline import FORMATS as SOURCES
from .policy import CheckPolicy, Numeric, NumericLike
from .report_model import StepReport

if TYPE_CHECKING:  # pragma: no cover - imported for the annotations only
    from .checker.chain import DerivationResult
    from .pipeline import CheckedDocument, Document
    from .report_model import DocumentReport

__all__ = ["Report", "StepView", "check", "derive", "builtins", "rule_catalogue", "SOURCES",
           "InputError", "CheckPolicy"]


StepView = StepReport   # one checked step, flat: what a program (or an agent) reads of it


@dataclass(frozen=True)
class Report:
    """The checked derivations of one text, file or built-in.

    ``results`` are the checker's ``DerivationResult``s (each with its ``derivation`` and one
    ``StepResult`` per step); ``document`` is what was read (``pipeline.Document``: for a
    Markdown or LaTeX text its displays checked, declared and skipped). ``ok`` is true when
    some step was checked and every step is verified (under ``strict``, also cited with every
    rule it needed, and no display that looks like a chain skipped): nothing checked is not
    success. ``model`` is the report model every format prints (``report_model``)."""

    name: str
    results: Tuple["DerivationResult", ...]
    strict: bool = False
    source: Optional[str] = field(default=None, repr=False)
    document: Optional["Document"] = field(default=None, repr=False)

    @classmethod
    def of(cls, checked: "CheckedDocument") -> "Report":
        """The Report of a checked document (``pipeline.check_document``)."""
        document = checked.document
        return cls(document.name, checked.results, checked.policy.strict, document.source.text,
                   document)

    @cached_property
    def checked(self) -> "CheckedDocument":
        """The checked document these results are (``pipeline.CheckedDocument``), built once."""
        from .pipeline import CheckedDocument, Chain, Document, Source, BUILTIN

        document = self.document or Document(
            Source(self.name, BUILTIN, self.source, self.name),
            tuple(Chain.whole(r.derivation) for r in self.results))
        return CheckedDocument(document, self.results, CheckPolicy(strict=self.strict))

    @cached_property
    def model(self) -> "DocumentReport":
        """The report model (``report_model.build_report``), built once."""
        from .report_model import build_report

        return build_report(self.checked)

    @property
    def target(self) -> str:
        """The name it was checked under (a file, a built-in, or ``<string>``)."""
        return self.name

    @property
    def error(self) -> str:
        """Always "": a text that cannot be read raises ``InputError`` instead."""
        return ""

    # -- reading it
    @property
    def ok(self) -> bool:
        return self.model.ok

    @property
    def skipped(self) -> Tuple[Any, ...]:
        """The displays that look like a chain (they hold a relation) and were not read, each
        with its ``line``, ``column`` and ``reason``."""
        return self.model.skipped

    @property
    def displays(self) -> Optional[Dict[str, Any]]:
        """A document's displays as the JSON reports them (``checked``, ``declared``,
        ``skipped``); None for the ``.deriv`` language and the built-ins."""
        return self.model.displays

    @property
    def notes(self) -> List[str]:
        """A document's last report lines: displays checked, declared and skipped, and that
        nothing was checked when no display was read as a chain."""
        return list(self.model.notes)

    @property
    def inconsistent(self) -> bool:
        return self.checked.inconsistent

    @property
    def exit_code(self) -> int:
        """What ``elbo-check check`` would exit with: 0, 1, or 3 (the judges disagree)."""
        return self.checked.exit_code

    @property
    def verdicts(self) -> List[str]:
        """Every step's verdict, in order (all derivations one after another)."""
        return self.model.verdicts

    @property
    def steps(self) -> List[StepView]:
        return list(self.model.steps)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, i: int) -> "DerivationResult":
        return self.results[i]

    # -- printing it
    def text(self, colour: bool = False) -> str:
        """The terminal report (``elbo-check check``'s text, without colour by default)."""
        from .printing.report import document_text

        prefix = f"{self.name}: " if self.name not in {d.name for d in self.model.derivations} \
            else ""
        return document_text(self.model, prefix, colour)

    def located(self) -> List[str]:
        """``NAME:LINE:COL: refuted: ...`` for each step that is not verified."""
        return self.model.located()

    def markdown(self) -> str:
        from .printing.markdown import markdown_report

        return markdown_report([self.model])

    def html(self) -> str:
        """A self-contained HTML page (MathML, no script, nothing fetched)."""
        from .printing.html import html_report

        return html_report([self.model])

    def latex(self) -> str:
        """A LaTeX document that pdflatex compiles (``elbo-check latex``)."""
        from .printing.document import document

        return document(self.model.derivations)

    def to_json(self) -> Dict[str, Any]:
        """The entry of ``files`` in ``elbo-check check --json``, and the MCP server's result:
        one shape (``elbo_sym/schema/report.schema.json``)."""
        return self.model.to_json()

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

        return latex_display(self.model.derivations)

    def _repr_html_(self) -> str:
        from .printing.html import notebook_html

        return notebook_html([self.model])

    def _repr_markdown_(self) -> str:
        from .printing.markdown import derivation_markdown

        return "\n\n".join(derivation_markdown(d) for d in self.model.derivations)


def check(text: str, source: str = "deriv", *, name: str = "<string>",
          numeric: NumericLike = True, seed: int = 0, timeout: Optional[float] = 10.0,
          strict: bool = False, policy: Optional[CheckPolicy] = None) -> Report:
    """Check the derivations written in ``text``: the ``.deriv`` language (``source="deriv"``),
    or the display math of a Markdown (``"md"``) or LaTeX (``"tex"``) document. ``numeric``
    runs the numeric judge behind every step (True, as ``elbo-check check`` does), behind the
    steps not verified only (None) or never (False). ``policy``, when given, says all of that
    at once and replaces ``numeric``, ``seed``, ``timeout`` and ``strict``.

    Raises ``InputError`` (with ``line`` and ``column``) for text that cannot be read."""
    from .pipeline import check_document, read_document, text_source

    document_source = text_source(text, source, name)   # ValueError for another source
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if policy is None:
        policy = CheckPolicy(Numeric.of(numeric), seed, timeout, strict=strict)
    return Report.of(check_document(read_document(document_source), policy))


def derive(name: str = "elbo", *, numeric: NumericLike = None, seed: int = 0,
           timeout: Optional[float] = 10.0, strict: bool = False,
           policy: Optional[CheckPolicy] = None) -> Report:
    """A built-in derivation (see ``builtins()``), every step checked. As ``elbo-check
    derive``: symbolic first, then the numeric judge on any step not verified (``numeric=True``
    runs it behind every step, ``False`` never). ``policy``, when given, replaces ``numeric``,
    ``seed``, ``timeout`` and ``strict``."""
    from .derivations import BUILTINS
    from .pipeline import BUILTIN, Source, check_document, read_document

    if name not in BUILTINS:
        raise KeyError(f"no built-in derivation named {name!r}; built-ins: {', '.join(BUILTINS)}")
    if policy is None:
        policy = CheckPolicy(Numeric.of(numeric), seed, timeout, strict=strict)
    return Report.of(check_document(read_document(Source(name, BUILTIN, None, name)), policy))


def builtins() -> Dict[str, str]:
    """The built-in derivations: name -> title."""
    from .derivations import BUILTINS

    return {name: d.title for name, d in BUILTINS.items()}


def rule_catalogue() -> Dict[str, str]:
    """The rule catalogue: the names a step may cite after ``by``, and what each licenses."""
    from .rules.catalogue import RULES

    return dict(RULES)
