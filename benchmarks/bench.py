#!/usr/bin/env python3
"""Benchmarks of issue 18 printed as tables of ratios, each with its goal (never asserted in tests).

Sections (all but ``scale`` run by default; ``--only NAME[,NAME]`` picks some):

process   Whole process, CPU (user + sys of the child, from os.wait4) and wall, each run paired
          with `python -c "import sympy, click"` run just before it: the median of the paired
          ratios. `elbo-check check FILE` (both judges, explain on: the defaults) for every file
          in examples/ (goal <= 1.7), `elbo-check derive` (goal <= 1.4), `elbo-check derive
          --all` (goal <= 2). The exit status is printed too (0: every step verified).
memory    Peak memory (the child's ru_maxrss) of `elbo-check check FILE` for every example
          (goal <= 100 MiB); taken from the process runs when both sections run.
steps     Per built-in step from cold (sympy's cache and the checker's memos cleared before
          each run): the symbolic time, the numeric judge's time and their ratio; the median
          over the steps (goal <= 5 ms), over the DDPM steps (goal <= 30 ms), and the numeric
          judge against the symbolic time (goal <= 2x).
markdown  A 1,000-line Markdown file with 50 displays read and checked (goal: at most 2 s), with
          the reader's share of the time.
naive     `simplify(lhs - rhs) == 0` over explicit integrals, where sympy can express the step
          at all, with a time limit (``--naive-timeout``).
growth    Linear growth, each size checked (api.check, both judges, explain on) in a fresh
          child process after a tiny warm-up check (imports and grammar) and with the caches
          cleared, so the times are the file's own work: (a) a chain of N varied steps (product
          rule, expectation and KL, Gaussian KL, entropy blocks over fresh variables) with N/10
          assumptions, N = 100 and 1000; (b) a Markdown file with 50 and 500 displays; (c) a
          DDPM-style chain peeling a sum over T one term a step, 2 and 16 peeled steps. Per
          step cost ratio full/tenth (goal <= 1.2), the fitted exponent log(time ratio) /
          log(size ratio) (1 is linear), and each file's verdict counts (the work is real).
warm      One warm process: after a first check, api.check of a 10-step derivation, the median
          of several runs, the same text again and a text with fresh variable names each run
          (goal <= 50 ms).
scale     (only with --scale or --only scale) the J-dimensional Gaussian KL at J = 1 ... 512
          and symbolic J; a 400-step chain; 1,000 files in one call, --jobs 1 against --jobs N.

Every measure that imports the checker runs in a child process, so that this process stays
small: Linux counts a spawning process's resident memory into its child's ru_maxrss.

Run from a checkout with the package installed (`pip install .`); `elbo-check` is taken from
PATH (else `python -m elbo_sym`). `--quick` runs each measure once or twice, for a smoke run;
its numbers are noisy.

Usage: python benchmarks/bench.py [--quick] [--pairs N] [--only SECTION[,SECTION]]
                                  [--naive-timeout SECONDS] [--scale]
"""
import argparse
import glob
import json
import math
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, NamedTuple, Optional, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "examples")
sys.path.insert(0, os.path.join(HERE, ".."))

SECTIONS = ("process", "memory", "steps", "markdown", "naive", "growth", "warm", "scale")
DEFAULT_SECTIONS = SECTIONS[:-1]
BASELINE = [sys.executable, "-c", "import sympy, click"]
MIB = 1024.0  # ru_maxrss is in KiB on Linux


