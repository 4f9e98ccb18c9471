"""The one path from a target to a report, in stages:

    Source -> Document -> check -> Report -> renderers

- ``source_of``: a target (a file, a built-in name, ``-`` with ``--from``) resolved once and,
  for a file, read once, into a ``Source`` (name, kind, text). ``SUFFIXES`` is the one table
  that says a file's kind by its suffix.
- ``read_document``: a Source into a ``Document``: its chains with source positions, the rows
  not read and why, the declarations and the skipped displays. A ``.deriv`` file or a built-in
  is a Document with nothing skipped; a Markdown or LaTeX file is read by ``elbo_sym.readers``.
- ``check_document``: every chain checked under one ``CheckPolicy``: a ``CheckedDocument``.
- ``elbo_sym.report_model.build_report``: the checked document as one report model, which
  every renderer (text, JSON, GitHub, Markdown, HTML, the API, the MCP server) prints.

The parser and the readers are imported only when a file is named: ``elbo-check derive`` never
pays for them.
"""
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, cast

from .errors import InputError
from .policy import CheckPolicy

if TYPE_CHECKING:  # pragma: no cover - for the annotations only
    from .checker.chain import DerivationResult
    from .derivation import Derivation
    from .readers.document import Reading

DERIV, MD, TEX, IPYNB, BUILTIN = "deriv", "md", "tex", "ipynb", "built-in"
FORMATS = (DERIV, MD, TEX)          # what a text can be written in (--from, api.check's source)
DOCUMENTS = (MD, TEX, IPYNB)        # the formats read by elbo_sym.readers
# the one suffix table: a file's kind by its suffix (any other suffix: the .deriv language)
SUFFIXES: Dict[str, str] = {".deriv": DERIV, ".md": MD, ".markdown": MD, ".tex": TEX,
                            ".latex": TEX, ".ipynb": IPYNB}
STDIN_TARGET = "-"
STDIN_NAME = "<stdin>"
MAX_FILE_CHARS = 2_000_000          # as the parser and the readers: a long paper is a few 100 kB
_MAX_FILE_BYTES = 4 * MAX_FILE_CHARS


class UnknownTarget(LookupError):
    """Neither a built-in name nor an existing file: a usage error, not an input error."""


