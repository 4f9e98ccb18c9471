"""The numeric judge does its per-expression work once (issue 18): expansions, scans and
networks are memoized per (expression, sizes), so a chain's next step reuses its left side."""
from sympy import IndexedBase, Sum, Symbol, symbols

from elbo_sym.numeric import HOLDS, judge
from elbo_sym.numeric import evaluate
from elbo_sym.numeric.networks import Networks
from elbo_sym.rules.models import build_model

from conftest import p

J = Symbol("J", integer=True, nonnegative=True)
j = Symbol("j", integer=True)
a = IndexedBase("a")
x = Symbol("x")


def _chain():
    first = Sum(a[j] ** 2 + 2 * a[j] * x + x ** 2, (j, 1, J))
    middle = Sum((a[j] + x) ** 2, (j, 1, J))
    last = Sum(a[j] ** 2, (j, 1, J)) + 2 * x * Sum(a[j], (j, 1, J)) + J * x ** 2
    return first, middle, last


def test_the_next_step_reuses_the_expansion_of_its_left_side():
    first, middle, last = _chain()
    evaluate._expand_at.cache_clear()
    assert judge(first, "=", middle).status == HOLDS
    sizes = evaluate._expand_at.cache_info().currsize
    assert sizes % 2 == 0
    drawn = sizes // 2          # both sides expanded once per drawn size
    before = evaluate._expand_at.cache_info()
    assert judge(middle, "=", last).status == HOLDS
    after = evaluate._expand_at.cache_info()
    # the left side is this chain's last right side: found, not expanded again
    assert after.hits - before.hits >= drawn
    assert after.misses - before.misses <= drawn


def test_an_expansion_is_built_once_per_expression_and_size():
    first, _, _ = _chain()
    evaluate._expand_at.cache_clear()
    one = evaluate.expand_sums(first, {J: 3})
    two = evaluate.expand_sums(first, {J: 3})
    assert one is two
    assert evaluate._expand_at.cache_info().misses == 1
    assert evaluate.expand_sums(first, {J: 2}) != one
    assert evaluate._expand_at.cache_info().misses == 2


def test_a_scan_is_memoized_and_merged_in_walk_order():
    z1, z2 = symbols("z1 z2")
    expr = p(z1) * x
    evaluate._scanned.cache_clear()
    s = evaluate.Structure().scan(expr).scan(x + z2).finish()
    again = evaluate.Structure().scan(expr).scan(x + z2).finish()
    assert s.free == again.free and s.families == again.families
    assert evaluate._scanned.cache_info().hits == 2


def test_a_network_is_planned_once_per_model_and_size():
    z = Symbol("z")
    model = build_model(p(x, z), (p(x, given=(z,)) * p(z),))
    one = Networks.plan({"p": model}, {}, {"p"})
    two = Networks.plan({"p": model}, {}, {"p"})
    assert one.by_family["p"] is two.by_family["p"]
