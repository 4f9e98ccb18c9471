#!/usr/bin/env python3
"""Benchmarks printed as tables of ratios (never asserted in tests).

1. Whole process: `elbo-check derive` (goal: ratio <= 1.5) and `elbo-check derive ddpm` (goal:
   <= 2) against `python -c "import sympy, click"`, the median of interleaved runs.
2. Per step: the checker's time for every built-in step, from cold (goal: a few ms; the DDPM
   steps at most 50 ms median).
3. The numeric judge's cost per step against the symbolic checker's.
4. The naive way, `simplify(lhs - rhs) == 0` over explicit integrals, where sympy can express the
   step at all (densities of an abstract family it cannot), with a time limit.
5. A 1,000-line Markdown file with 50 displays read and checked (goal: at most 2 s), with the
   reader's share of the time.
6. With --scale: the J-dimensional Gaussian KL at J = 1, 8, 64, 512 and symbolic J; a 400-step
   chain; 1,000 files in one call with --jobs 1 against --jobs N.

Usage: python benchmarks/bench.py [--pairs N] [--naive-timeout SECONDS] [--scale]
"""
import argparse
import glob
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def _run(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


def whole_process(pairs):
    exe = shutil.which("elbo-check")
    command = [exe] if exe else [sys.executable, "-m", "cli"]
    runs = [("elbo-check derive", command + ["derive"], 1.5),
            ("elbo-check derive ddpm", command + ["derive", "ddpm"], 2.0)]
    baseline = [sys.executable, "-c", "import sympy, click"]
    for _, cmd, _ in runs:
        _run(cmd)
    _run(baseline)  # warm the file cache
    ours, base = {name: [] for name, _, _ in runs}, []
    for _ in range(pairs):
        for name, cmd, _ in runs:
            ours[name].append(_run(cmd))
        base.append(_run(baseline))
    mb = statistics.median(base)
    print("## Whole process (median of %d interleaved runs)\n" % pairs)
    print("| command | median s | ratio |")
    print("| --- | ---: | ---: |")
    print(f"| python -c \"import sympy, click\" | {mb:.3f} | 1.00 |")
    for name, _, goal in runs:
        mo = statistics.median(ours[name])
        print(f"| {name} | {mo:.3f} | {mo / mb:.2f} (goal <= {goal}) |")
    print()


def _step_cases():
    from elbo_sym.derivations import DERIVATIONS

    for d in DERIVATIONS:
        facts = [(a.lhs, a.relation, a.rhs) for a in d.assumptions]
        previous = d.start
        for i, s in enumerate(d.steps, 1):
            yield d, i, previous, s, facts
            previous = s.expr


def _cold():
    """Clear sympy's cache and the checker's own memo tables: every step timed from cold."""
    from sympy.core.cache import clear_cache

    from elbo_sym.checker import clear_caches

    clear_cache()
    clear_caches()


def per_step(reps=5):
    from elbo_sym.checker import check_step

    print("## Per step (median of %d runs, sympy's cache and the checker's memos cleared "
          "before each)\n" % reps)
    print("| step | verdict | ms |")
    print("| --- | --- | ---: |")
    times, ddpm = [], []
    for d, i, lhs, s, facts in _step_cases():
        samples = []
        for _ in range(reps):
            _cold()
            t = time.perf_counter()
            r = check_step(lhs, s.relation, s.expr, s.rules, facts, d.models)
            samples.append(time.perf_counter() - t)
        ms = statistics.median(samples) * 1000
        times.append(ms)
        if d.name == "ddpm":
            ddpm.append(ms)
        print(f"| {d.name}:{i} | {r.verdict} | {ms:.1f} |")
    print(f"| **median over steps** | | **{statistics.median(times):.1f}** |")
    if ddpm:
        print(f"| **median over the ddpm steps** (goal <= 50) | | **{statistics.median(ddpm):.1f}** |")
    print()
    return {(d.name, i): statistics.median([0]) for d, i, *_ in _step_cases()}, times


def _explicit(expr):
    """The step in sympy's own terms: Gaussians as formulas, expectations as integrals."""
    from sympy import Integral, exp, oo, pi, sqrt

    from elbo_sym.algebra import KL, DensityBase, Expectation, Gaussian

    def density(g):
        z, m, v = g.args
        return exp(-(z - m) ** 2 / (2 * v)) / sqrt(2 * pi * v)

    def walk(e):
        if isinstance(e, Gaussian):
            return density(e)
        if isinstance(e, DensityBase):
            raise ValueError("an abstract density")
        if isinstance(e, KL):
            return walk(e.rewrite(Expectation))
        if isinstance(e, Expectation):
            if not isinstance(e.density, Gaussian):
                raise ValueError("an abstract density")
            z = e.density.variable
            return Integral(walk(e.density) * walk(e.integrand), (z, -oo, oo))
        if not e.args:
            return e
        return e.func(*[walk(a) for a in e.args])

    return walk(expr)


def _naive(lhs, rhs, facts, out):
    from sympy import Symbol, simplify

    subs = {a: Symbol(a.name, positive=True) for a, rel, b in facts if rel == ">" and b == 0}
    out.put(simplify((_explicit(lhs) - _explicit(rhs)).xreplace(subs)) == 0)


def naive(timeout, ours_ms):

    print(f"## The naive way: simplify(lhs - rhs) == 0 (limit {timeout:.0f} s)\n")
    print("| step | naive result | naive s | checker ms | ratio |")
    print("| --- | --- | ---: | ---: | ---: |")
    for (d, i, lhs, s, facts), ms in zip(_step_cases(), ours_ms):
        try:
            _explicit(lhs), _explicit(s.expr)
        except ValueError:
            continue
        if s.relation != "=":
            continue
        queue = multiprocessing.Queue()
        proc = multiprocessing.Process(target=_naive, args=(lhs, s.expr, facts, queue))
        t = time.perf_counter()
        proc.start()
        proc.join(timeout)
        elapsed = time.perf_counter() - t
        if proc.is_alive():
            proc.terminate()
            proc.join()
            result = "timed out"
        else:
            result = "proved" if not queue.empty() and queue.get() else "not proved"
        print(f"| {d.name}:{i} | {result} | {elapsed:.2f} | {ms:.1f} | {elapsed * 1000 / ms:.0f}x |")
    print("\nSteps over abstract families (p(x, z), q(z | x)) cannot be written for simplify at all.")


def scale_dimensions():
    """The diagonal Gaussian KL at explicit J (time should grow at most linearly) and at
    symbolic J."""
    from sympy import Integer, Symbol

    from elbo_sym.checker import check_derivation
    from elbo_sym.derivations import BUILTINS

    print("## Scale: J-dimensional Gaussian KL\n")
    print("| J | verdicts | s | s per dimension |")
    print("| --- | --- | ---: | ---: |")
    base = BUILTINS["gaussian-kl-diagonal"]
    J = next(s for s in base.start.free_symbols if isinstance(s, Symbol) and s.name == "J")
    for n in (1, 8, 64, 512, None):
        d = base if n is None else _substituted(base, {J: Integer(n)})
        _cold()
        t = time.perf_counter()
        r = check_derivation(d)
        elapsed = time.perf_counter() - t
        verdicts = ",".join(sorted({s.verdict for s in r.steps}))
        per = f"{elapsed / n * 1000:.2f} ms" if n else "-"
        print(f"| {n or 'symbolic'} | {verdicts} | {elapsed:.3f} | {per} |")
    print()


def _substituted(derivation, mapping):
    from dataclasses import replace

    steps = tuple(replace(s, expr=s.expr.xreplace(mapping)) for s in derivation.steps)
    return replace(derivation, start=derivation.start.xreplace(mapping), steps=steps)


def scale_files(count, jobs):
    """``count`` derivation files in one call, --jobs 1 against --jobs N, in files per second."""
    import tempfile

    examples = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                             "examples", "*.deriv")))
    exe = shutil.which("elbo-check")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(count):
            path = os.path.join(tmp, f"d{i:04d}.deriv")
            shutil.copy(examples[i % len(examples)], path)
            paths.append(path)
        print(f"## Scale: {count} files in one call\n")
        print("| jobs | s | files/s |")
        print("| --- | ---: | ---: |")
        for n in sorted({1, jobs}):
            cmd = ([exe] if exe else [sys.executable, "-m", "cli"]) + ["check", "-q", "-j", str(n)] + paths
            elapsed = _run(cmd)
            print(f"| {n} | {elapsed:.1f} | {count / elapsed:.0f} |")
    print()


