"""The rule catalogue: the names a step may cite, and what each one licenses."""
from typing import List

RULES = {
    "algebra": "field arithmetic, log and exp laws (densities are positive)",
    "definition": "folding or unfolding a let",
    "product-rule": "p(A, B) = p(A | B) p(B), within one family",
    "bayes-rule": "p(A | B) = p(B | A) p(A) / p(B)",
    "marginalization": "int p(A, B) dB = p(A); int p(B | A) dB = 1; B may be a run of a range "
                       "of A: int p(x_{0:T}) dx_{1:T} = p(x_0)",
    "tower": "E_{q(A, B | C)}[f] = E_{q(A | C)}[ E_{q(B | A, C)}[f] ]; variables f does not "
             "depend on are integrated out; i.i.d. draws reduce to the one a term uses",
    "model": "a declared model: a joint is the product of its factors, and a conditional drops "
             "what the graph makes irrelevant",
    "linearity": "E[a f + b g] = a E[f] + b E[g], a and b constant in the integrated variables",
    "expectation-of-constant": "E_{q(z|..)}[c] = c when c does not depend on z",
    "importance-weighting": "int f dz = E_{q(z)}[ f / q(z) ]; so int q(z | x) g dz = "
                            "E_{q(z|x)}[ g ] for a density q(z | ..) of z",
    "kl-definition": "KL(q || p) = E_q[ log q - log p ]",
    "entropy-definition": "H(q) = -E_q[ log q ]",
    "kl-nonneg": "KL(q || p) >= 0 (Gibbs' inequality)",
    "jensen": "f(E[X]) >= E[f(X)] for concave f (log, sqrt; log of an average >= average of "
              "logs) and <= for convex f (exp, x^2, x log x)",
    "gaussian": "closed forms of N: its log-density, E[z] = mu, E[z^2] = mu^2 + sigma^2",
    "monotonicity": "a >= b gives a + c >= b + c, and k a >= k b for k >= 0 (assumptions count)",
}

RULE_NAMES = tuple(RULES)


def nearest_rules(name: str, n: int = 3) -> List[str]:
    """Catalogue names closest to a misspelt ``name``, best first."""
    import difflib

    return difflib.get_close_matches(name, RULE_NAMES, n=n, cutoff=0.5)