# -- Source ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """What a target names, read once: ``name`` as reports show it (the path, the built-in's
    name, ``<stdin>``), ``kind`` (deriv, md, tex, built-in), ``text`` (None for a built-in)."""
    name: str
    kind: str
    text: Optional[str] = None
    target: str = ""                # as given on the command line

    @property
    def is_document(self) -> bool:
        """A Markdown or LaTeX document (its displays counted in the report)."""
        return self.kind in DOCUMENTS


def kind_of_path(path: str, declared: Optional[str] = None) -> str:
    """``declared`` when it is a format, else the kind of ``path`` by its suffix."""
    if declared in FORMATS:
        return str(declared)
    return SUFFIXES.get(os.path.splitext(path)[1].lower(), DERIV)


def is_derivation_file(name: str) -> bool:
    """A file a directory target checks: one of the suffixes of the table."""
    return os.path.splitext(name)[1].lower() in SUFFIXES


def _builtins() -> Mapping[str, Any]:
    from .derivations import BUILTINS

    return BUILTINS


def resolve(target: str) -> str:
    """``BUILTIN``, ``"file"`` or ``"standard input"``: what ``target`` names. A built-in name
    wins over a file of the same name (write ``./elbo`` for the file). Raises UnknownTarget for
    anything else, naming the built-ins, so that a typo is told apart from a bad file."""
    builtins = _builtins()
    if target == STDIN_TARGET:
        return "standard input"
    if target in builtins:
        return BUILTIN
    if os.path.isdir(target):
        raise UnknownTarget(f"{target!r} is a directory, not a derivation file; "
                            f"built-ins: {', '.join(builtins)}")
    if os.path.exists(target):
        return "file"
    raise UnknownTarget(f"no built-in derivation or file named {target!r}; "
                        f"built-ins: {', '.join(builtins)}")


def read_file(path: str) -> str:
    """The text of the file at ``path`` (UTF-8), read once; InputError when it cannot be."""
    from .parser.reader import decode

    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", None, None,
                         path) from None
    if len(data) > _MAX_FILE_BYTES:
        raise InputError(f"file too large (over {MAX_FILE_CHARS} characters)", 1, 1, path)
    return decode(data, path)


def source_of(target: str, source_format: Optional[str] = None,
              stdin_text: Optional[str] = None) -> Source:
    """The Source of ``target``: a built-in name, a file (its kind by ``SUFFIXES``) or ``-``
    (``stdin_text``, in ``source_format``: deriv, the default, md or tex). Raises
    UnknownTarget for anything else and InputError for a file that cannot be read."""
    kind = resolve(target)
    if kind == BUILTIN:
        return Source(target, BUILTIN, None, target)
    if target == STDIN_TARGET:
        return Source(STDIN_NAME, kind_of_path("", source_format), stdin_text or "", target)
    return Source(target, kind_of_path(target), read_file(target), target)


def text_source(text: str, kind: str = DERIV, name: str = "<string>") -> Source:
    """A text given by a program (the API, the MCP server) as a Source."""
    if kind not in FORMATS:
        raise ValueError(f"source must be one of {', '.join(FORMATS)}, not {kind!r}")
    return Source(name, kind, text, name)


# -- Document --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chain:
    """A chain as read: the whole ``derivation`` (for reports), the ``segments`` that were
    parsed (each a derivation and the indices of its steps in the whole), the steps not read
    (index -> why), and where its display starts (None outside documents)."""
    derivation: "Derivation"
    segments: Tuple[Tuple["Derivation", Tuple[int, ...]], ...]
    unread: Mapping[int, str]
    display: Optional[int] = None
    role: str = ""        # "hypothesis" (before \Rightarrow) or "consequence" (after it)
    conventions: Tuple[str, ...] = ()     # readings that add meaning the rows do not write

    @classmethod
    def whole(cls, derivation: "Derivation") -> "Chain":
        """A chain read whole (a .deriv file, a built-in): one segment, nothing unread."""
        return cls(derivation, ((derivation, tuple(range(len(derivation.steps)))),), {})


@dataclass(frozen=True)
class Declared:
    line: int
    text: str
    conventions: Tuple[str, ...] = ()     # readings that add meaning the display does not write


@dataclass(frozen=True)
class Skipped:
    """A display not read, and why; ``has_relation``: it looks like a chain (reported in every
    format, a failure under --strict)."""
    line: int
    column: Optional[int]
    reason: str
    has_relation: bool = True


NOTHING_CHECKED = "no step checked: no display was read as a chain (nothing is verified)"


@dataclass(frozen=True)
class Document:
    """What any reader gives: the chains, the declarations, the skipped displays."""
    source: Source
    chains: Tuple[Chain, ...]
    declared: Tuple[Declared, ...] = ()
    skipped: Tuple[Skipped, ...] = ()

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def skipped_chains(self) -> Tuple[Skipped, ...]:
        """The skipped displays that look like a chain: never silent."""
        return tuple(s for s in self.skipped if s.has_relation)

    @property
    def displays_checked(self) -> int:
        return len({c.display for c in self.chains})

    def notes(self) -> List[str]:
        """A document's last report lines: how many displays were checked, declared and
        skipped, and that nothing was checked when no display was read as a chain (none for a
        .deriv file or a built-in)."""
        if not self.source.is_document:
            return []
        from .printing.report import convention_line

        f, checked = self.name, self.displays_checked
        lines = [f"{f}: {checked} display{'s' * (checked != 1)} checked, "
                 f"{len(self.declared)} declared, {len(self.skipped)} skipped"]
        for d in self.declared:
            lines.append(f"  declared {f}:{d.line}: {d.text}")
            lines += [f"    {convention_line(c)}" for c in d.conventions]
        for s in self.skipped:
            where = f"{f}:{s.line}" + (f":{s.column}" if s.column else "")
            lines.append(f"  skipped {where}: {s.reason}")
        if not checked:
            lines.append(f"{f}: {NOTHING_CHECKED}")
        return lines

    def displays(self) -> Optional[Dict[str, Any]]:
        """The ``displays`` of the JSON report (None for a .deriv file or a built-in)."""
        if not self.source.is_document:
            return None
        return {"checked": self.displays_checked,
                "declared": [{"line": d.line, "text": d.text,
                              "conventions": list(d.conventions)} for d in self.declared],
                "skipped": [{"line": s.line, "column": s.column, "reason": s.reason,
                             "has_relation": s.has_relation} for s in self.skipped]}


def document_of_reading(reading: "Reading", source: Optional[Source] = None) -> Document:
    """A reader's ``Reading`` (``elbo_sym.readers``) as a Document."""
    from .readers.document import ChainBlock, DeclaredBlock, SkippedBlock

    if source is None:
        source = Source(reading.filename, TEX, None, reading.filename)
    chains: List[Chain] = []
    declared: List[Declared] = []
    skipped: List[Skipped] = []
    for b in reading.blocks:
        if isinstance(b, ChainBlock):
            segments = tuple((cast("Derivation", d), tuple(indices)) for d, indices in b.segments)
            chains.append(Chain(cast("Derivation", b.derivation), segments, dict(b.unread),
                                b.display, b.role, tuple(b.conventions)))
        elif isinstance(b, DeclaredBlock):
            declared.append(Declared(b.line, b.text, tuple(b.conventions)))
        elif isinstance(b, SkippedBlock):
            skipped.append(Skipped(b.line, b.column, b.reason, b.has_relation))
    return Document(source, tuple(chains), tuple(declared), tuple(skipped))


