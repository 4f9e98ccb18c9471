"""Random derivation files for fuzzing the parser and the checker (issue 5, "Fuzzing").

Three generators, each written once against a tiny *chooser* interface so that the same code
serves hypothesis (``valid_files()``, ``near_valid_files()``, ``token_soup()``: strategies that
shrink) and the soak script (``generate(kind, seed)``: a plain ``random.Random``, reproducible
from a seed without hypothesis' database or its per-example overhead).

* valid files: syntactically and semantically valid files over the whole notation. Everything
  the parser would rightly refuse is avoided by construction, not filtered: a divisor, a log's
  argument or a power's base is built to be nonzero (no ``x - x``, no ``log(1)``), a density
  never has a variable on both sides of its bar, a KL compares densities over the same
  variables, an ``N`` has a positive variance, exponents are small and ``exp`` takes small
  terms (so nothing could be sized as huge), a chain never mixes < and >, ``log (`` is never
  written meaning ``log`` of a product that starts with a bracket, and the layout respects
  the reader's line rules (a let is continued only before an operator or inside brackets).
* near-valid files: a valid file damaged a few times (characters or tokens dropped,
  duplicated, swapped; truncation; stray brackets, quotes, underscores, ``__import__``,
  random unicode).
* token soup: random sequences of the language's tokens.
"""
import random
import re

from hypothesis import strategies as st

from elbo_sym.rules.catalogue import RULE_NAMES

# -- choosers ---------------------------------------------------------------------------------

# Characters that are interesting to a lexer: separators, look-alikes, controls, a BOM.
ODD_CHARS = ("\t", "\r", "\x00", "\x0b", "\x0c", "\u00a0", "\u2028", "\u2029", "\ufeff",
             "\u200b", "\u2212", "\u00b7", "\u2264", "\u2265", "\u2016", "\u03bc", "\u03c3",
             "\u00e9", "\U0001d53c", "\U0001f600", "\\", "`", "$", "@", "!", "?", "%", "&")