def scale_chain(length):
    """A chain of ``length`` steps, parsed from text and checked."""
    from elbo_sym.checker import check_derivation
    from elbo_sym.parser import parse_text

    lines = ["derivation long", "  log p(x)"]
    for i in range(length):
        lines.append("  = log p(x, z) - log p(z | x)    by product-rule" if i % 2 == 0
                     else "  = log p(x)                      by product-rule")
    _cold()
    t = time.perf_counter()
    (d,) = parse_text("\n".join(lines) + "\n", "long.deriv")
    parsed = time.perf_counter() - t
    r = check_derivation(d)
    checked = time.perf_counter() - t - parsed
    ok = all(s.verdict == "verified" for s in r.steps)
    print(f"## Scale: a {length}-step chain\n")
    print("| parse s | check s | ms per step | all verified |")
    print("| ---: | ---: | ---: | --- |")
    print(f"| {parsed:.2f} | {checked:.2f} | {checked / length * 1000:.1f} | {ok} |")
    print()


def numeric_cost():
    """What the numeric judge adds per built-in step."""
    from elbo_sym.checker import check_step
    from elbo_sym.checker.numeric_pass import cross_check

    import elbo_sym.numeric  # noqa: F401  (numpy's import is not a per-step cost)

    sym, num = [], []
    for d, i, lhs, s, facts in _step_cases():
        t = time.perf_counter()
        r = check_step(lhs, s.relation, s.expr, s.rules, facts, d.models)
        t1 = time.perf_counter()
        cross_check(r, lhs, s.relation, s.expr, facts, models=d.models)
        sym.append(t1 - t)
        num.append(time.perf_counter() - t1)
    ms, mn = statistics.median(sym) * 1000, statistics.median(num) * 1000
    print("## The numeric judge (median per built-in step, 8 instances)\n")
    print("| symbolic ms | numeric ms | numeric / symbolic |")
    print("| ---: | ---: | ---: |")
    print(f"| {ms:.1f} | {mn:.1f} | {mn / ms:.2f} |")
    print()