def read_document(source: Source) -> Document:
    """The Document of ``source``. Raises InputError for a text that cannot be read."""
    if source.kind == BUILTIN:
        return Document(source, (Chain.whole(_builtins()[source.name]),))
    if source.kind in DOCUMENTS:
        from .readers import read_text

        return document_of_reading(read_text(source.text or "", source.name, source.kind),
                                   source)
    from .parser import parse_text

    derivations = parse_text(source.text or "", filename=source.name)
    return Document(source, tuple(Chain.whole(d) for d in derivations))


# -- check -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckedDocument:
    """A Document with a DerivationResult per chain, checked under ``policy``."""
    document: Document
    results: Tuple["DerivationResult", ...]
    policy: CheckPolicy

    @property
    def ok(self) -> bool:
        """What the policy says of it: some step checked, every step verified (under strict,
        fully cited and no display that looks like a chain skipped)."""
        return self.policy.passes(self.results, len(self.document.skipped_chains))

    @property
    def inconsistent(self) -> bool:
        return any(r.inconsistent for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 passed, 1 not, 3 the judges disagree."""
        return 3 if self.inconsistent else (0 if self.ok else 1)


def check_chain(chain: Chain, policy: CheckPolicy) -> "DerivationResult":
    """A chain's DerivationResult: its segments checked as ``policy`` says, the steps that
    touch a row not read ``unknown`` with the reason."""
    from .checker import UNKNOWN, check_derivation
    from .checker.chain import DerivationResult
    from .checker.step import StepResult

    if len(chain.segments) == 1 and chain.segments[0][0] is chain.derivation:
        return check_derivation(chain.derivation, policy=policy)
    by_step: Dict[int, Any] = {}
    conditions: List[Any] = []
    for derivation, indices in chain.segments:
        checked = check_derivation(derivation, policy=policy)
        by_step.update(zip(indices, checked.steps))
        conditions += [c for c in checked.conditions if c not in conditions]
    steps = []
    for index, step in enumerate(chain.derivation.steps):
        result = by_step.get(index)
        if result is None:
            result = StepResult(UNKNOWN, tuple(step.rules),
                                reason=chain.unread.get(index, "not read"))
        steps.append(result)
    return DerivationResult(chain.derivation, tuple(steps), tuple(conditions))


def check_document(document: Document, policy: CheckPolicy) -> CheckedDocument:
    """Every chain of ``document`` checked under ``policy``: the one check of every entry point
    (the command line, the API, the MCP server)."""
    results = tuple(check_chain(c, policy) for c in document.chains)
    return CheckedDocument(document, _implications(document.chains, results), policy)


def check_source(source: Source, policy: CheckPolicy) -> CheckedDocument:
    """``check_document(read_document(source), policy)``."""
    return check_document(read_document(source), policy)


HYPOTHESIS = ("a hypothesis of an implication (before \\Rightarrow): it is assumed, not "
              "claimed, so it is not refuted")
CONSEQUENCE = ("the claim of an implication whose hypothesis is not shown to hold: it may hold "
               "under the hypothesis, so failing on its own it is not refuted")


def _implications(chains: Sequence[Chain], results: Sequence["DerivationResult"]) -> tuple:
    """``A \\Rightarrow B``: A may be a hypothesis (``x = 2 \\Rightarrow x + 1 = 3``) or a
    claim shown before (a chain, then its consequence). One meaning or none: a step of A that
    fails is not refuted (it may be an assumption), and a step of B that fails is not refuted
    unless every step of A was verified (then A is a claim and B stands on its own)."""
    from dataclasses import replace

    from .relations import REFUTED, UNKNOWN

    def soften(result: "DerivationResult", reason: str) -> "DerivationResult":
        steps = tuple(replace(s, verdict=UNKNOWN, reason=f"{reason} ({s.reason})" if s.reason
                              else reason, counterexample=())
                      if s.verdict == REFUTED else s for s in result.steps)
        return replace(result, steps=steps)

    out = list(results)
    for i, chain in enumerate(chains):
        if chain.role == "hypothesis":
            out[i] = soften(results[i], HYPOTHESIS)
        elif chain.role == "consequence":
            before = results[i - 1] if i > 0 and chains[i - 1].role == "hypothesis" else None
            if before is None or not all(s.verified for s in before.steps):
                out[i] = soften(results[i], CONSEQUENCE)
    return tuple(out)