class RandomChooser:
    """Choices from ``random.Random``: fast and reproducible from a seed (the soak script)."""

    def __init__(self, rng):
        self.rng = rng if isinstance(rng, random.Random) else random.Random(rng)

    def integer(self, lo, hi):
        return self.rng.randint(lo, hi)

    def choice(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def chance(self, p):
        return self.rng.random() < p

    def char(self):
        """Any character but a surrogate: mostly ASCII, often odd, sometimes anything."""
        r = self.rng.random()
        if r < 0.4:
            return chr(self.rng.randint(32, 126))
        if r < 0.75:
            return self.choice(ODD_CHARS)
        while True:
            c = self.rng.randint(0, 0x10FFFF)
            if not 0xD800 <= c <= 0xDFFF:
                return chr(c)


class DrawChooser:
    """Choices from hypothesis' ``draw``: every decision shrinks (towards 'no', the first
    option and small numbers), so a failing file shrinks to a short one."""

    def __init__(self, draw):
        self.draw = draw

    def integer(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def choice(self, seq):
        return self.draw(st.sampled_from(seq))

    def chance(self, p):
        return self.draw(st.integers(0, 99)) >= 100 - round(100 * p)

    def char(self):
        return self.draw(st.one_of(st.sampled_from(ODD_CHARS),
                                   st.characters(codec="utf-8")))


# -- expression fragments ---------------------------------------------------------------------

# Precedence levels of a fragment, loosest first. OPEN is a bare log/ln/sum/int (or a product
# ending in one): it swallows what follows, so it may only end a product or stand as a term.
ADD, OPEN, PROD, UNARY, POW, ATOM = range(6)

VARIABLES = ("x", "z", "y", "mu", "sigma", "beta", "J")
DENSITY_VARIABLES = ("x", "z", "y", "z_1")   # z_1: an indexed variable (element 1 of z)
FAMILIES = ("p", "q", "r", "p_theta", "q_phi")
LET_NAMES = ("L", "F", "G", "ELBO", "Q", "C", "K1", "T_1")
PARAM_NAMES = ("x", "z", "y", "mu", "sigma")
INDEXED = {"j": ("mu_j", "sigma_j", "z_j", "x_j"),  # inside a sum over j: element j of mu
           "k": ("mu_k", "x_k")}
# Structured models (issue 9) use families of their own, so that a model line never speaks
# about the variables other densities use: p_m and q_m are Markov chains over x_0, ..., x_T
# (declared by MODEL_LINES), q_d draws z_1, ..., z_K.
MODEL_LINES = ("model p_m(x_{0:T}) = p_m(x_T) prod_{t=1}^{T} p_m(x_{t-1} | x_t)",
               "model q_m(x_{1:T} | x_0) = prod_{t=1}^{T} q_m(x_t | x_{t-1})")
STRUCTURED = (
    "log p_m(x_{0:T})",
    "E_{q_m(x_{1:T} | x_0)}[ log p_m(x_{0:T}) / q_m(x_{1:T} | x_0) ]",
    "sum_{t=1}^{T} log q_m(x_t | x_{t-1})",
    "sum_{t=2}^{T} log q_m(x_{t-1} | x_t, x_0)",
    "log prod_{t=1}^{T} p_m(x_{t-1} | x_t)",
    "log p_m(x_T) + sum_{t=1}^{T} log p_m(x_{t-1} | x_t)",
    "int p_m(x_{0:T}) dx_{1:T}",
    "∑_{t=1}^{T} log q_m(x_t | x_{t-1})",
    "log ∏_{t=1}^{T} q_m(x_t | x_{t-1})",
    "E_{q_m(x_1 | x_0)}[ log p_m(x_0 | x_1) ]",
    "KL(q_m(x_T) || p_m(x_T))",         # x_T | x_0 would be x_0 | x_0 at T = 0
    "E_{z_{1:K} ~ q_d(z | x)}[ log 1/K sum_{k=1}^{K} p_d(x, z_k) / q_d(z_k | x) ]",
    "E_{z_{1:K} ~ q_d(z | x)}[ 1/K sum_{k=1}^{K} log p_d(x, z_k) / q_d(z_k | x) ]",
    "E_{q_d(z | x)}[ log p_d(x, z) / q_d(z | x) ]",
)
_NAME_AT_END = re.compile(r"(?<![0-9_.])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*$")
_NAMES = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")


class F:
    """A piece of expression text with its precedence level.

    ``pure``: an OPEN fragment that begins with its keyword (or a sign and then it), so it
    may end a product as it stands."""

    __slots__ = ("level", "pure", "text")

    def __init__(self, text, level, pure=False):
        self.text, self.level, self.pure = text, level, pure

    def __repr__(self):
        return f"F({self.text!r}, {self.level})"


def paren(f, brackets="()"):
    return F(brackets[0] + f.text + brackets[1], ATOM)


def at_least(f, level):
    """``f`` usable where ``level`` is needed: bracketed when it binds looser."""
    return f if f.level >= level else paren(f)


class Context:
    """What an expression may refer to: the lets in scope, and a sum's index if inside one."""

    def __init__(self, lets=(), indices=()):
        self.lets = list(lets)          # (name, params, body text)
        self.indices = tuple(indices)   # of the sums around us, outermost first

    @property
    def in_sum(self):
        return bool(self.indices)

    def inside_sum(self, index):
        return Context(self.lets, self.indices + (index,))


class ExprGen:
    """Valid expressions, built recursively to a bounded depth."""

    def __init__(self, c):
        self.c = c

    # leaves
    def number(self, nonzero=True):
        c = self.c
        kind = c.integer(0, 9)
        if kind <= 5:
            return F(str(c.integer(1, 9)), ATOM)
        if kind == 6:
            return F(str(c.choice((10, 12, 42, 100, 360, 1000, 65536))), ATOM)
        if kind == 7:
            return F(c.choice(("0.5", "1.25", "2.5", "0.001", "3.0", "0.75", "10.01")), ATOM)
        num, den = c.integer(1, 9), c.integer(1, 9)
        return F(f"{num}/{den}", PROD)

    def variable(self, ctx):
        c = self.c
        if ctx.in_sum and c.chance(0.4):
            return F(c.choice(INDEXED[c.choice(ctx.indices)]), ATOM)
        if c.chance(0.08):
            return F(c.choice(("z_1", "x_2", "mu_j", "theta")), ATOM)
        return F(c.choice(VARIABLES), ATOM)

    def constant(self):
        return F(self.c.choice(("pi", "e")), ATOM)

    # densities
    def density_vars(self, ctx, n_left=None, left=None):
        """(left, given): disjoint lists of names."""
        c = self.c
        pool = list(DENSITY_VARIABLES) + (["z_j"] if ctx.in_sum else [])
        if left is None:
            n_left = n_left or c.choice((1, 1, 1, 2))
            left = []
            while len(left) < n_left:
                v = c.choice(pool)
                if v not in left:
                    left.append(v)
        # z_1 and z_j are one variable at j = 1: never on both sides of a bar
        rest = [v for v in pool if v not in left and not ({v} | set(left)) >= {"z_1", "z_j"}]
        given = []
        n_given = c.choice((0, 0, 1, 1, 2))
        while len(given) < min(n_given, len(rest)):
            v = c.choice(rest)
            if v not in given:
                given.append(v)
        return left, given

    def density(self, ctx, left=None):
        """p(x), p(x, z), q(z | x), q_phi(z|x), ... or N(z; m, v)."""
        c = self.c
        if (left is None or len(left) == 1) and c.chance(0.2):
            return self.gaussian(ctx, left[0] if left else None)
        left, given = self.density_vars(ctx, left=left)
        if c.chance(0.3):
            left = list(reversed(left))
        sep = c.choice((", ", ",", " , "))
        text = c.choice(FAMILIES) + "(" + sep.join(left)
        if given:
            text += c.choice((" | ", "|", " |")) + sep.join(given)
        return F(text + ")", ATOM)

    def gaussian(self, ctx, var=None):
        c = self.c
        var = var or c.choice(("z", "z", "x", "y") + (("z_j",) if ctx.in_sum else ()))
        means = ["0", "mu", "1", "2 mu", "mu + 1", "-mu", "-1/2", "mu sigma"]
        variances = ["sigma^2", "2", "1", "1/2", "0.5", "sigma^2 + 1", "exp(beta)",
                     "2 sigma^2", "sigma**2"]
        if ctx.in_sum:
            means += ["mu_j", "mu_j"]
            variances += ["sigma_j^2", "sigma_j^2"]
        if var != "x":
            means.append("x")
        return F(f"N({var};{c.choice((' ', ''))}{c.choice(means)}, {c.choice(variances)})",
                 ATOM)

    def left_vars_of(self, d):
        """The names left of the bar of a density text (for N, its variable)."""
        inner = d.text[d.text.index("(") + 1:-1]
        if d.text.startswith("N("):
            return [inner.split(";")[0].strip()]
        return [v.strip() for v in inner.split("|")[0].split(",")]

    # composite forms
    def expr(self, ctx, depth):
        """Any expression."""
        c = self.c
        if depth <= 0:
            return self.atom(ctx, 0)
        k = c.integer(0, 11)
        if k <= 2:
            return self.atom(ctx, depth)
        if k <= 5:
            return self.additive(ctx, depth)
        if k <= 7:
            return self.product(ctx, depth)
        if k == 8:
            return self.negate(self.expr(ctx, depth - 1))
        if k == 9:
            return self.power(ctx, depth)
        return self.prefixed(ctx, depth)

    def atom(self, ctx, depth):
        c = self.c
        if depth <= 0:
            k = c.integer(0, 5)
            if k <= 1:
                return self.number()
            if k <= 3:
                return self.variable(ctx)
            if k == 4:
                return self.constant()
            return self.density(ctx)
        k = c.integer(0, 15)
        if k <= 1:
            if not ctx.in_sum and c.chance(0.15):      # a structured form, as an atom
                return F("(" + c.choice(STRUCTURED) + ")", ATOM)
            return self.atom(ctx, 0)
        if k <= 3:
            return self.density(ctx)
        if k == 4:
            return self.expectation(ctx, depth)
        if k == 5:
            return self.kl(ctx)
        if k == 6:
            return F(f"H({self.density(ctx).text})", ATOM)
        if k == 7:
            return self.call_log(ctx, depth)
        if k == 8:
            return self.call_exp(ctx, depth)
        if k == 9:
            name = c.choice(("sqrt", "abs"))
            arg = self.expr(ctx, depth - 1)
            return F(f"{name}({arg.text})", ATOM)
        if k == 10 and ctx.lets:
            return self.let_use(ctx)
        if k == 11:
            return paren(self.expr(ctx, depth - 1), c.choice(("()", "()", "[]")))
        if k == 12:
            return self.gaussian(ctx)
        return self.atom(ctx, 0)

    def nonzero(self, ctx, depth):
        """An expression that cannot evaluate to 0 (a divisor, a log's argument, a base)."""
        c = self.c
        k = c.integer(0, 9) if depth > 0 else c.integer(0, 4)
        if k == 0:
            return self.number()
        if k == 1:
            return self.constant()
        if k == 2:
            return self.variable(ctx)
        if k in (3, 4):
            return self.density(ctx)
        if k == 5:
            return self.call_exp(ctx, depth)
        if k == 6:   # a sum of positive-looking terms: no minus, so nothing cancels
            a, b = self.nonzero(ctx, depth - 1), self.nonzero(ctx, depth - 1)
            return F(f"{at_least(a, PROD).text} + {at_least(b, PROD).text}", ADD)
        if k == 7:
            factors = [self.nonzero(ctx, depth - 1) for _ in range(c.integer(2, 3))]
            return self.join_product(factors, [c.choice((" ", "*", "/"))
                                               for _ in factors[1:]])
        if k == 8:
            base = self.nonzero(ctx, depth - 1)
            return self.raise_to(base, self.exponent())
        arg = self.nonzero(ctx, depth - 1)
        return F(f"sqrt({arg.text})", ATOM)

    def exponent(self):
        return F(self.c.choice(("2", "2", "3", "-1", "(1/2)", "0.5", "x", "-2", "sigma", "(-1)")),
                 UNARY)

    def raise_to(self, base, exponent):
        op = self.c.choice(("^", "^", "**", " ^ "))
        return F(at_least(base, ATOM).text + op + exponent.text, POW)

    def power(self, ctx, depth):
        return self.raise_to(self.nonzero(ctx, depth - 1), self.exponent())

    def negate(self, f):
        sign = self.c.choice(("-", "-", "- "))
        if f.level == OPEN:
            return F(sign + f.text, OPEN, f.pure)
        return F(sign + at_least(f, UNARY).text, UNARY)

    def additive(self, ctx, depth):
        c = self.c
        terms = [self.expr(ctx, depth - 1) for _ in range(c.integer(2, 4))]
        text = at_least(terms[0], OPEN).text
        for t in terms[1:]:
            text += c.choice((" + ", " - ", " + ", "+", "-")) + at_least(t, OPEN).text
        return F(text, ADD)

    def product(self, ctx, depth):
        c = self.c
        n = c.integer(2, 4)
        ops, factors = [], [self.expr(ctx, depth - 1)]
        for _ in range(n - 1):
            op = c.choice((" ", " ", " * ", "*", " / "))
            ops.append(op)
            factors.append(self.nonzero(ctx, depth - 1) if op.strip() == "/"
                           else self.expr(ctx, depth - 1))
        return self.join_product(factors, ops)

    def join_product(self, factors, ops):
        """``factors`` joined by ``ops`` (" " juxtaposes), bracketing what must be."""
        first = factors[0]
        text = (first if PROD <= first.level else paren(first)).text
        last_i = len(factors) - 1
        ends_open = False
        for i, (op, f) in enumerate(zip(ops, factors[1:]), 1):
            juxt = not op.strip()
            if i == last_i and f.level == OPEN and f.pure and not (juxt and f.text[0] in "+-"):
                piece = f.text
                ends_open = True
            else:
                piece = at_least(f, POW if juxt else UNARY).text
            # `x (y)` would be a call of x: juxtapose a name and a bracket with '*'
            if juxt and piece[0] in "([" and _NAME_AT_END.search(text):
                op = " * "
            text += op + piece
        return F(text, OPEN if ends_open else PROD)

    def prefixed(self, ctx, depth):
        """Bare log/ln, sum and int: they take the product that follows."""
        c = self.c
        k = c.integer(0, 3)
        if k <= 1:
            arg = at_least(self.nonzero(ctx, depth - 1), PROD)
            if arg.text[0] == "(":   # `log (a)^2` is the call log(a), squared: bracket it all
                arg = paren(arg)
            return F(f"{c.choice(('log', 'log', 'ln'))} {arg.text}", OPEN, True)
        if k == 2 and (not ctx.in_sum or (ctx.indices == ("j",) and c.chance(0.3))):
            index = "k" if ctx.in_sum else "j"     # a sum inside a sum runs over k
            upper = c.choice(("J", "{J}", "3", "{J + 1}", "{2}", "1"))
            body = self.expr(ctx.inside_sum(index), depth - 1)
            body = body if body.level == OPEN and body.pure else at_least(body, PROD)
            if upper == "J" and body.text[0] in "([":
                upper = "{J}"        # `^J (` would be a call of J
            head = c.choice(("sum_{j=1}^", "sum_{j = 1}^", "sum_{j=1} ^ ")).replace("j", index)
            return F(f"{head}{upper} {body.text}", OPEN, True)
        return self.integral(ctx, depth)

    def integral(self, ctx, depth):
        c = self.c
        body = self.expr(ctx, depth - 1)
        if body.level < OPEN:
            body = paren(body)
        names = [n for n in _NAMES.findall(body.text) if n in DENSITY_VARIABLES]
        var = c.choice(names) if names and c.chance(0.8) else c.choice(("z", "x", "mu"))
        return F(f"int {body.text} d{var}", OPEN, True)

    def call_log(self, ctx, depth):
        arg = self.nonzero(ctx, depth - 1)
        return F(f"{self.c.choice(('log', 'log', 'ln'))}({arg.text})", ATOM)

    def call_exp(self, ctx, depth):
        """exp of one or two small terms. The parser sizes exp(a) by the numbers a could
        hold (10^size(a)), refusing what could pass MAX_NUMBER_DIGITS: exp(65536 + x) and
        exp(exp(p(x))) are refused, so an exp's argument is kept to single digits, with no
        exp, power or let inside it."""
        c = self.c
        terms = [self.small_term(ctx) for _ in range(c.integer(1, 2))]
        text = terms[0]
        for t in terms[1:]:
            text += c.choice((" + ", " - ")) + t
        return F(f"exp({text})", ATOM)

    def small_term(self, ctx):
        c = self.c
        v = self.variable(ctx).text
        d = self.density(ctx).text if c.chance(0.3) else "p(x)"
        return c.choice((v, f"-{v}", f"{c.integer(1, 9)} {v}", f"{v} + 1", f"-{v}^2/2",
                         f"-({v} - mu)^2 / 2", f"log {d}", f"1/2 {v}", f"0.5 {v}", f"{v} {v}",
                         f"E_{{{d}}}[{v}]", f"-H({d})", "log sigma", str(c.integer(1, 9))))

    def expectation(self, ctx, depth):
        c = self.c
        d = self.density(ctx)
        body = self.expr(ctx, depth - 1)
        pad = c.choice((" ", ""))
        if c.chance(0.3):
            var = c.choice(self.left_vars_of(d))
            sub = f"{var} ~ {d.text}"
        else:
            sub = d.text
        return F(f"E_{{{sub}}}[{pad}{body.text}{pad}]", ATOM)

    def kl(self, ctx):
        c = self.c
        a = self.density(ctx)
        left = self.left_vars_of(a)
        b = self.density(ctx, left=left)
        name = c.choice(("KL", "KL", "D_KL"))
        return F(f"{name}({a.text} {c.choice(('||', ' || '))} {b.text})", ATOM)

    def let_use(self, ctx):
        c = self.c
        name, params, body = c.choice(ctx.lets)
        if not params:
            return F(name, ATOM)
        args = list(params)
        if len(args) > 1 and c.chance(0.3):
            args.reverse()
        elif c.chance(0.3):   # a variable the body does not mention: no name clash possible
            # (the bodies of the other lets too: a let may use another one)
            used = set(_NAMES.findall(body)) | set(params) | \
                {n for _, _, other in ctx.lets for n in _NAMES.findall(other)}
            fresh = [v for v in ("x", "z", "y", "mu", "sigma", "beta") if v not in used]
            if fresh:
                args[c.integer(0, len(args) - 1)] = c.choice(fresh)
        return F(f"{name}({', '.join(args)})", ATOM)


# -- files ------------------------------------------------------------------------------------

_RELATIONS = {"=": ("=",), ">": ("=", ">=", ">", "≥", "="), "<": ("=", "<=", "<", "≤", "=")}
_CONTINUES = ("+", "*", "/", "^", ")", "]", "}", ",", "|", ";", "~")
_RELATION_START = ("<=", ">=", "=", "<", ">", "≤", "≥")
_TITLE_CHARS = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789-_'#().,:;|=<>+*/^~{}[]"


class FileGen:
    """Whole valid files: headers, lets, assumes, chains, rules, comments, continuations."""

    def __init__(self, c):
        self.c = c
        self.e = ExprGen(c)
        self.lines = []
        self.models_declared = False     # file-wide

    def text(self, alphabet, lo, hi):
        return "".join(self.c.choice(alphabet) for _ in range(self.c.integer(lo, hi)))

    def comment(self):
        c = self.c
        if c.chance(0.2):
            return " # " + "".join(c.char() for _ in range(c.integer(0, 8))
                                   ).replace("\n", " ").replace("\r", " ")
        return " # " + self.text(_TITLE_CHARS + '"', 0, 20)

    def emit(self, line, kind):
        """Append a logical line, perhaps split into continuation lines, with comments."""
        c = self.c
        pieces = [line]
        if kind in ("expr", "step", "let", "assume") and c.chance(0.25):
            pieces = self.split(line, kind)
        indent = c.choice(("", "", "  ", "    ", "\t"))
        for i, piece in enumerate(pieces):
            pad = indent + ("  " * bool(i))
            tail = self.comment() if c.chance(0.15) else c.choice(("", "", " ", "\t"))
            self.lines.append(pad + piece + tail)
            if c.chance(0.08):
                self.lines.append(c.choice(("", "# a comment line", "   ", "#")))

    def split(self, line, kind):
        """``line`` cut at a space into lines the reader joins back into one."""
        spaces = [i for i, ch in enumerate(line) if ch == " "]
        c = self.c
        for _ in range(3):
            if not spaces:
                break
            i = c.choice(spaces)
            head, rest = line[:i], line[i + 1:]
            if not rest.strip() or not head.strip() or rest.lstrip().startswith(_RELATION_START):
                continue
            if re.match(r"(derivation|let|assume|model)(?![A-Za-z0-9_])", rest.lstrip()):
                continue
            if kind in ("let", "assume"):
                balance = sum(head.count(b) for b in "([{") - sum(head.count(b) for b in ")]}")
                if balance <= 0 and not rest.lstrip().startswith(_CONTINUES):
                    continue
            return [head, rest]
        return [line]

    def let(self, ctx, taken):
        c = self.c
        free = [n for n in LET_NAMES if n not in taken]
        if not free:
            return
        name = c.choice(free)
        params = []
        if c.chance(0.6):
            for _ in range(c.integer(1, 2)):
                p = c.choice(PARAM_NAMES)
                if p not in params:
                    params.append(p)
        body = self.e.expr(ctx, c.integer(1, 3))
        head = f"let {name}({', '.join(params)})" if params else f"let {name}"
        self.emit(f"{head} = {body.text}", "let")
        taken.add(name)
        ctx.lets.append((name, tuple(params), body.text))

    def assume(self, ctx):
        c = self.c
        if c.chance(0.75):
            lhs = c.choice(("sigma", "beta", "mu", "x", "J", "sigma^2", "beta - 1", "z"))
            rel = c.choice((">", ">=", "≥", ">", "<=", "<", "="))
            rhs = c.choice(("0", "1", "0", "2", "1/2", "-1"))
        else:
            lhs = self.e.expr(ctx, 1).text
            rel = c.choice((">", ">=", "<=", "<"))
            rhs = self.e.expr(ctx, 1).text
        self.emit(f"assume {lhs} {rel} {rhs}", "assume")

    def step_expr(self, ctx, prev, rel):
        """A new expression, or one made from the previous so that the step often holds
        (and sometimes a near miss), so that verdicts other than 'unknown' are common."""
        c = self.c
        k = c.integer(0, 9)
        if k <= 4:
            return self.e.expr(ctx, c.integer(1, 3))
        p = at_least(prev, OPEN).text        # as a term
        u = at_least(prev, UNARY).text       # after '*'
        j = at_least(prev, POW).text         # juxtaposed
        a = at_least(prev, ATOM).text        # as a base
        kl = self.e.kl(ctx).text
        if k <= 7 and rel == "=":            # the same value, written otherwise
            options = [f"{p} + 0", f"1 * {u}", f"2 {j} / 2", f"-(-{u})", f"{p} + {kl} - {kl}",
                       f"({prev.text})", f"{p} - 0", f"{p} + x - x"]
        elif k <= 7 and rel in (">=", ">", "≥"):     # smaller, by a KL or a constant
            options = [f"{p} - {kl}", f"{p} - 1", f"{p} - {kl} - 1", f"{p} - 1/2"]
        elif k <= 7:                                   # larger
            options = [f"{p} + {kl}", f"{p} + 2", f"{p} + {kl} + 1", f"{p} + 0.5"]
        elif k == 8:                                   # near misses
            options = [f"2 {j}", f"{p} + 1", f"-{u}", f"{a}^2", f"{p} - {kl}", f"{p} + {kl}"]
        else:                                          # Jensen's two sides
            d = self.e.density(ctx)
            body = at_least(self.e.nonzero(ctx, 1), PROD).text
            options = [f"log E_{{{d.text}}}[{body}]", f"E_{{{d.text}}}[log {body}]",
                       f"E_{{{d.text}}}[{u}]"]
        return F(c.choice(options), ADD)

    def derivation(self, ctx, header, taken_names, taken_lets):
        c = self.c
        if header:
            while True:
                name = self.text("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_", 1, 12)
                if name not in taken_names:
                    break
            if c.chance(0.05):
                name = c.choice(("by", "let", "log", "sum", "int", "assume", "E", "p", "x"))
                name = name if name not in taken_names else name + "-2"
            taken_names.add(name)
            title = ""
            if c.chance(0.7):
                title = ' "' + self.text(_TITLE_CHARS + "αβμσ≥ ", 0, 30) + '"'
            self.emit(f"derivation{c.choice((' ', '  ', chr(9)))}{name}{title}", "header")
        ctx = Context(ctx.lets)
        taken = set(taken_lets)
        if not self.models_declared and c.chance(0.2):    # the models, for this derivation
            for line in MODEL_LINES:
                self.emit(line, "model")
        for _ in range(c.integer(0, 2)):
            self.assume(ctx) if c.chance(0.5) else self.let(ctx, taken)
        start = self.e.expr(ctx, c.integer(1, 3))
        if start.text.startswith("+") or (start.text[0] in "*/^" ):
            start = paren(start)
        self.emit(start.text, "expr")
        direction = c.choice(("=", ">", "<"))
        prev = start
        for _ in range(c.integer(1, 6)):
            rel = c.choice(_RELATIONS[direction])
            nxt = self.step_expr(ctx, prev, rel)
            line = f"{rel}{c.choice((' ', ' ', '  ', ''))}{nxt.text}"
            if c.chance(0.5):
                rules = [c.choice(RULE_NAMES) for _ in range(c.integer(1, 3))]
                line += c.choice(("   by ", " by ")) + c.choice((", ", ",", " , ")).join(rules)
            self.emit(line, "step")
            prev = nxt

    def file(self):
        c = self.c
        self.lines = []
        if c.chance(0.2):
            self.lines.append("# " + self.text(_TITLE_CHARS, 0, 40))
        count = c.choice((1, 1, 1, 2, 3))
        headers = count > 1 or c.chance(0.7)
        ctx = Context()
        file_lets = set()
        if headers and c.chance(0.3):     # lets and assumptions for every derivation
            for _ in range(c.integer(1, 2)):
                self.assume(ctx) if c.chance(0.5) else self.let(ctx, file_lets)
        self.models_declared = False
        if headers and c.chance(0.1):     # models for every derivation
            for line in MODEL_LINES:
                self.emit(line, "model")
            self.models_declared = True
        names = set()
        for _ in range(count):
            self.derivation(ctx, headers, names, file_lets)
            if c.chance(0.3):
                self.lines.append("")
        newline = "\r\n" if c.chance(0.1) else "\n"
        return newline.join(self.lines) + (newline if c.chance(0.8) else "")


# -- damage -----------------------------------------------------------------------------------

STRAY = ("(", ")", "[", "]", "{", "}", '"', "'", "_", "__", "__import__", "__import__('os')",
         ".", "..", "|", "||", ";", "~", "^", "**", "_{", "}^", ",", "=", "<", ">=", "#", "\n",
         "\n=", "\nlet", "\nderivation", "\nassume x", " by ", " by nope", "lambda", ":", "`",
         "\\", "0", "/0", "log 0", "10^(10^10)", "9" * 1200, "(" * 250, ")" * 3, "E_{", "dz",
         "int", "sum_{j=1}^{J}", "p(x|x)", "N(z; 0, -1)", "KL(p(x) || q(z))", "D_KL", "H(",
         "exec(", "eval", "Symbol('x')", "p.__class__", "\t", "\r", "\x00", "\ufeff", "\u2028",
         "\nmodel ", "model p(x) = ", "prod_{t=1}^{T}", "x_{1:T}", "x_{t-1}", "x_T", "_{1:",
         "z_{1:K} ~ ", "∏", "∑", "∫", "‖", "p(x_{1:T} | x_1)")
TOKENS = re.compile(r"\s+|[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*|[0-9]+(?:\.[0-9]+)?"
                    r"|\*\*|\|\||<=|>=|_\{|\S")


def damage(text, c):
    """``text`` hurt one to four times."""
    for _ in range(c.integer(1, 4)):
        k = c.integer(0, 10)
        n = len(text)
        i = c.integer(0, max(n - 1, 0))
        if k == 0 and n:                               # drop a character
            text = text[:i] + text[i + 1:]
        elif k == 1 and n:                             # duplicate a character
            text = text[:i] + text[i] + text[i:]
        elif k == 2 and n > 1:                         # swap two neighbours
            i = min(i, n - 2)
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        elif k == 3:                                   # truncate
            text = text[:i]
        elif k == 4:                                   # a stray piece
            text = text[:i] + c.choice(STRAY) + text[i:]
        elif k == 5:                                   # a random character
            text = text[:i] + c.char() + text[i:]
        elif k == 6 and n:                             # a character replaced
            text = text[:i] + c.char() + text[i + 1:]
        elif k in (7, 8, 9):                           # token surgery
            toks = [m.group() for m in TOKENS.finditer(text)]
            solid = [j for j, t in enumerate(toks) if not t.isspace()]
            if not solid:
                continue
            j = c.choice(solid)
            if k == 7:
                del toks[j]
            elif k == 8:
                toks.insert(j, toks[j] + c.choice(("", " ")))
            else:
                m = c.choice(solid)
                toks[j], toks[m] = toks[m], toks[j]
            text = "".join(toks)
        else:                                          # a whole line dropped, doubled, moved
            lines = text.split("\n")
            j = c.integer(0, len(lines) - 1)
            m = c.integer(0, len(lines) - 1)
            op = c.integer(0, 2)
            if op == 0:
                del lines[j]
            elif op == 1:
                lines.insert(j, lines[j])
            else:
                lines[j], lines[m] = lines[m], lines[j]
            text = "\n".join(lines)
    return text


SOUP = ("derivation", "let", "assume", "by", "log", "ln", "sum", "int", "exp", "sqrt", "abs",
        "KL", "D_KL", "H", "N", "E", "pi", "e", "x", "z", "y", "mu", "sigma", "beta", "J",
        "mu_j", "z_1", "p", "q", "r", "p_theta", "q_phi", "dz", "dx", "L", "j", "0", "1", "2",
        "0.5", "1/2", "10", "99999999999", "+", "-", "*", "/", "^", "**", "(", ")", "[", "]",
        "{", "}", "_{", "}^", "|", "||", ";", "~", ",", "=", "<=", ">=", "<", ">", "≤", "≥",
        '"t"', '"', "#", "\n", "\n", "\n  ", "p(x | z)", "q(z|x)", "E_{q(z|x)}[",
        "sum_{j=1}^{J}", "N(z; mu, sigma^2)", "KL(q(z|x) || p(z))", "__import__", "'", ".",
        "_", "lambda", ":", "model", "prod", "prod_{t=1}^{T}", "x_{1:T}", "x_{t-1}", "x_t",
        "x_T", "x_0", "z_k", "z_{1:K}", "~", "E_{z_{1:K} ~ q(z|x)}[", "∏", "∑", "∫", "‖",
        "p(x_T | x_{t-1})", "model p(x, z) =", "T", "K") + RULE_NAMES


def soup(c):
    """Random tokens of the language, joined by random separators."""
    parts = []
    if c.chance(0.3):
        parts.append("derivation d\n")
    for _ in range(c.integer(0, 40)):
        parts.append(c.choice(SOUP))
        parts.append(c.choice((" ", " ", "", "\n", "  ")))
    return "".join(parts)


# -- properties -------------------------------------------------------------------------------

def broken_assumption(step, derivation):
    """The assumption that a refuting step's counterexample contradicts, or None.

    A counterexample must be a point the derivation allows: refuting ``beta <= 1`` under
    ``assume 1 > 2 beta`` by beta = 6/5 refutes nothing. Facts that do not become numbers
    under the counterexample (other symbols, densities) cannot be judged and are passed."""
    if step.verdict != "refuted" or not step.counterexample:
        return None
    values = dict(step.counterexample)
    for fact in derivation.assumptions:
        try:
            diff = complex((fact.lhs - fact.rhs).xreplace(values).evalf(30))
        except Exception:   # noqa: BLE001 - symbols left, a density of a number: no verdict
            continue
        if abs(diff.imag) > 1e-12:
            continue
        v = diff.real
        holds = {"=": abs(v) <= 1e-12, ">=": v >= -1e-12, "<=": v <= 1e-12, ">": v > 0,
                 "<": v < 0}.get(fact.relation, True)
        if not holds:
            return fact
    return None


# -- entry points -----------------------------------------------------------------------------

def valid_file(c):
    return FileGen(c).file()


def near_valid_file(c):
    return damage(FileGen(c).file(), c)


def soup_file(c):
    return soup(c)


GENERATORS = {"valid": valid_file, "near-valid": near_valid_file, "soup": soup_file}


def generate(kind, seed):
    """One file of ``kind`` ('valid', 'near-valid' or 'soup'), reproducible from ``seed``."""
    return GENERATORS[kind](RandomChooser(random.Random(seed)))


@st.composite
def valid_files(draw):
    """Syntactically valid derivation files over the whole notation."""
    return valid_file(DrawChooser(draw))


@st.composite
def near_valid_files(draw):
    """Valid files damaged: the parser must refuse them cleanly or read them."""
    return near_valid_file(DrawChooser(draw))


@st.composite
def token_soup(draw):
    """Random sequences of the language's tokens."""
    return soup_file(DrawChooser(draw))
