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

Explain, measured: for every counted mutant, the suggestions of ``elbo_sym.checker.explain``
(the nearest steps that hold) are searched as ``elbo-check check`` does (--explain-budget
seconds a step), and the column "original suggested" counts the mutants whose original step
is among them (the same tree up to sympy's order, and the same relation). Every suggestion is
verified by the checker, or the script exits 1. The share and the median time of the search
are printed at the end; --no-explain skips it.

Usage: python scripts/mutation_suite.py [--sample N] [--seed S] [--draws D] [--no-explain]
       [--explain-budget S] [--explain-candidates N]
"""
import argparse
import glob
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from elbo_sym.checker import check_step  # noqa: E402
from elbo_sym.checker.explain import same_expression, suggestions  # noqa: E402
from elbo_sym.checker.limits import StepTimeout, time_limit  # noqa: E402
from elbo_sym.errors import DomainError  # noqa: E402
from elbo_sym.derivations import DERIVATIONS  # noqa: E402
from elbo_sym.mutation import COUNTED, judge_mutant, mutants  # noqa: E402
from elbo_sym.parser import parse_file  # noqa: E402
from elbo_sym.printing import text  # noqa: E402
from elbo_sym.relations import REFUTED, UNKNOWN, VERIFIED  # noqa: E402
from elbo_sym.slips import KINDS  # noqa: E402

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "*.deriv")
COLUMNS = ("generated", "excluded", "counted", "refuted", "unknown", "unknown-holds", "verified",
           "suggested")
HEADERS = ("kind", "generated", "excluded (proven equal)", "counted", "refuted", "unknown",
           "of which no numeric violation", "verified", "original suggested")


def sources():
    yield from (("built-in", d) for d in DERIVATIONS)
    for path in sorted(glob.glob(EXAMPLES)):
        for d in parse_file(path):
            yield os.path.basename(path), d


def where(origin, m):
    return (f"{origin} {m.derivation.name}:{m.index} ({m.kind}: {m.description}): "
            f"{m.step.relation} {text(m.step.expr)}")


def explained(m, budget, max_candidates=None):
    """(whether the original step is among the suggestions for mutant ``m``, the seconds the
    search took, the suggestions that do not verify on their own: there must be none)."""
    step = m.step
    try:
        with time_limit(10.0):
            result = check_step(m.previous, step.relation, step.expr, step.rules, m.facts,
                                m.derivation.models)
    except (StepTimeout, DomainError):
        result = None
    started = time.perf_counter()
    found = suggestions(m.previous, step.relation, step.expr, result, step.rules, m.facts,
                        m.derivation.models, budget, m.derivation.definitions,
                        max_candidates=max_candidates)
    seconds = time.perf_counter() - started
    wrong = []
    for s in found:
        again = check_step(m.previous, s.relation, s.expression, step.rules, m.facts,
                           m.derivation.models)
        if again.verdict != VERIFIED:
            wrong.append(f"{s.relation} {text(s.expression)} ({s.edit}): {again.verdict}")
    hit = any(s.relation == m.original.relation and same_expression(s.expression, m.original.expr)
              for s in found)
    return hit, seconds, wrong


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
    ap.add_argument("--no-explain", dest="explain", action="store_false",
                    help="skip the search for suggestions")
    ap.add_argument("--explain-budget", type=float, default=1.0,
                    help="seconds the search may spend on one mutant (0: no bound)")
    ap.add_argument("--explain-candidates", type=int, default=None,
                    help="candidates the search may check on one mutant (the same share on "
                         "any machine, with --explain-budget 0)")
    args = ap.parse_args()
    every = [(origin, m) for origin, d in sources() for m in mutants(d)]
    chosen = random.Random(args.seed).sample(every, args.sample) if 0 < args.sample < len(every) else every
    by_kind = {}
    for origin, m in every:
        by_kind.setdefault(m.kind, dict.fromkeys(COLUMNS, 0))["generated"] += 1
    bugs, excluded, by_numbers, search_times = [], [], 0, []
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
        if args.explain and j.verdict != VERIFIED:
            found, seconds, wrong = explained(m, args.explain_budget or None, args.explain_candidates)
            row["suggested"] += found
            search_times.append(seconds)
            bugs += [f"UNVERIFIED SUGGESTION {where(origin, m)}: {w}" for w in wrong]
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
    if args.explain and search_times:
        share = 100.0 * total["suggested"] / max(1, total["counted"])
        print(f"original among the suggestions: {total['suggested']} of {total['counted']} counted "
              f"mutants ({share:.1f}%; target 90%); search time a failing step: median "
              f"{statistics.median(search_times):.3f} s (target 1 s), max {max(search_times):.2f} s")
    if excluded:
        print("\nexcluded (proven equal to the original step):")
        print("\n".join(excluded))
    for line in bugs:
        print(line)
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
