"""How a derivation is checked and what passes: one ``CheckPolicy`` for every entry point.

The command line (``check``, ``derive``, ``latex``), the Python API, the MCP server, the readers
of Markdown and LaTeX and the checker itself all take a ``CheckPolicy``; the older ways to say
when the numeric judge runs (``numeric=True/False``, ``None`` for "behind the steps not
verified", the string ``"unverified"``) are converted once, by ``Numeric.of``.

A plain module: it imports nothing of the rest of the package, so the checker may import it.
"""
from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Optional, Union

DEFAULT_TIMEOUT = 10.0
DEFAULT_EXPLAIN_BUDGET = 1.0


class Numeric(str, Enum):
    """When the numeric judge runs behind a step (a str, so ``Numeric.UNVERIFIED ==
    "unverified"`` as the checker's former constant was)."""
    ALWAYS = "always"          # behind every step: it can refute, or disagree with a proof
    UNVERIFIED = "unverified"  # only behind the steps the symbolic checker did not verify
    NEVER = "never"

    @classmethod
    def of(cls, value: Union["Numeric", bool, str, None]) -> "Numeric":
        """The one conversion of the former encodings: True always, False never, None
        behind the steps not verified; a name (``"always"``, ``"unverified"``, ``"never"``)
        as itself."""
        if isinstance(value, cls):
            return value
        if value is None:
            return cls.UNVERIFIED
        if isinstance(value, bool):
            return cls.ALWAYS if value else cls.NEVER
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                pass
        names = ", ".join(repr(n.value) for n in cls)
        raise ValueError(f"numeric must be True, False, None or one of {names}, not {value!r}")


NumericLike = Union[Numeric, bool, str, None]


@dataclass(frozen=True)
class CheckPolicy:
    """How each step is judged (``numeric``, ``seed``, ``timeout``, ``explain``,
    ``explain_budget``) and what a file must show to pass (``strict``)."""
    numeric: Numeric = Numeric.ALWAYS
    seed: int = 0
    timeout: Optional[float] = DEFAULT_TIMEOUT      # seconds per step and judge; None: no limit
    explain: bool = True                            # suggestions under the steps not verified
    explain_budget: Optional[float] = DEFAULT_EXPLAIN_BUDGET  # seconds per failing step
    strict: bool = False       # a citation short of a rule fails, and so does a skipped display

    def __post_init__(self) -> None:  # numeric=True/False/None/"unverified" as ever
        object.__setattr__(self, "numeric", Numeric.of(self.numeric))

    def judges(self, verified: bool) -> bool:
        """Whether the numeric judge runs behind a step the symbolic checker did (not) verify."""
        return self.numeric is Numeric.ALWAYS or (self.numeric is Numeric.UNVERIFIED
                                                  and not verified)

    def passes(self, results: Iterable[Any], skipped: int = 0) -> bool:
        """Whether one file (or text, or built-in) passes: some step was checked, every step
        is verified (under ``strict`` also with no rule missing from its citation), and under
        ``strict`` no display that looks like a chain was skipped. ``results`` are
        DerivationResults; ``skipped`` counts the displays that look like a chain (they hold
        a relation) and were not read. Nothing checked is not success."""
        results = list(results)
        if not any(r.steps for r in results):
            return False
        if self.strict and skipped:
            return False
        return all(r.ok(self.strict) for r in results)


# the policies of the commands, shared by the command line, the API and the MCP server
CHECK = CheckPolicy()                               # elbo-check check, elbo_sym.check
DERIVE = CheckPolicy(numeric=Numeric.UNVERIFIED)    # elbo-check derive and latex, elbo_sym.derive