_DISPLAYS = [
    r"""$$
\begin{aligned}
\log p(x) &= \log p(x, z) - \log p(z \mid x) \\
&= \mathbb{E}_{q(z \mid x)}\left[\log p(x, z) - \log p(z \mid x)\right] \\
&= \mathbb{E}_{q(z \mid x)}\left[\log \frac{p(x, z)}{q(z \mid x)}\right]
   + D_{\mathrm{KL}}\left(q(z \mid x) \,\|\, p(z \mid x)\right) \\
&\geq \mathbb{E}_{q(z \mid x)}\left[\log \frac{p(x, z)}{q(z \mid x)}\right]
\end{aligned}
$$""",
    r"""```math
-D_{\mathrm{KL}}\big(\mathcal{N}(z; \mu, \sigma^2) \,\|\, \mathcal{N}(z; 0, 1)\big)
  = \frac{1}{2}\left(1 + \log \sigma^2 - \mu^2 - \sigma^2\right)
```""",
    r"""$$
\mathbb{E}_{q}\left[\log p(x, z)\right] + \operatorname{H}\left(q(z \mid x)\right)
= \mathbb{E}_{q(z \mid x)}\left[\log p(x, z) - \log q(z \mid x)\right]
$$""",
    r"""$$ \nabla_z \log \mathcal{N}(z; \mu, \sigma^2) = -\frac{z - \mu}{\sigma^2} $$""",
]


def markdown_document(lines=1000, displays=50):
    """A Markdown file of ``lines`` lines holding ``displays`` displays (chains, a Gaussian KL,
    a bare expectation, a skipped one), with prose between them."""
    out = ["<!-- elbo-check: assume sigma > 0 -->"]
    per = lines // displays
    for i in range(displays):
        block = _DISPLAYS[i % len(_DISPLAYS)].split("\n")
        prose = ["Some prose about the bound, with inline math $q(z \\mid x)$ in it."] * \
            max(1, per - len(block) - 1)
        out += prose + [""] + block
    return "\n".join(out[:max(lines, len(out))]) + "\n"


def markdown_scale():
    """Read and check a 1,000-line Markdown file with 50 displays: the reader's share."""
    from elbo_sym.readers import check_reading, read_text

    text = markdown_document()
    rows = []
    for numeric in (False, True):
        t = time.perf_counter()
        reading = read_text(text, "notes.md", "md")
        read_s = time.perf_counter() - t
        results = check_reading(reading, numeric=numeric)
        check_s = time.perf_counter() - t - read_s
        steps = sum(len(r.steps) for r in results)
        verified = sum(s.verdict == "verified" for r in results for s in r.steps)
        rows.append((numeric, read_s, check_s, len(reading.chains), steps, verified))
    print(f"## A Markdown file: {text.count(chr(10))} lines, 50 displays (goal: at most 2 s)\n")
    print("| numeric judge | read s | check s | total s | reader share | chains | steps "
          "| verified |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for numeric, read_s, check_s, chains, steps, verified in rows:
        total = read_s + check_s
        print(f"| {'on' if numeric else 'off'} | {read_s:.2f} | {check_s:.2f} | {total:.2f} | "
              f"{read_s / total:.0%} | {chains} | {steps} | {verified} |")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=7)
    ap.add_argument("--naive-timeout", type=float, default=20.0)
    ap.add_argument("--scale", action="store_true", help="also the scale tables (slow)")
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    whole_process(args.pairs)
    _, times = per_step()
    numeric_cost()
    markdown_scale()
    naive(args.naive_timeout, times)
    if args.scale:
        print()
        scale_dimensions()
        scale_chain(400)
        scale_files(args.files, args.jobs)


if __name__ == "__main__":
    main()
