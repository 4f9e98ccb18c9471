#!/usr/bin/env python3
"""Benchmarks printed as tables of ratios (never asserted in tests).

1. Whole process: `elbo-check derive` against `python -c "import sympy, click"`, the median of
   interleaved pairs (goal: ratio <= 1.5).
2. Per step: the checker's time for every built-in step (goal: a few ms).
3. The naive way, `simplify(lhs - rhs) == 0` over explicit integrals, where sympy can express the
   step at all (densities of an abstract family it cannot), with a time limit.

Usage: python benchmarks/bench.py [--pairs N] [--naive-timeout SECONDS]
"""
import argparse
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
    derive = [exe, "derive"] if exe else [sys.executable, "-m", "cli", "derive"]
    baseline = [sys.executable, "-c", "import sympy, click"]
    _run(derive), _run(baseline)  # warm the file cache
    ours, base = [], []
    for _ in range(pairs):
        ours.append(_run(derive))
        base.append(_run(baseline))
    mo, mb = statistics.median(ours), statistics.median(base)
    print("## Whole process (median of %d interleaved pairs)\n" % pairs)
    print("| command | median s | ratio |")
    print("| --- | ---: | ---: |")
    print(f"| python -c \"import sympy, click\" | {mb:.3f} | 1.00 |")
    print(f"| elbo-check derive | {mo:.3f} | {mo / mb:.2f} (goal <= 1.5) |")
    print()


def _step_cases():
    from elbo_sym.derivations import DERIVATIONS

    for d in DERIVATIONS:
        facts = [(a.lhs, a.relation, a.rhs) for a in d.assumptions]
        previous = d.start
        for i, s in enumerate(d.steps, 1):
            yield d, i, previous, s, facts
            previous = s.expr


def per_step(reps=5):
    from sympy.core.cache import clear_cache

    from elbo_sym.checker import check_step

    print("## Per step (median of %d runs, sympy cache cleared before each)\n" % reps)
    print("| step | verdict | ms |")
    print("| --- | --- | ---: |")
    times = []
    for d, i, lhs, s, facts in _step_cases():
        samples = []
        for _ in range(reps):
            clear_cache()
            t = time.perf_counter()
            r = check_step(lhs, s.relation, s.expr, s.rules, facts)
            samples.append(time.perf_counter() - t)
        ms = statistics.median(samples) * 1000
        times.append(ms)
        print(f"| {d.name}:{i} | {r.verdict} | {ms:.1f} |")
    print(f"| **median over steps** | | **{statistics.median(times):.1f}** |")
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=7)
    ap.add_argument("--naive-timeout", type=float, default=20.0)
    args = ap.parse_args()
    whole_process(args.pairs)
    _, times = per_step()
    naive(args.naive_timeout, times)


if __name__ == "__main__":
    main()
