#!/usr/bin/env python3
"""Soak test (issue 5): many random files through the parser and the checker.

Each case is a file from one of the generators of ``tests/fuzzing.py`` (valid, near-valid,
token soup), reproducible from ``--seed`` and the case number. A case fails when
* parsing raises anything but ``InputError``, or an ``InputError`` without a line and column
  inside the text, or a file from the valid generator is refused;
* checking a parsed file raises, or a step is inconsistent (verified symbolically while the
  numeric judge finds it violated), or a step is refuted by a counterexample that breaks one
  of the derivation's assumptions;
* the file does not end within ``--timeout`` seconds of wall-clock time.

Cases run in a worker process that is killed when a file overruns its bound: the checker's own
per-step limit uses SIGALRM, so the bound cannot be another alarm in the same process. Each
judge gets a share of the bound per step (0.8 x bound / (2 x steps), at most 5 s), so a file
that overruns is one whose limits did not hold, not one that merely had many slow steps.

Usage: python scripts/soak.py [--cases N] [--seed S] [--timeout SEC] [--save DIR] [--jobs J]
       python scripts/soak.py --seed S --case I      (one case again, its text printed)
"""
import argparse
import collections
import multiprocessing
import os
import random
import re
import sys
import time
import traceback
from multiprocessing.connection import wait

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from fuzzing import broken_assumption, generate  # noqa: E402

KINDS = ("valid", "near-valid", "soup")
WEIGHTS = (50, 35, 15)


# refusals of a generated "valid" file that the generator cannot foresee, each a correct
# located input error: a let whose argument a family variable bound in its body would capture
# (``let G(x, y) = E_{r(y)}[...]`` used as ``G(y, x)``) has no capture-free meaning
UNFORESEEN_REFUSALS = ("would put it under a binder",)


def plan(seed, i):
    """(kind, text) of case ``i``: the same for the same seed on every machine."""
    kind = random.Random(f"{seed}:{i}:kind").choices(KINDS, WEIGHTS)[0]
    return kind, generate(kind, f"{seed}:{i}")


# -- one case, in the worker ---------------------------------------------------------------------

def located_problem(exc, text):
    """Why an InputError is badly located, or None."""
    if exc.line is None or exc.column is None:
        return f"InputError without a line and column: {exc.message}"
    lines = text.split("\n")
    if not 1 <= exc.line <= len(lines):
        return f"InputError at line {exc.line} of a {len(lines)}-line text: {exc.message}"
    width = len(lines[exc.line - 1].removesuffix("\r"))
    if not 1 <= exc.column <= width + 1:
        return f"InputError at column {exc.column} of a {width}-character line: {exc.message}"
    return None


def run_case(kind, text, bound, step_timeout=None):
    """The outcome of one case as plain data (it crosses a pipe)."""
    from elbo_sym.checker import check_derivation
    from elbo_sym.errors import InputError
    from elbo_sym.parser import parse_text

    out = dict(parsed=False, input_error=None, problems=[], steps=0, verified=0, refuted=0,
               unknown=0, out_of_time=0)
    try:
        derivations = parse_text(text, "fuzz.deriv")
    except InputError as exc:
        out["input_error"] = exc.message
        problem = located_problem(exc, text)
        if problem:
            out["problems"].append(("badly located error", problem))
        if kind == "valid" and not any(r in exc.message for r in UNFORESEEN_REFUSALS):
            out["problems"].append(("valid file refused", str(exc)))
        return out
    except Exception as exc:  # noqa: BLE001 - the property under test
        out["problems"].append((f"parse raised {type(exc).__name__}", traceback.format_exc()))
        return out
    out["parsed"] = True
    n = sum(len(d.steps) for d in derivations)
    if step_timeout is None:
        step_timeout = min(5.0, 0.8 * bound / (2 * max(n, 1)))
    for d in derivations:
        try:
            result = check_derivation(d, numeric=True, seed=0, timeout=step_timeout)
        except Exception as exc:  # noqa: BLE001
            out["problems"].append((f"check raised {type(exc).__name__}: {exc}"[:120],
                                    traceback.format_exc()))
            continue
        for i, step in enumerate(result.steps, 1):
            out["steps"] += 1
            out[step.verdict] = out.get(step.verdict, 0) + 1
            if step.reason and "time limit" in step.reason:
                out["out_of_time"] += 1
            violated = step.numeric is not None and step.numeric.status == "violated"
            fact = broken_assumption(step, d)
            if fact is not None:
                out["problems"].append(("refuted by a counterexample that breaks an assumption",
                                        f"derivation {d.name}, step {i} (line "
                                        f"{d.steps[i - 1].line}): {step.counterexample} "
                                        f"against 'assume {fact.lhs} {fact.relation} "
                                        f"{fact.rhs}'"))
            if step.inconsistent or (step.verified and violated):
                head = (step.reason or "verified but violated").split(" (a bug")[0]
                head = head.split(" on ")[0].split(" at ")[0]
                out["problems"].append((f"inconsistent: {head}"[:120],
                                        f"derivation {d.name}, step {i} (line "
                                        f"{d.steps[i - 1].line}): {step.reason}"))
    return out


