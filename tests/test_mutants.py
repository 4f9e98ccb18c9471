"""Soundness: no false one-step mutant of a built-in is verified."""
import pytest

from elbo_sym.checker import VERIFIED, check_step
from elbo_sym.derivations import DERIVATIONS
from elbo_sym.mutation import mutants

# Mutants that are still true statements (the checker may rightly verify them):
# turning q(z|x) around in q p / q leaves p, as it is cancelled either way.
EQUIVALENT = {("jensen-elbo", 2, "conditional-swap")}


def _cases():
    for d in DERIVATIONS:
        for m in mutants(d):
            if (d.name, m.index, m.kind) not in EQUIVALENT:
                yield pytest.param(m, id=f"{d.name}:{m.index}:{m.kind}:{m.description[:40]}")


def _verdict(m):
    return check_step(m.previous, m.step.relation, m.step.expr, m.step.rules, m.facts).verdict


@pytest.mark.parametrize("mutant", list(_cases()))
def test_mutant_is_not_verified(mutant):
    assert _verdict(mutant) != VERIFIED


def test_every_kind_of_slip_is_generated():
    kinds = {m.kind for d in DERIVATIONS for m in mutants(d)}
    assert kinds >= {"sign", "drop", "kl-swap", "conditional-swap", "pull-out", "constant", "reverse"}
