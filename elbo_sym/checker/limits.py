"""A per-step time limit: a step that takes too long ends ``unknown`` instead of hanging.

SIGALRM interrupts pure-Python work (sympy is pure Python); huge integer arithmetic, which it
could not interrupt, is refused up front by the normal form. Where signals are unavailable
(another thread, Windows) the limit is not enforced.
"""
import signal
import threading
from contextlib import contextmanager


class StepTimeout(BaseException):
    """The step's time limit ran out. A BaseException, as KeyboardInterrupt is: the
    ``except Exception`` of sympy or of a best-effort part (the numeric judge) must not
    swallow it and run on past the limit; whoever set the limit catches it by name."""


@contextmanager
def time_limit(seconds):
    usable = (seconds and seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise StepTimeout(f"the time limit of {seconds:g} s ran out")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
