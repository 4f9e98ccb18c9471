"""One-step mutants of a derivation, for measuring soundness: each is a plausible slip (a sign,
a swapped KL, a swapped conditional, a reversed inequality, a dropped term, a term pulled out of
an expectation, a changed constant). A sound checker verifies none of the false ones."""
from dataclasses import dataclass, replace

from sympy import Add, Integer, Rational, preorder_traversal

from .algebra import KL, Density, Expectation
from .derivation import Derivation
from .errors import DomainError
from .relations import reverse



@dataclass(frozen=True)
class Mutant:
    derivation: Derivation   # the original with one step replaced
    index: int               # 1-based index of the mutated step
    kind: str
    description: str

    @property
    def step(self):
        return self.derivation.steps[self.index - 1]

    @property
    def previous(self):
        """The expression the mutated step starts from."""
        i = self.index - 1
        return self.derivation.start if i == 0 else self.derivation.steps[i - 1].expr

    @property
    def facts(self):
        return [(a.lhs, a.relation, a.rhs) for a in self.derivation.assumptions]


def _subtrees(expr):
    seen = []
    for node in preorder_traversal(expr):
        if node not in seen:
            seen.append(node)
    return seen


def expression_mutants(expr):
    """(kind, description, mutated expression) for every slip the expression admits."""
    out = []

    def add(kind, what, new):
        if new != expr:
            out.append((kind, what, new))

    for node in _subtrees(expr):
        try:
            if isinstance(node, Add):
                for t in node.args:
                    rest = [a for a in node.args if a != t]
                    add("sign", f"sign of {t} flipped", expr.xreplace({node: Add(*rest, -t)}))
                    add("drop", f"{t} dropped", expr.xreplace({node: Add(*rest)}))
            if isinstance(node, KL):
                add("kl-swap", "KL arguments swapped", expr.xreplace({node: KL(node.second, node.first)}))
            if isinstance(node, Density) and node.is_conditional:
                swapped = Density(node.args[0], node.given, node.variables)
                add("conditional-swap", f"{node} turned around", expr.xreplace({node: swapped}))
            if isinstance(node, Expectation) and isinstance(node.integrand, Add):
                for t in node.integrand.args:
                    if t.has(*node.bound_variables):
                        rest = Add(*[a for a in node.integrand.args if a != t])
                        moved = Expectation(rest, node.density) + t
                        add("pull-out", f"{t} moved out of the expectation", expr.xreplace({node: moved}))
            if isinstance(node, (Integer, Rational)) and node not in (0, -1):
                add("constant", f"{node} changed to {node + 1}", expr.xreplace({node: node + 1}))
        except DomainError:
            continue
    return out


def _with_step(derivation, i, step):
    steps = list(derivation.steps)
    steps[i] = step
    return replace(derivation, steps=tuple(steps))


def mutants(derivation):
    """Every one-step mutant of ``derivation``."""
    out = []
    for i, step in enumerate(derivation.steps):
        if reverse(step.relation):
            out.append(Mutant(_with_step(derivation, i, replace(step, relation=reverse(step.relation))),
                              i + 1, "reverse", f"{step.relation} reversed"))
        for kind, what, new in expression_mutants(step.expr):
            out.append(Mutant(_with_step(derivation, i, replace(step, expr=new)), i + 1, kind, what))
    return out
