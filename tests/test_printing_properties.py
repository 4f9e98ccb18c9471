"""Properties of the printers: two different names never print alike, and text reads back
through the parser as the expression that was printed."""
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Add, Integer, Mul, Pow, Rational, Symbol, expand, log
from sympy.core.parameters import evaluate
from sympy.printing.pretty.pretty_symbology import greek_unicode

from elbo_sym.algebra import Density
from elbo_sym.parser import parse_expression
from elbo_sym.printing import latex, text

# ------------------------------------------------------------------ injective on names

# the parser's NAME grammar (ASCII spelling; Greek letters are read as these names)
NAME = r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*"

# parts that printers treat specially: Greek names and aliases, sympy's accent suffixes,
# trailing digits
SPECIAL_PARTS = sorted(greek_unicode) + ["hat", "bar", "prime", "prm", "dot", "vec", "tilde",
                                         "bold", "bm", "abs", "mag", "x2", "x", "2", "10", "a"]

special_names = st.lists(st.sampled_from(SPECIAL_PARTS), min_size=1, max_size=3).map("_".join)
glued_names = st.tuples(st.sampled_from(["x", "z", "sigma", "lamda", "A"]),
                        st.sampled_from(SPECIAL_PARTS)).map("".join)
names = st.one_of(st.from_regex(NAME, fullmatch=True), special_names, glued_names).filter(
    lambda n: len(n) <= 30)


@settings(max_examples=400, deadline=None)
@given(names, names)
def test_distinct_names_print_distinct(a, b):
    if a == b:
        return
    assert text(Symbol(a)) != text(Symbol(b))
    assert latex(Symbol(a)) != latex(Symbol(b))


def test_every_greek_name_and_letter_prints_distinct():
    # exhaustively: every spelling in sympy's Greek table, every single letter, with and
    # without a digit and a subscript
    base = sorted(set(greek_unicode) | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    all_names = base + [n + "2" for n in base] + [n + "_2" for n in base] + [
        f"{a}_{b}" for a, b in itertools.product(["x", "sigma", "lamda"], base)]
    for show in (text, latex):
        printed = {}
        for n in all_names:
            out = show(Symbol(n))
            assert out not in printed, f"{n!r} and {printed.get(out)!r} both print as {out!r}"
            printed[out] = n


# ------------------------------------------------------------------ text reads back

x, z = Symbol("x"), Symbol("z")
a, sigma, lam = Symbol("a"), Symbol("sigma"), Symbol("lambda")

DENSITIES = [Density("p", (x,)), Density("p", (x, z)), Density("p", (z,), (x,)),
             Density("q_phi", (z,), (x,)), Density("p_theta", (x,), (z,))]

nonzero_numbers = st.one_of(
    st.integers(-12, 12).filter(bool).map(Integer),
    st.tuples(st.integers(-9, 9).filter(bool), st.integers(2, 9)).map(lambda pq: Rational(*pq)))
numbers = st.one_of(st.just(Integer(0)), nonzero_numbers)
densities = st.sampled_from(DENSITIES)
names_ = st.sampled_from([x, z, a, sigma, lam])

# factors that can be divided by and raised to any integer power: never zero
positive_atoms = st.one_of(densities, st.sampled_from([a, sigma, lam]),
                           densities.map(lambda d: log(d, evaluate=False)))
atoms = st.one_of(numbers, names_, densities, densities.map(lambda d: log(d, evaluate=False)))


def _unevaluated(f):
    def build(args):
        with evaluate(False):
            return f(*args) if isinstance(args, tuple) else f(args)
    return build


def extend(children):
    return st.one_of(
        st.tuples(children, children).map(_unevaluated(lambda p, q: Add(p, q))),
        st.tuples(children, children).map(_unevaluated(lambda p, q: Mul(p, q))),
        children.map(_unevaluated(lambda p: Mul(-1, p))),
        st.tuples(children, positive_atoms).map(_unevaluated(lambda p, q: Mul(p, Pow(q, -1)))),
        st.tuples(positive_atoms, st.integers(-3, 3).filter(bool)).map(
            _unevaluated(lambda p, k: Pow(p, k))),
        # the shape that once printed as p(x)/1/p(z): a negative power in a denominator
        st.tuples(children, positive_atoms).map(
            _unevaluated(lambda p, q: Mul(p, Pow(Pow(q, -1), -1)))),
        st.tuples(positive_atoms, nonzero_numbers).map(
            _unevaluated(lambda p, n: Mul(n, Pow(p, -2)))),
        positive_atoms.map(_unevaluated(lambda p: log(Mul(2, p)))),
    )


expressions = st.recursive(atoms, extend, max_leaves=12)


def evaluated(e):
    """``e`` rebuilt bottom-up with evaluation on (``0 + (0 + 0)`` is 0); densities are atoms."""
    if e.is_Atom or isinstance(e, Density):
        return e
    return e.func(*(evaluated(arg) for arg in e.args))


def same(e, f):
    """Equal up to sympy's evaluation and expansion."""
    with evaluate(True):
        return expand(evaluated(e) - evaluated(f)) == 0


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_text_reads_back_as_the_same_expression(e):
    printed = text(e)
    back = parse_expression(printed)
    assert same(e, back), f"{printed!r} reads back as {back}, not {e}"


def test_the_reported_misreading_reads_back():
    px, pz = Density("p", (x,)), Density("p", (z,))
    with evaluate(False):
        e = Mul(px, Pow(Pow(pz, -1), -1))
    assert text(e) == "p(x)/(1/p(z))"
    assert same(parse_expression(text(e)), e)
    with evaluate(True):
        assert not same(parse_expression("p(x)/1/p(z)"), e)   # what used to be printed