def worker_main(conn):
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        started = time.perf_counter()
        result = run_case(*job)
        result["seconds"] = time.perf_counter() - started
        conn.send(result)


class Worker:
    """A child process running one case at a time; killed and replaced when one overruns."""

    def __init__(self, context):
        self.context = context
        self.start()

    def start(self):
        self.conn, child = self.context.Pipe()
        self.proc = self.context.Process(target=worker_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.case = None
        self.started = None

    def submit(self, case, bound, step_timeout):
        self.case = case
        self.started = time.monotonic()
        self.conn.send((case[1], case[2], bound, step_timeout))

    def kill(self):
        self.proc.kill()
        self.proc.join()
        self.conn.close()

    def restart(self):
        self.kill()
        self.start()

    def stop(self):
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.kill()


# -- the run -------------------------------------------------------------------------------------

def preload():
    """Import and build everything once, before the workers are forked from this process."""
    from elbo_sym.checker import check_derivation
    from elbo_sym.parser import parse_text

    for d in parse_text("p(x)\n= p(x) by algebra\n", "warm.deriv"):
        check_derivation(d, numeric=True)


def run(args):
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    if context.get_start_method() == "fork":
        preload()
    indices = [args.case] if args.case is not None else list(range(args.cases))
    todo = collections.deque(indices)      # cases are generated as workers fall idle
    workers = [Worker(context) for _ in range(max(1, min(args.jobs, len(todo))))]
    results = {}
    done = 0
    try:
        while todo or any(w.case for w in workers):
            for w in workers:
                if w.case is None and todo:
                    i = todo.popleft()
                    w.submit((i, *plan(args.seed, i)), args.timeout, args.step_timeout)
            busy = [w for w in workers if w.case]
            now = time.monotonic()
            left = min(w.started + args.timeout for w in busy) - now
            ready = wait([w.conn for w in busy], timeout=max(0.0, left))
            now = time.monotonic()
            for w in busy:
                case = w.case
                if w.conn in ready:
                    try:
                        out = w.conn.recv()
                        out["wall"] = now - w.started
                    except (EOFError, OSError):
                        out = dict(parsed=False, input_error=None, steps=0, wall=now - w.started,
                                   problems=[("worker died", f"exit code {w.proc.exitcode}")])
                        w.restart()
                elif now - w.started > args.timeout:
                    out = dict(parsed=False, input_error=None, steps=0, wall=now - w.started,
                               problems=[("over the time bound", f"did not end within "
                                                                  f"{args.timeout:g} s")])
                    w.restart()
                else:
                    continue
                results[case[0]] = (case, out)
                w.case = None
                done += 1
                if args.progress and done % args.progress == 0:
                    failed = sum(1 for _, o in results.values() if o["problems"])
                    print(f"  {done}/{len(indices)} cases, {failed} failed", file=sys.stderr,
                          flush=True)
    finally:
        for w in workers:
            if w.case is None:
                w.stop()
            else:
                w.kill()
    return [results[i] for i in sorted(results)]


def signature(head):
    """A problem's kind without its particulars, for counting alike failures together."""
    head = head.splitlines()[0]
    head = re.sub(r"(, not|: not) .*", "", head)
    return re.sub(r"'[^']*'", "'...'", head)


def report(args, results, seconds_total=0.0):
    counts = collections.Counter()
    by_kind = collections.Counter()
    signatures = collections.Counter()
    slowest = (0.0, None)
    failures = []
    for (i, kind, text), out in results:
        by_kind[kind] += 1
        counts["valid"] += out["parsed"]
        counts["input errors"] += out["input_error"] is not None
        for key in ("steps", "verified", "refuted", "unknown", "out_of_time"):
            counts[key] += out.get(key, 0)
        if out["wall"] > slowest[0]:
            slowest = (out["wall"], (i, kind))
        if out["problems"]:
            failures.append(((i, kind, text), out))
            for head, _ in out["problems"]:
                signatures[signature(head)] += 1
    if args.save and failures:
        os.makedirs(args.save, exist_ok=True)
    for (i, kind, text), out in failures:
        again = f"python scripts/soak.py --seed {args.seed} --case {i}" + \
            (f" --timeout {args.timeout:g}" if args.timeout != 10.0 else "") + \
            (f" --step-timeout {args.step_timeout:g}" if args.step_timeout is not None else "")
        where = f"case {i} ({kind}; {again})"
        details = "\n".join(f"{head}\n{body}" for head, body in out["problems"])
        if args.save:
            stem = os.path.join(args.save, f"case-{i:05d}-{kind}")
            with open(stem + ".deriv", "w", encoding="utf-8", newline="") as f:
                f.write(text)
            with open(stem + ".txt", "w", encoding="utf-8") as f:
                f.write(where + "\n" + details + "\n")
            print(f"FAIL {where}: {out['problems'][0][0]} -> {stem}.deriv")
        else:
            print(f"FAIL {where}")
            print(details.rstrip())
            print("--- file ---")
            print(text.rstrip("\n"))
            print("--- end ---")
    if args.case is not None and not failures:
        (i, kind, text), out = results[0]
        print(f"case {i} ({kind}): {out['input_error'] or 'parsed'}\n--- file ---\n"
              f"{text.rstrip()}\n--- end ---")
    if signatures:
        print("failures by kind:")
        for head, n in signatures.most_common():
            print(f"  {n:6d}  {head}")
    kinds = ", ".join(f"{k} {by_kind[k]}" for k in KINDS)
    seconds, which = slowest
    print(f"cases: {len(results)} ({kinds}); seed {args.seed}; bound {args.timeout:g} s per file; "
          f"{seconds_total:.0f} s in all")
    print(f"valid: {counts['valid']}  input errors: {counts['input errors']}  "
          f"steps checked: {counts['steps']}  verified: {counts['verified']}  "
          f"refuted: {counts['refuted']}  unknown: {counts['unknown']} "
          f"({counts['out_of_time']} out of time)  slowest case: {seconds:.2f} s"
          + (f" (case {which[0]}, {which[1]})" if which else ""))
    print(f"{len(results) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000, help="number of cases (10000)")
    ap.add_argument("--seed", default="0", help="seed of the whole run (0)")
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="wall-clock bound per file, seconds (10)")
    ap.add_argument("--step-timeout", type=float, default=None,
                    help="the checker's limit per judge and step (default: a share of the bound)")
    ap.add_argument("--save", metavar="DIR", help="write each failing file (and why) to DIR")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (1)")
    ap.add_argument("--case", type=int, default=None, help="run only this case number")
    ap.add_argument("--progress", type=int, default=1000,
                    help="report progress on stderr every N cases (0: never)")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    results = run(args)
    return report(args, results, time.perf_counter() - started)


if __name__ == "__main__":
    sys.exit(main())
