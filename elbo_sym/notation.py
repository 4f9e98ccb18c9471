"""The notation: one home for the names every reader and printer shares.

The ``.deriv`` parser, the LaTeX reader and the printers (text, LaTeX, ``.deriv`` source) all
import these tables, so a letter, a density family or a known function is spelt the same way
wherever it is read or written. Relations and verdicts have their own home,
``elbo_sym.relations``.
"""
import re
import unicodedata
from typing import Dict, FrozenSet

# -- Greek letters --------------------------------------------------------------------------

# The LaTeX commands read as a Greek letter, with the name the letter has in the package
# (a variant form reads as its letter: \varepsilon is epsilon; \ell is a letter too).
GREEK_LATEX: Dict[str, str] = {
    r"\alpha": "alpha", r"\beta": "beta", r"\gamma": "gamma", r"\delta": "delta",
    r"\epsilon": "epsilon", r"\varepsilon": "epsilon", r"\zeta": "zeta", r"\eta": "eta",
    r"\theta": "theta", r"\vartheta": "theta", r"\iota": "iota", r"\kappa": "kappa",
    r"\lambda": "lambda", r"\mu": "mu", r"\nu": "nu", r"\xi": "xi", r"\pi": "pi",
    r"\rho": "rho", r"\varrho": "rho", r"\sigma": "sigma", r"\varsigma": "varsigma",
    r"\tau": "tau", r"\upsilon": "upsilon", r"\phi": "phi", r"\varphi": "phi", r"\chi": "chi",
    r"\psi": "psi", r"\omega": "omega", r"\Gamma": "Gamma", r"\Delta": "Delta",
    r"\Theta": "Theta", r"\Lambda": "Lambda", r"\Xi": "Xi", r"\Pi": "Pi", r"\Sigma": "Sigma",
    r"\Upsilon": "Upsilon", r"\Phi": "Phi", r"\Psi": "Psi", r"\Omega": "Omega",
    r"\ell": "ell",
}
GREEK_NAMES: FrozenSet[str] = frozenset(GREEK_LATEX.values())
CAPITAL_GREEK: FrozenSet[str] = frozenset(n for n in GREEK_NAMES if n[0].isupper())

# The Greek names that have a LaTeX command of their own (capitals that look Latin, such as
# Alpha, and omicron have none and print as words; sympy's alias 'lamda' is a word too).
GREEK_COMMANDS: FrozenSet[str] = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
    "tau upsilon phi chi psi omega varsigma Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi "
    "Psi Omega".split())

# Letters that look Latin (Alpha, Beta, ..., omicron): printed spelt, never as the letter.
_LOOKALIKES = "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧο"


_LETTER_NAMES = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron "
                 "pi rho sigma tau upsilon phi chi psi omega").split()


def _unicode_letters() -> Dict[str, str]:
    """name -> Unicode letter for the 24 letters, small and capital, and varsigma (ς): the
    letters sympy's printer knows, with Unicode's own names (Unicode spells lambda 'LAMDA')."""
    def letter(case: str, name: str) -> str:
        return unicodedata.lookup(f"GREEK {case} LETTER {name.upper().replace('LAMBDA', 'LAMDA')}")

    table = {name: letter("SMALL", name) for name in _LETTER_NAMES}
    table.update({name.capitalize(): letter("CAPITAL", name) for name in _LETTER_NAMES})
    table["varsigma"] = letter("SMALL", "final sigma")
    return table


_UNICODE: Dict[str, str] = _unicode_letters()
# name -> letter, one spelling per letter so that two names never print alike
GREEK_UNICODE: Dict[str, str] = {name: char for name, char in _UNICODE.items()
                                 if char not in _LOOKALIKES}
# letter -> name, as a file may write it (σ is sigma, λ is lambda)
UNICODE_GREEK: Dict[str, str] = {char: name for name, char in _UNICODE.items()}

# -- densities and functions ------------------------------------------------------------------

# A density family: p, q, r, with subscripts (q_phi, p_theta_0).
DENSITY_FAMILY = re.compile(r"[pqr](?:_[A-Za-z0-9]+)*\Z")

# The functions the language knows: a bracket after one of them is its argument.
KNOWN_FUNCTIONS = ("log", "ln", "exp", "sqrt", "abs", "KL", "D_KL", "H", "N")
# The spellings of the logarithm and of the KL divergence, and the names of the Gaussian
# density N(z; mean, variance) and of the entropy H(q).
LOGARITHMS: FrozenSet[str] = frozenset(("log", "ln"))
KL_NAMES: FrozenSet[str] = frozenset(("KL", "D_KL"))
GAUSSIAN = "N"
ENTROPY = "H"
UNARY_FUNCTIONS: FrozenSet[str] = frozenset(("log", "ln", "exp", "sqrt", "abs", "H"))
# Functions that need their brackets.
BRACKETED_ONLY: FrozenSet[str] = frozenset(("exp", "sqrt", "abs", "KL", "D_KL"))
# The constants: pi and Euler's e.
CONSTANTS: FrozenSet[str] = frozenset(("pi", "e"))
# The expectation operator's name.
EXPECTATION = "E"
# The binders written as words: sum_{j=1}^{J} f, prod_{t=1}^{T} f, int f dz.
BINDER_WORDS: FrozenSet[str] = frozenset(("sum", "prod", "int"))
# Every word that has a meaning of its own in a derivation (none can be a plain variable).
KNOWN_WORDS: FrozenSet[str] = (frozenset(KNOWN_FUNCTIONS) | CONSTANTS | {EXPECTATION}
                               | BINDER_WORDS)


def is_density_family(name: str) -> bool:
    """Whether ``name`` names a density family (``p``, ``q_phi``)."""
    return DENSITY_FAMILY.match(name) is not None


def spell_greek(name: str) -> str:
    """``name`` with its Greek letters spelt out, as the ``.deriv`` language reads them:
    ``σ_j`` is ``sigma_j``, ``λ`` is ``lambda``; any other character stays."""
    if name.isascii():
        return name
    return "".join(UNICODE_GREEK.get(c, c) for c in name)


__all__ = ["GREEK_LATEX", "GREEK_NAMES", "CAPITAL_GREEK", "GREEK_COMMANDS", "GREEK_UNICODE",
           "UNICODE_GREEK", "DENSITY_FAMILY", "KNOWN_FUNCTIONS", "UNARY_FUNCTIONS",
           "BRACKETED_ONLY", "CONSTANTS", "EXPECTATION", "KNOWN_WORDS", "is_density_family",
           "LOGARITHMS", "KL_NAMES", "GAUSSIAN", "ENTROPY", "BINDER_WORDS", "spell_greek"]
