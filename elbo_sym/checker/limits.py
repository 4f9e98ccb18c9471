"""A per-step time limit: a step that takes too long ends ``unknown`` instead of hanging.

``with time_limit(seconds):`` bounds the block in whatever thread runs it (the main thread, a
worker of the MCP server's pool, a notebook kernel, a library caller's thread), and keeps
ringing until the block is left. Use ``time_limit()`` directly in a ``with`` statement.

How it rings. A single daemon watchdog thread keeps the deadlines of every thread's open
limits. Once a limit is past its deadline, the watchdog raises ``StepTimeout`` in the limited
thread asynchronously (CPython's ``PyThreadState_SetAsyncExc``), and raises it again every
``RESEND`` seconds for as long as the block is still running: a raise that some code swallows
(a garbage-collection callback, a ``__del__``, a weakref callback, a C callback, a stray
``except BaseException``) is followed by another one, so a limit is never lost. Besides,
``check_time()`` raises at once when this thread's limit has run out: a cheap cooperative check
for natural loop points, and the only mechanism where the interpreter offers no asynchronous
exceptions (a Python other than CPython).

Never after the block. An asynchronous exception is only delivered where the interpreter
checks for pending events (a call, a loop's back edge, the return of a C call), so the two ends
of a block are made with none of those checks between the block's edge and the state the
watchdog reads:

- ``time_limit()`` registers the limit as its very last operation (a plain store), and the
  ``with`` statement enters it at once: nothing is registered that is not entered;
- the limit is an ``io.IOBase`` whose ``__exit__`` and ``close`` run entirely in C, so leaving
  the block marks it ``closed`` before any such check can run; and the watchdog tests
  ``closed`` and raises with no such check between the test and the raise (it holds the GIL
  throughout). A raise sent while the block runs is delivered at the limited thread's next
  check, which is still inside the block; once the block is closed no raise is sent.

This rests on CPython's GIL; ``tests/test_trust_limits.py`` hammers both ends with raises
sent as fast as the watchdog can.

Nesting: each thread keeps a stack of open limits; the earliest deadline rings first. An
outer limit's timeout is the outer's: it is raised as a ``StepTimeout`` that also passes
through an inner limit's ``with``, and whoever catches a ``StepTimeout`` for an inner limit
calls ``check_time()`` in its handler, which raises again at once when an enclosing limit ran
out too (``chain``, ``explain`` and ``mutation`` do).

What it cannot interrupt: one long call into C that holds the GIL (huge integer arithmetic,
which the normal form refuses up front) is interrupted when it returns; a blocking call (a
sleep, a lock) when it returns. A generator suspended inside a limited block leaves the limit
running in its thread.
"""
import io
import os
import threading
import time
import weakref
from contextlib import nullcontext
from typing import ContextManager, Dict, Optional, Tuple

RESEND = 0.025   # seconds between two raises while a limit that ran out is still running
GRACE = 0.5      # seconds the watchdog looks again every RESEND after a new limit woke it
LINGER = 30.0    # seconds the watchdog waits, idle, for a new limit before it stops


class StepTimeout(BaseException):
    """The step's time limit ran out. A BaseException, as KeyboardInterrupt is: the
    ``except Exception`` of sympy or of a best-effort part (the numeric judge) must not
    swallow it and run on past the limit; whoever set the limit catches it by name."""

    def __init__(self, *args: object) -> None:
        # raised by the watchdog, the class is called with no arguments: say which limit
        super().__init__(*(args or (_overdue_message(),)))


def _async_raiser():
    """CPython's PyThreadState_SetAsyncExc(thread id, exception class), or None."""
    try:
        import ctypes

        raiser = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except (ImportError, AttributeError):
        return None
    raiser.argtypes = (ctypes.c_ulong, ctypes.py_object)
    raiser.restype = ctypes.c_int
    return raiser


_set_async_exc = _async_raiser()


class _Limit(io.IOBase):
    """One open limit: the ``with`` block's context manager. Entering and leaving are
    ``io.IOBase``'s, in C: leaving sets ``closed`` with no interpreter check before it."""

    seconds: float
    deadline: float

    def message(self) -> str:
        return f"the time limit of {self.seconds:g} s ran out"


class _ThreadLimits:
    """The open limits of one thread, by depth (the order they were entered in)."""

    def __init__(self, ident: int) -> None:
        self.ident = ident
        self.limits: Dict[int, "weakref.ref[_Limit]"] = {}

    def open(self) -> Tuple[Tuple[int, _Limit], ...]:
        """The limits still open, outermost first."""
        found = []
        for depth, ref in sorted(self.limits.items()):
            limit = ref()
            if limit is not None and not limit.closed:
                found.append((depth, limit))
        return tuple(found)

    def next_depth(self) -> int:
        """Where a new limit goes: above the last open one (closed ones above it are gone)."""
        open_limits = self.open()
        depth = open_limits[-1][0] + 1 if open_limits else 0
        for stale in [d for d in self.limits if d >= depth]:
            del self.limits[stale]
        return depth

    def overdue(self, now: float) -> Optional[_Limit]:
        """The outermost open limit past its deadline (its timeout is the one to raise)."""
        for _, limit in self.open():
            if now >= limit.deadline:
                return limit
        return None

    def next_deadline(self) -> Optional[float]:
        deadlines = [limit.deadline for _, limit in self.open()]
        return min(deadlines) if deadlines else None


