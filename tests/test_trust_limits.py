"""Time limits that always hold (issue 16): in any thread, after a swallowed timeout, nested,
and never after their block. Work is bounded by counts (a loop that would run for seconds if
no limit stopped it); what is asserted is whether it was stopped, never how long it took."""
import gc
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from elbo_sym.checker import UNKNOWN, check_derivation
from elbo_sym.checker.limits import StepTimeout, check_time, time_limit
from elbo_sym.parser import parse_text

GUARD = 120          # seconds a test waits for its worker thread before failing
LONG = 30_000_000    # loop iterations: seconds of work, far past any limit below
SLOW_STEP = "x\n= " + "log(" * 150 + "x" + ")" * 150 + "\n"   # 150 nested logs to expand


def spin(n=LONG):
    """Pure-Python work; True if it ran to the end."""
    for _ in range(n):
        pass
    return True


def in_thread(fn, *args):
    """``fn(*args)`` in a daemon thread (never left running past the test run), its result."""
    out = {}

    def run():
        try:
            out["value"] = fn(*args)
        except BaseException as exc:   # noqa: B902 - reported to the test below
            out["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(GUARD)
    assert not worker.is_alive(), "the worker ran past the guard: its limit did not hold"
    if "error" in out:
        raise out["error"]
    return out["value"]


def limited_spin(seconds):
    try:
        with time_limit(seconds):
            spin()
        return "ran to the end"
    except StepTimeout as exc:
        return str(exc)


# -- any thread --------------------------------------------------------------------------------

def test_a_limit_stops_a_busy_loop_in_a_worker_thread():
    assert in_thread(limited_spin, 0.05) == "the time limit of 0.05 s ran out"


def test_a_limit_stops_a_busy_loop_in_a_thread_pool():
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [f.result(GUARD) for f in [pool.submit(limited_spin, 0.05),
                                            pool.submit(limited_spin, 0.08)]]
    assert results == ["the time limit of 0.05 s ran out", "the time limit of 0.08 s ran out"]


def test_a_slow_step_in_a_worker_thread_ends_unknown():
    (d,) = parse_text(SLOW_STEP, "slow.deriv")
    result = in_thread(lambda: check_derivation(d, timeout=0.3, explain=False))
    assert result.steps[0].verdict == UNKNOWN
    assert result.steps[0].reason == "the time limit of 0.3 s ran out"


def test_the_api_from_a_worker_thread_ends_a_slow_step_unknown():
    # as the MCP server's pool and notebook kernels call it: from a thread not the main one
    # (a daemon thread rather than a pool: were the limit not to hold, the test fails at its
    # guard instead of keeping the run from exiting)
    from elbo_sym import api

    report = in_thread(lambda: api.check(SLOW_STEP, numeric=False, timeout=0.3))
    assert [(s.verdict, s.message) for s in report.steps] == [
        ("unknown", "the time limit of 0.3 s ran out")]


# -- a timeout that is swallowed rings again -------------------------------------------------------

def test_a_timeout_swallowed_once_rings_again():
    def swallow_once():
        swallowed = 0
        try:
            with time_limit(0.05):
                try:
                    spin()
                except BaseException:   # noqa: B902 - the swallowing under test
                    swallowed += 1
                spin()
            return "ran to the end", swallowed
        except StepTimeout:
            return "stopped", swallowed

    assert in_thread(swallow_once) == ("stopped", 1)


def test_a_timeout_lost_in_a_gc_callback_rings_again(monkeypatch):
    # gc swallows what its callbacks raise (sys.unraisablehook): a limit that rang there
    # once must still end the block
    unraisable, state = [], {"armed": False, "callback ended": False}
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(u.exc_type))

    def callback(phase, info):
        if phase == "start" and state["armed"] and threading.get_ident() == state["thread"]:
            state["armed"] = False
            spin()                       # the limit runs out here, inside the collection
            state["callback ended"] = True

    def block():
        try:
            with time_limit(0.05):
                state["thread"], state["armed"] = threading.get_ident(), True
                gc.collect()
                spin()
            return "ran to the end"
        except StepTimeout as exc:
            return str(exc)

    gc.callbacks.append(callback)
    try:
        outcome = in_thread(block)
    finally:
        gc.callbacks.remove(callback)
    assert unraisable[:1] == [StepTimeout] and not state["callback ended"]
    assert outcome == "the time limit of 0.05 s ran out"


