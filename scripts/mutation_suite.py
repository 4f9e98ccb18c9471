#!/usr/bin/env python3
"""Soundness, measured: every one-step mutant of every built-in and example derivation.

A mutant is a plausible slip (a sign flipped, a term dropped, a KL's arguments swapped, a
conditional turned around, an inequality reversed, a term pulled out of its expectation, a
constant or exponent changed, a bound variable renamed to a free one, an index shifted by one,
a sum's bound moved, a let's arguments exchanged). A mutant is excluded only when the checker
proves it equal to the original step (``original = mutant`` with every rule; for a reversed
inequality, the two sides of the step equal): never because the numbers find it still true.

Every counted mutant gets the symbolic verdict and, behind an unknown one, the numeric judge on
--draws instances. Per kind: counted, refuted, unknown, and of the unknown those on which the
numeric judge finds no violation (numbers that agree prove nothing), and verified. No counted
mutant may be verified: each is printed and the script exits 1. An excluded mutant that the
numeric judge violates means an equivalence proof is wrong: printed, and exit 1 too.

Usage: python scripts/mutation_suite.py [--sample N] [--seed S] [--draws D]
"""
import argparse
import glob
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from elbo_sym.derivations import DERIVATIONS  # noqa: E402
from elbo_sym.mutation import COUNTED, KINDS, judge_mutant, mutants  # noqa: E402
from elbo_sym.parser import parse_file  # noqa: E402
from elbo_sym.printing import text  # noqa: E402
from elbo_sym.relations import REFUTED, UNKNOWN, VERIFIED  # noqa: E402

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "*.deriv")
COLUMNS = ("generated", "excluded", "counted", "refuted", "unknown", "unknown-holds", "verified")
HEADERS = ("kind", "generated", "excluded (proven equal)", "counted", "refuted", "unknown",
           "of which no numeric violation", "verified")


def sources():
    yield from (("built-in", d) for d in DERIVATIONS)
    for path in sorted(glob.glob(EXAMPLES)):
        for d in parse_file(path):
            yield os.path.basename(path), d


def where(origin, m):
    return (f"{origin} {m.derivation.name}:{m.index} ({m.kind}: {m.description}): "
            f"{m.step.relation} {text(m.step.expr)}")


def table(by_kind):
    lines = ["| " + " | ".join(HEADERS) + " |", "| --- |" + " ---: |" * (len(HEADERS) - 1)]
    total = dict.fromkeys(COLUMNS, 0)
    for kind in KINDS:
        row = by_kind.get(kind, dict.fromkeys(COLUMNS, 0))
        for c in COLUMNS:
            total[c] += row[c]
        lines.append(f"| {kind} | " + " | ".join(str(row[c]) for c in COLUMNS) + " |")
    lines.append("| **all** | " + " | ".join(f"**{total[c]}**" for c in COLUMNS) + " |")
    return "\n".join(lines), total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=0, help="check only N random mutants")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--draws", type=int, default=64, help="instances of the numeric judge")
    args = ap.parse_args()
    every = [(origin, m) for origin, d in sources() for m in mutants(d)]
    chosen = random.Random(args.seed).sample(every, args.sample) if 0 < args.sample < len(every) else every
    by_kind = {}
    for origin, m in every:
        by_kind.setdefault(m.kind, dict.fromkeys(COLUMNS, 0))["generated"] += 1
    bugs, excluded, by_numbers = [], [], 0
    started = time.perf_counter()
    for origin, m in chosen:
        j = judge_mutant(m, draws=args.draws)
        row = by_kind[m.kind]
        if j.status != COUNTED:
            row["excluded"] += 1
            excluded.append(f"  {where(origin, m)}  [numeric: {j.numeric}]")
            if j.numeric == "violated":
                bugs.append(f"EQUIVALENCE PROOF VIOLATED NUMERICALLY {where(origin, m)}: {j.message}")
            continue
        row["counted"] += 1
        if j.verdict == VERIFIED:
            row["verified"] += 1
            bugs.append(f"VERIFIED MUTANT {where(origin, m)}  [numeric: {j.numeric}]")
        elif j.final == REFUTED:
            row["refuted"] += 1
            by_numbers += j.verdict != REFUTED
        elif j.final == UNKNOWN:
            row["unknown"] += 1
            if j.numeric == "holds":
                row["unknown-holds"] += 1
    elapsed = time.perf_counter() - started
    rendered, total = table(by_kind)
    print(rendered)
    print()
    print(f"mutants generated: {len(every)}, checked: {len(chosen)}, excluded as proven equal: "
          f"{total['excluded']}, counted: {total['counted']}")
    print(f"refuted: {total['refuted']} (symbolically {total['refuted'] - by_numbers}, by the "
          f"numeric judge alone {by_numbers}), unknown: {total['unknown']} (no numeric violation on "
          f"{args.draws} draws: {total['unknown-holds']}), verified: {total['verified']}  "
          f"({elapsed:.1f} s)")
    if excluded:
        print("\nexcluded (proven equal to the original step):")
        print("\n".join(excluded))
    for line in bugs:
        print(line)
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
