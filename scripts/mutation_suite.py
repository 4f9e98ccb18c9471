#!/usr/bin/env python3
"""Soundness, measured: every one-step mutant of every built-in and example derivation.

A mutant is a plausible slip (a sign flipped, a KL's arguments swapped, a conditional turned
around, an inequality reversed, a term dropped, a term pulled out of its expectation, a
constant or exponent changed). Mutants the numeric judge finds still true are equivalent and
excluded. No counted mutant may be verified; a verified mutant is printed and the script
exits 1.

Usage: python scripts/mutation_suite.py [--sample N] [--seed S]
"""
import argparse
import glob
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from elbo_sym.checker import REFUTED, VERIFIED, check_step  # noqa: E402
from elbo_sym.checker.numeric_pass import cross_check  # noqa: E402
from elbo_sym.derivations import DERIVATIONS  # noqa: E402
from elbo_sym.mutation import mutants  # noqa: E402
from elbo_sym.parser import parse_file  # noqa: E402
from elbo_sym.printing import text  # noqa: E402

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "*.deriv")


def sources():
    yield from (("built-in", d) for d in DERIVATIONS)
    for path in sorted(glob.glob(EXAMPLES)):
        for d in parse_file(path):
            yield os.path.basename(path), d


def judge_mutant(m):
    """The symbolic result of the mutated step, and the result after the numeric judge."""
    step = m.step
    symbolic = check_step(m.previous, step.relation, step.expr, step.rules, m.facts)
    final = cross_check(symbolic, m.previous, step.relation, step.expr, m.facts)
    return symbolic, final


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=0, help="check only N random mutants")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    every = [(origin, m) for origin, d in sources() for m in mutants(d)]
    chosen = random.Random(args.seed).sample(every, args.sample) if 0 < args.sample < len(every) else every
    counts = dict(generated=len(every), checked=len(chosen), equivalent=0, counted=0,
                  not_verified=0, refuted=0, verified=0)
    by_kind = {}
    started = time.perf_counter()
    for origin, m in chosen:
        symbolic, final = judge_mutant(m)
        if final.numeric is not None and final.numeric.status == "holds":
            counts["equivalent"] += 1  # still true: excluded, whatever its verdict
            continue
        counts["counted"] += 1
        kind = by_kind.setdefault(m.kind, [0, 0])
        kind[0] += 1
        if symbolic.verdict == VERIFIED:
            counts["verified"] += 1
            step = m.step
            print(f"VERIFIED MUTANT {origin} {m.derivation.name}:{m.index} ({m.kind}: {m.description}): "
                  f"{step.relation} {text(step.expr)}")
            continue
        counts["not_verified"] += 1
        if final.verdict == REFUTED:
            counts["refuted"] += 1
            kind[1] += 1
    elapsed = time.perf_counter() - started
    print("| kind | counted | refuted |")
    print("| --- | ---: | ---: |")
    for kind, (n, r) in sorted(by_kind.items()):
        print(f"| {kind} | {n} | {r} |")
    print()
    print(f"mutants generated: {counts['generated']}, checked: {counts['checked']}, "
          f"equivalent (excluded): {counts['equivalent']}, counted: {counts['counted']}")
    print(f"not verified: {counts['not_verified']}, refuted: {counts['refuted']}, "
          f"verified: {counts['verified']}  ({elapsed:.1f} s)")
    return 1 if counts["verified"] else 0


if __name__ == "__main__":
    sys.exit(main())