_local = threading.local()
_threads: Dict[int, "weakref.ref[_ThreadLimits]"] = {}   # every thread's limits, for the watchdog


def _this_thread() -> _ThreadLimits:
    state = getattr(_local, "limits", None)
    if state is None:
        state = _local.limits = _ThreadLimits(threading.get_ident())
        ident = state.ident

        def forget(ref, ident=ident):   # the thread ended: its entry goes unless reused
            if _threads.get(ident) is ref:
                del _threads[ident]

        _threads[ident] = weakref.ref(state, forget)
    return state


def _overdue_message() -> str:
    state = getattr(_local, "limits", None)
    limit = state.overdue(time.monotonic()) if state is not None else None
    return limit.message() if limit is not None else "the time limit ran out"


def check_time() -> None:
    """Raise ``StepTimeout`` if a limit open in this thread has run out (the outermost such)."""
    state = getattr(_local, "limits", None)
    if state is not None and state.limits:
        limit = state.overdue(time.monotonic())
        if limit is not None:
            raise StepTimeout(limit.message())


def time_limit(seconds: Optional[float]) -> ContextManager:
    """A context manager that raises ``StepTimeout`` in its block once ``seconds`` have passed
    (None or not positive: no limit). Use it directly in a ``with`` statement."""
    if not seconds or seconds <= 0:
        return nullcontext()
    state = _this_thread()
    depth = state.next_depth()
    limit = _Limit()
    limit.seconds = seconds
    limit.deadline = time.monotonic() + seconds
    ref = weakref.ref(limit)
    _watchdog.summon()
    # the last operation: a store, then the ``with`` enters the limit (no interpreter check
    # between, so no raise can land between registering the limit and entering its block)
    state.limits[depth] = ref
    return limit


class _Watchdog:
    """The thread that raises ``StepTimeout`` in every thread whose limit ran out. It is woken
    through raw locks only (their ``with`` and ``release`` run in C): a raise landing in a
    thread that wakes it cannot leave one held (a ``threading.Event`` could)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()   # guards ``thread``
        self.bell = threading.Lock()   # released to wake the watchdog, which takes it back
        self.bell.acquire()
        self.thread: Optional[threading.Thread] = None

    def summon(self) -> None:
        """Wake the watchdog (a new limit), starting it if it is not running."""
        if _set_async_exc is None:
            return
        with self.lock:
            try:
                self.bell.release()
            except RuntimeError:   # rung already, not heard yet
                pass
            if self.thread is None:
                self.thread = threading.Thread(target=self.run, name="elbo-check time limits",
                                               daemon=True)
                self.thread.start()

    def run(self) -> None:
        try:
            self.watch()
        finally:   # stopped (idle, or an error): the next limit starts another
            with self.lock:
                if self.thread is threading.current_thread():
                    self.thread = None

    def watch(self) -> None:
        last_wake = last_busy = time.monotonic()
        while True:
            delay = self.ring_overdue()
            now = time.monotonic()
            if delay is not None:
                last_busy = now
            elif now - max(last_wake, last_busy) > LINGER:
                with self.lock:
                    if self.bell.locked():   # not rung: no new limit on its way
                        self.thread = None
                        return
            if now - last_wake < GRACE:
                # woken for a new limit, which may register just after this look: look again
                delay = RESEND if delay is None else min(delay, RESEND)
            elif delay is None:
                delay = GRACE
            if self.bell.acquire(timeout=delay):
                last_wake = time.monotonic()

    def ring_overdue(self) -> Optional[float]:
        """Raise in every thread with an overdue open limit; the seconds until the next
        deadline or raise (None: no limit open)."""
        now, delay = time.monotonic(), None
        for ident, ref in list(_threads.items()):
            state = ref()
            if state is None:
                continue
            limit = state.overdue(now)
            # test ``closed`` and raise with no interpreter check between (see the module
            # docstring): the block cannot be left in between
            if limit is not None and not limit.closed:
                _set_async_exc(ident, StepTimeout)
            upcoming = state.next_deadline()
            if upcoming is not None:
                wait = RESEND if upcoming <= now else upcoming - now
                delay = wait if delay is None else min(delay, wait)
        return delay


_watchdog = _Watchdog()


def _after_fork() -> None:
    """In a forked child only this thread exists, and no watchdog: start afresh."""
    global _watchdog
    _watchdog = _Watchdog()
    mine = threading.get_ident()
    for ident in [i for i in _threads if i != mine]:
        del _threads[ident]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