def _run(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


class Run(NamedTuple):
    """One child process: CPU seconds (user + sys), wall seconds, peak RSS in MiB, exit code."""
    cpu: float
    wall: float
    rss: float
    code: int


def _spawn(argv: Sequence[str], stdout: str = os.devnull) -> Run:
    """Run ``argv`` as a child (output to ``stdout``, a path) and measure it with os.wait4."""
    actions = [(os.POSIX_SPAWN_OPEN, 1, stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
               (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]
    t = time.perf_counter()
    pid = os.posix_spawn(argv[0], list(argv), os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / MIB,
               os.waitstatus_to_exitcode(status))


def _command() -> List[str]:
    exe = shutil.which("elbo-check")
    return [exe] if exe else [sys.executable, "-m", "elbo_sym"]


def _examples() -> List[str]:
    return sorted(p for p in glob.glob(os.path.join(EXAMPLES, "*")) if os.path.isfile(p))


def _goal(value: float, goal: float) -> str:
    return f"{'ok' if value <= goal else 'OVER'} (goal <= {goal:g})"


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- process and memory ----------------------------------------------------------------------

_PROCESS_RUNS: Dict[str, List[Run]] = {}   # label -> runs, shared by the memory section


def _process_commands() -> List[tuple]:
    """(label, argv, CPU-ratio goal, memory counted) for every whole-process command."""
    cmd = _command()
    rows = [(f"check {os.path.basename(p)}", cmd + ["check", p], 1.7, True) for p in _examples()]
    rows.append(("derive", cmd + ["derive"], 1.4, False))
    rows.append(("derive --all", cmd + ["derive", "--all"], 2.0, False))
    return rows


def whole_process(pairs: int) -> None:
    rows = _process_commands()
    _spawn(BASELINE)                     # warm the file cache
    for _, argv, _, _ in rows:
        _spawn(argv)
    base: Dict[str, List[Run]] = {label: [] for label, *_ in rows}
    ours: Dict[str, List[Run]] = {label: [] for label, *_ in rows}
    for _ in range(pairs):               # interleaved: each run right after its own baseline
        for label, argv, _, _ in rows:
            base[label].append(_spawn(BASELINE))
            ours[label].append(_spawn(argv))
    _PROCESS_RUNS.update(ours)
    floor = [r for runs in base.values() for r in runs]
    print(f"## Whole process: CPU (user + sys) and wall, median of {pairs} paired runs against "
          "`python -c \"import sympy, click\"`\n")
    print(f"Floor: CPU {_median([r.cpu for r in floor]):.3f} s, wall "
          f"{_median([r.wall for r in floor]):.3f} s, peak {_median([r.rss for r in floor]):.0f} "
          "MiB (median of all baseline runs).\n")
    print("| command | exit | CPU s | wall s | CPU ratio | wall ratio | goal (CPU ratio) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    worst = 0.0
    for label, _, goal, _ in rows:
        runs, bases = ours[label], base[label]
        cpu = _median([r.cpu / b.cpu for r, b in zip(runs, bases)])
        wall = _median([r.wall / b.wall for r, b in zip(runs, bases)])
        codes = ",".join(sorted({str(r.code) for r in runs}))
        if label.startswith("check"):
            worst = max(worst, cpu)
        print(f"| elbo-check {label} | {codes} | {_median([r.cpu for r in runs]):.3f} | "
              f"{_median([r.wall for r in runs]):.3f} | {cpu:.2f} | {wall:.2f} | "
              f"{_goal(cpu, goal)} |")
    print(f"| **worst check ratio** | | | | **{worst:.2f}** | | {_goal(worst, 1.7)} |")
    print("\nExit 0: every step verified; 1: some step not; 2: an input error (the file was not "
          "checked).\n")


def memory() -> None:
    rows = [(label, argv) for label, argv, _, counted in _process_commands() if counted]
    peaks = {label: max(r.rss for r in _PROCESS_RUNS[label]) if label in _PROCESS_RUNS
             else _spawn(argv).rss for label, argv in rows}
    base = _spawn(BASELINE).rss
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MIB
    print("## Peak memory: max RSS of the child (ru_maxrss)\n")
    print(f"This script's own peak is {own:.0f} MiB: Linux carries a spawning process's RSS into "
          "its child's ru_maxrss, so no peak below it can be seen (the script never imports the "
          "checker itself; the sections that do run in a child).\n")
    print("| command | peak MiB | goal |")
    print("| --- | ---: | --- |")
    print(f"| python -c \"import sympy, click\" | {base:.0f} | |")
    for label, _ in rows:
        print(f"| elbo-check {label} | {peaks[label]:.0f} | {_goal(peaks[label], 100)} |")
    worst = max(peaks.values())
    print(f"| **worst** | **{worst:.0f}** | {_goal(worst, 100)} |")
    print()


# -- per step --------------------------------------------------------------------------------

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


def per_step(reps: int = 5) -> List[float]:
    """Every built-in step from cold: the symbolic checker, then the numeric judge behind it
    (also from cold); returns the symbolic times in ms, in the order of ``_step_cases``."""
    from elbo_sym.checker import check_step
    from elbo_sym.checker.numeric_pass import cross_check

    import elbo_sym.numeric  # noqa: F401  (numpy's import is not a per-step cost)

    print(f"## Per step from cold (median of {reps} runs; sympy's cache and the checker's memos "
          "cleared before each run of either judge)\n")
    print("| step | verdict | symbolic ms | numeric ms | numeric / symbolic |")
    print("| --- | --- | ---: | ---: | ---: |")
    for d, i, lhs, s, facts in list(_step_cases())[:1]:   # first-call costs are not a step's
        cross_check(check_step(lhs, s.relation, s.expr, s.rules, facts, d.models), lhs,
                    s.relation, s.expr, facts, models=d.models)
    sym_all, num_all, ratios, ddpm = [], [], [], []
    for d, i, lhs, s, facts in _step_cases():
        sym, num = [], []
        for _ in range(reps):
            _cold()
            t = time.perf_counter()
            r = check_step(lhs, s.relation, s.expr, s.rules, facts, d.models)
            sym.append(time.perf_counter() - t)
            _cold()
            t = time.perf_counter()
            judged = cross_check(r, lhs, s.relation, s.expr, facts, models=d.models)
            num.append(time.perf_counter() - t)
        ms, mn = _median(sym) * 1000, _median(num) * 1000
        sym_all.append(ms)
        num_all.append(mn)
        ratios.append(mn / ms)
        if d.name == "ddpm":
            ddpm.append(ms)
        print(f"| {d.name}:{i} | {judged.verdict} | {ms:.1f} | {mn:.1f} | {mn / ms:.2f} |")
    median_step, median_ratio = _median(sym_all), _median(ratios)
    print(f"| **median over the {len(sym_all)} built-in steps** | | **{median_step:.1f}** "
          f"{_goal(median_step, 5)} | **{_median(num_all):.1f}** | |")
    if ddpm:
        print(f"| **median over the {len(ddpm)} ddpm steps** | | **{_median(ddpm):.1f}** "
              f"{_goal(_median(ddpm), 30)} | | |")
    print(f"| **numeric / symbolic**: median of the per-step ratios | | | | "
          f"**{median_ratio:.2f}** {_goal(median_ratio, 2)} |")
    total = sum(num_all) / sum(sym_all)
    print(f"| **numeric / symbolic**: total over the steps | | {sum(sym_all):.0f} | "
          f"{sum(num_all):.0f} | **{total:.2f}** {_goal(total, 2)} |")
    print()
    return sym_all


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
    print()


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
    examples = sorted(glob.glob(os.path.join(EXAMPLES, "*.deriv")))
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
            cmd = _command() + ["check", "-q", "-j", str(n)] + paths
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


# -- linear growth ---------------------------------------------------------------------------

def _blocks(i: int, sigma: int) -> List[List[tuple]]:
    """Four kinds of true steps over the fresh variables of block ``i``, each kind leaving the
    chain at ``log p(x)`` again: (right side, cited rules) for each step."""
    z, mu, s = f"z_{{{i}}}", f"mu_{{{i}}}", f"sigma_{{{sigma}}}"
    q, n, n0 = f"q({z}|x)", f"N({z}; {mu}, {s}^2)", f"N({z}; 0, 1)"
    closed = f"1/2 (1 + log({s}^2) - {mu}^2 - {s}^2)"
    return [
        [(f"log p(x, {z}) - log p({z} | x)", "product-rule"),
         (f"log p(x | {z}) + log p({z}) - log p({z} | x)", "product-rule"),
         ("log p(x)", "bayes-rule")],
        [(f"E_{{{q}}}[ log p(x, {z}) - log p({z} | x) ]", "product-rule, expectation-of-constant"),
         (f"E_{{{q}}}[ log p(x, {z}) - log {q} ] + KL({q} || p({z}|x))",
          "linearity, kl-definition"),
         ("log p(x)", "product-rule, kl-definition, linearity, expectation-of-constant")],
        [(f"log p(x) + KL({n} || {n0}) + {closed}", "gaussian"),
         (f"log p(x) + E_{{{n}}}[ log {n} - log {n0} ] + {closed}", "kl-definition"),
         ("log p(x)", "gaussian, linearity")],
        [(f"log p(x) - E_{{q({z})}}[ log q({z}) ] - H(q({z}))", "entropy-definition"),
         ("log p(x)", "entropy-definition, linearity")],
    ]


def varied_chain(steps: int, offset: int = 0) -> str:
    """A .deriv chain of ``steps`` true steps cycling through the kinds of ``_blocks`` over
    fresh variables, with ``steps // 10`` assumptions ``sigma_j > 0`` (the Gaussian blocks use
    them in turn)."""
    assumptions = max(1, steps // 10)
    lines = [f"assume sigma_{{{offset + j}}} > 0" for j in range(1, assumptions + 1)]
    lines += ["", "derivation varied \"A chain of varied steps\"", "  log p(x)"]
    count, block, gaussian = 0, 0, 0
    while count < steps:
        block += 1
        kinds = _blocks(offset + block, offset + 1 + gaussian % assumptions)
        kind = kinds[block % len(kinds)]
        gaussian += kind is kinds[2]
        for expr, rules in kind[:steps - count]:
            lines.append(f"  = {expr}    by {rules}")
            count += 1
    return "\n".join(lines) + "\n"


def _peeled(k: int) -> str:
    head = "log p(x_T)"
    terms = [f"log p(x_{{{t - 1}}} | x_{{{t}}}) / q(x_{{{t}}} | x_{{{t - 1}}})"
             for t in range(1, k + 1)]
    rest = f"sum_{{t={k + 1}}}^{{T}} log p(x_{{t-1}} | x_t) / q(x_t | x_{{t-1}})"
    return "E_{q(x_{1:T} | x_0)}[ " + " + ".join([head] + terms + [rest]) + " ]"


def ddpm_peel(peeled: int) -> str:
    """The DDPM bound's integrand as one sum over t (by the models), then ``peeled`` steps each
    taking the sum's first term out (T >= peeled + 1 assumed, so every peeled term exists)."""
    lines = ["model p(x_{0:T}) = p(x_T) prod_{t=1}^{T} p(x_{t-1} | x_t)",
             "model q(x_{1:T} | x_0) = prod_{t=1}^{T} q(x_t | x_{t-1})",
             f"assume T >= {peeled + 1}", "",
             f"derivation peel \"The DDPM bound peeled {peeled} times\"",
             "  E_{q(x_{1:T} | x_0)}[ log p(x_{0:T}) / q(x_{1:T} | x_0) ]",
             f"  = {_peeled(0)}    by model, linearity"]
    lines += [f"  = {_peeled(k)}    by linearity" for k in range(1, peeled + 1)]
    return "\n".join(lines) + "\n"


def markdown_displays(displays: int) -> str:
    """A Markdown file of ``displays`` displays, every one a chain that is checked: the first
    three kinds of ``_DISPLAYS`` in turn, each over fresh variables (z_i, mu_i), prose between."""
    out = ["<!-- elbo-check: assume sigma > 0 -->"]
    for i in range(1, displays + 1):
        block = _DISPLAYS[i % 3].replace("z", f"z_{{{i}}}").replace("\\mu", f"\\mu_{{{i}}}")
        out += ["", "Some prose about the bound, with inline math $q(z \\mid x)$ in it.", "",
                block]
    return "\n".join(out) + "\n"


_WARMUP = ("derivation warmup\n  log p(y)\n  = log p(y, w) - log p(w | y)    by product-rule\n",
           "$$ \\log p(y) = \\log p(y, w) - \\log p(w \\mid y) $$\n")


def _child_check(path: str, kind: str) -> None:
    """In a fresh process: a tiny warm-up check (imports, grammar, numpy), the caches cleared,
    then ``path`` read and checked as ``elbo-check check`` does; one JSON line on stdout."""
    from elbo_sym import api

    api.check(_WARMUP[0])
    api.check(_WARMUP[1], source="md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    _cold()
    cpu, wall = time.process_time(), time.perf_counter()
    report = api.check(text, source=kind)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    counts: Dict[str, int] = {}
    for v in report.verdicts:
        counts[v] = counts.get(v, 0) + 1
    print(json.dumps({"cpu": cpu, "wall": wall, "steps": len(report.verdicts),
                      "counts": counts, "skipped": len(report.skipped)}))


def _in_child(args: Sequence[str]) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        run = _spawn([sys.executable, os.path.abspath(__file__), "--child", *args], out.name)
        text = out.read()
    if run.code != 0 or not text.strip():
        raise RuntimeError(f"child {' '.join(args)} failed with exit {run.code}")
    result = json.loads(text)
    result["rss"] = run.rss
    return result


def growth() -> None:
    families = [("varied chain, N steps, N/10 assumptions", "deriv", varied_chain, (100, 1000)),
                ("Markdown, displays", "md", markdown_displays, (50, 500)),
                ("DDPM peel, peeled steps", "deriv", ddpm_peel, (2, 16))]
    print("## Linear growth (each size in a fresh process, after a warm-up, caches cleared; "
          "both judges, explain on)\n")
    print("| input | size | steps | verdicts | skipped displays | CPU s | wall s | CPU ms/step "
          "| peak MiB |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        for title, kind, make, sizes in families:
            measured = []
            for size in sizes:
                path = os.path.join(tmp, f"g{size}.{kind}")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(make(size))
                r = _in_child(["growth", path, kind])
                measured.append(r)
                verdicts = ", ".join(f"{n} {v}" for v, n in sorted(r["counts"].items()))
                print(f"| {title} | {size} | {r['steps']} | {verdicts} | {r['skipped']} | "
                      f"{r['cpu']:.2f} | {r['wall']:.2f} | {r['cpu'] / r['steps'] * 1000:.1f} | "
                      f"{r['rss']:.0f} |")
            small, big = measured
            per_step = (big["cpu"] / big["steps"]) / (small["cpu"] / small["steps"])
            exponent = math.log(big["cpu"] / small["cpu"]) / math.log(big["steps"] / small["steps"])
            summary.append((title, sizes, per_step, exponent))
    print("\n| input | sizes | per-step cost ratio (full / tenth) | exponent (1 = linear) |")
    print("| --- | --- | ---: | ---: |")
    for title, sizes, per_step, exponent in summary:
        print(f"| {title} | {sizes[0]} -> {sizes[1]} | {per_step:.2f} {_goal(per_step, 1.2)} | "
              f"{exponent:.2f} |")
    print("\nThe exponent is log(CPU ratio) / log(ratio of steps checked).\n")


# -- warm process ----------------------------------------------------------------------------

def _child_warm(runs: int) -> None:
    """In one process: a first check, then ``runs`` timed checks of a 10-step derivation, the
    same text each time and a text with fresh variable names each time."""
    from elbo_sym import api

    first = varied_chain(10)
    verdicts = api.check(first).verdicts
    same, fresh = [], []
    for i in range(runs):
        t = time.perf_counter()
        api.check(first)
        same.append(time.perf_counter() - t)
        text = varied_chain(10, offset=100 * (i + 1))
        t = time.perf_counter()
        api.check(text)
        fresh.append(time.perf_counter() - t)
    print(json.dumps({"same": same, "fresh": fresh, "verdicts": verdicts}))


def warm(runs: int) -> None:
    r = _in_child(["warm", str(runs)])
    counts = {v: r["verdicts"].count(v) for v in sorted(set(r["verdicts"]))}
    print(f"## Warm process: api.check of a 10-step derivation after a first check (median of "
          f"{runs} runs; both judges, explain on)\n")
    print(f"The derivation: {', '.join(f'{n} {v}' for v, n in counts.items())}.\n")
    print("| text | median ms | min ms | goal |")
    print("| --- | ---: | ---: | --- |")
    for key, label in (("same", "the same text again"),
                       ("fresh", "fresh variable names each run")):
        ms = _median(r[key]) * 1000
        print(f"| {label} | {ms:.1f} | {min(r[key]) * 1000:.1f} | {_goal(ms, 50)} |")
    print()


# -- main ------------------------------------------------------------------------------------

IN_PROCESS = ("steps", "markdown", "naive", "scale")


def _child(args: Sequence[str]) -> None:
    if args[0] == "growth":
        _child_check(args[1], args[2])
    elif args[0] == "warm":
        _child_warm(int(args[1]))
    elif args[0] == "sections":
        _child_sections(args[1].split(","), int(args[2]), float(args[3]), int(args[4]),
                        int(args[5]))


def _child_sections(sections: Sequence[str], reps: int, timeout: float, files: int,
                    jobs: int) -> None:
    """The sections that import the checker into the process that measures."""
    times: Optional[List[float]] = None
    for section in sections:
        if section == "steps":
            times = per_step(reps)
        elif section == "markdown":
            markdown_scale()
        elif section == "naive":
            naive(timeout, times if times is not None else _symbolic_times())
        elif section == "scale":
            scale_dimensions()
            scale_chain(400)
            scale_files(files, jobs)
        sys.stdout.flush()


def _groups(sections: Sequence[str]) -> List[List[str]]:
    """Consecutive sections run in one process: the in-process ones together."""
    groups: List[List[str]] = []
    for section in sections:
        if groups and section in IN_PROCESS and groups[-1][-1] in IN_PROCESS:
            groups[-1].append(section)
        else:
            groups.append([section])
    return groups


def _sections(only: Optional[str], scale: bool) -> List[str]:
    if only is None:
        return list(DEFAULT_SECTIONS) + (["scale"] if scale else [])
    chosen = [s.strip() for s in only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        raise SystemExit(f"bench.py: unknown section {', '.join(unknown)}; "
                         f"sections: {', '.join(SECTIONS)}")
    return chosen


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("--quick", action="store_true",
                    help="one run of each measure (three for the warm process): a smoke run")
    ap.add_argument("--pairs", type=int, default=None, help="paired runs per command (7; quick 1)")
    ap.add_argument("--only", metavar="NAME[,NAME]", help=f"sections: {', '.join(SECTIONS)}")
    ap.add_argument("--naive-timeout", type=float, default=None, help="seconds (20; quick 3)")
    ap.add_argument("--scale", action="store_true", help="also the scale tables (slow)")
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    pairs = args.pairs or (1 if args.quick else 7)
    reps = 1 if args.quick else 5
    timeout = args.naive_timeout or (3.0 if args.quick else 20.0)
    sections = _sections(args.only, args.scale)
    print(f"# elbo-check benchmarks ({'quick: single runs, noisy' if args.quick else 'full'}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})\n")
    for group in _groups(sections):
        section = group[0]
        if section in IN_PROCESS:   # a child of their own: this process stays small (see memory)
            sys.stdout.flush()
            subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "sections",
                            ",".join(group), str(reps), str(timeout), str(args.files),
                            str(args.jobs)], check=True)
        elif section == "process":
            whole_process(pairs)
        elif section == "memory":
            memory()
        elif section == "growth":
            growth()
        elif section == "warm":
            warm(3 if args.quick else 15)
        sys.stdout.flush()


def _symbolic_times() -> List[float]:
    """Each built-in step's symbolic time from cold, in ms (for ``naive`` run on its own)."""
    from elbo_sym.checker import check_step

    out = []
    for d, _, lhs, s, facts in _step_cases():
        _cold()
        t = time.perf_counter()
        check_step(lhs, s.relation, s.expr, s.rules, facts, d.models)
        out.append((time.perf_counter() - t) * 1000)
    return out


if __name__ == "__main__":
    main()