# -- never after the block -----------------------------------------------------------------------

def _many_blocks(rounds):
    """Blocks that end near their deadline, and blocks that must be stopped; work between
    them outside any limit. (stopped among the endless ones, endless ones, leaked)"""
    import time

    stopped = endless = leaked = 0
    for i in range(rounds):
        try:
            seconds = 0.002
            try:
                with time_limit(seconds):
                    if i % 4 == 0:
                        endless += 1
                        spin()
                    else:   # ends a little before its deadline (or just after)
                        end = time.monotonic() + seconds * (0.7 + 0.1 * (i % 4))
                        while time.monotonic() < end:
                            pass
            except StepTimeout:
                stopped += i % 4 == 0
            spin(20_000)
        except StepTimeout:
            leaked += 1
    for _ in range(20):   # and a while later, still nothing
        try:
            spin(50_000)
            time.sleep(0.002)
        except StepTimeout:
            leaked += 1
    return stopped, endless, leaked


def test_no_timeout_is_delivered_after_its_block():
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_many_blocks, 120) for _ in range(2)]
        results = [in_thread(_many_blocks, 120)] + [f.result(GUARD) for f in futures]
    assert results == [(30, 30, 0)] * 3


def test_no_timeout_is_delivered_after_its_block_when_raises_come_fast(monkeypatch):
    # the watchdog raising as often as it can, and threads switching as often as they can:
    # a block left between the watchdog's test and its raise would show here
    from elbo_sym.checker import limits

    monkeypatch.setattr(limits, "RESEND", 1e-5)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        def blocks():
            stopped = leaked = open_after = 0
            for i in range(3000):
                try:
                    try:
                        with time_limit(2e-5) as limit:
                            spin(i % 2000)
                    except StepTimeout:
                        stopped += 1
                    open_after += not limit.closed
                    spin(5)
                except StepTimeout:
                    leaked += 1
            return stopped > 0, leaked, open_after

        with ThreadPoolExecutor(max_workers=1) as pool:
            other = pool.submit(blocks)
            mine = in_thread(blocks)
            assert [mine, other.result(GUARD)] == [(True, 0, 0)] * 2
    finally:
        sys.setswitchinterval(interval)


# -- nested limits -------------------------------------------------------------------------------

def test_an_inner_limit_that_runs_out_first_is_the_inners():
    def nested():
        outcome = []
        try:
            with time_limit(60):
                try:
                    with time_limit(0.05):
                        spin()
                except StepTimeout as exc:
                    check_time()        # the outer has time left: nothing raised
                    outcome.append(("inner", str(exc)))
                outcome.append(("outer went on", spin(1000)))
        except StepTimeout as exc:
            outcome.append(("outer", str(exc)))
        return outcome

    assert in_thread(nested) == [("inner", "the time limit of 0.05 s ran out"),
                                 ("outer went on", True)]


def test_an_outer_limit_that_runs_out_first_is_not_caught_as_the_inners():
    # the chain's per-step limits sit inside a caller's limit over the whole check: that one
    # running out ends the check, it does not read as one step's timeout
    text = "x\n" + ("= " + "log(" * 150 + "x" + ")" * 150 + "\n") * 3
    (d,) = parse_text(text, "slow.deriv")

    def check_within(seconds):
        try:
            with time_limit(seconds):
                check_derivation(d, timeout=20)
            return "returned"
        except StepTimeout as exc:
            return str(exc)

    assert check_within(0.3) == "the time limit of 0.3 s ran out"
    assert in_thread(check_within, 0.3) == "the time limit of 0.3 s ran out"
