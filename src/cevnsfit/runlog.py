"""Logging, progress and stopping of long runs (the command line's side of running things).

* :func:`setup_logging` -- the ``cevnsfit`` logger: warnings by default, ``-v`` info, ``-vv``
  debug, ``-q`` errors only; ``--log-file`` adds a file with every message at debug level.
* :func:`busy` -- while one fit runs: a spinner with the elapsed time on a terminal, one log line
  at the start and one at the end otherwise (CI logs, ``nohup``).
* :class:`Progress` -- many tasks (analyses, grid chunks): on a terminal a rich display with one
  line per *running* task (its current step) above an overall bar with an ETA; otherwise plain
  one-line-per-event log lines.
* :func:`stoppable` -- SIGTERM is turned into ``KeyboardInterrupt`` (as SIGINT already is), and on
  the way out every child process still alive is terminated (then killed), so that an
  interrupted run leaves no orphaned worker.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from contextlib import contextmanager
from typing import Any

log = logging.getLogger("cevnsfit")
#: progress lines (shown unless -q when no progress display is drawn)
plog = logging.getLogger("cevnsfit.progress")

_state = {"quiet": False, "verbosity": 0}


def setup_logging(verbose: int = 0, quiet: bool = False, log_file=None) -> None:
    """Configure the ``cevnsfit`` logger (stderr, and ``log_file`` when given)."""
    _state["quiet"], _state["verbosity"] = quiet, verbose
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    for h in list(log.handlers):
        log.removeHandler(h)
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(level)
    err.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    log.addHandler(err)
    if log_file is not None:
        fh = logging.FileHandler(log_file)
        fh.setLevel(logging.DEBUG)
        fh.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
        log.addHandler(fh)
    log.setLevel(logging.DEBUG if log_file is not None else level)
    log.propagate = False
    # progress: its own stderr line format, at INFO unless -q (the rich display replaces it on a terminal)
    for h in list(plog.handlers):
        plog.removeHandler(h)
    ph = logging.StreamHandler(sys.stderr)
    ph.setLevel(logging.ERROR if quiet else logging.INFO)
    ph.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    plog.addHandler(ph)
    if log_file is not None:
        plog.addHandler(log.handlers[-1])
    plog.setLevel(logging.DEBUG)
    plog.propagate = False


def interactive() -> bool:
    """Whether progress may be drawn (stderr is a terminal and not ``-q``)."""
    return sys.stderr.isatty() and not _state["quiet"]


def _fmt_s(s: float) -> str:
    s = max(0.0, s)
    return f"{s:.0f} s" if s < 90 else (f"{s / 60:.1f} min" if s < 5400 else f"{s / 3600:.1f} h")


@contextmanager
def busy(text: str, every: float = 10.0):
    """Progress of one long computation (a limit, a contour, a scan, an exclusion curve) while
    the block runs.  Its steps and their grid points are those reported by the fitting code
    (:mod:`cevnsfit.inference.progress`): on a terminal a bar of the current step with its points
    done and an ETA (a spinner with the elapsed time while a step's size is unknown); otherwise
    (CI logs, ``nohup``) a log line when a step starts, one every ``every`` seconds while it runs
    (points done, ETA) and, for a step that lasted that long, one when it ends.  Yields a function
    that sets the current step's points done from outside (``tick(done, total)``)."""
    from .inference.progress import listening

    t0 = time.perf_counter()
    show = StepDisplay(text, every)
    with show, listening(show.report):
        yield show.tick
    plog.info("%s: done in %s", text, _fmt_s(time.perf_counter() - t0))


class StepDisplay:
    """The listener of :func:`busy`: ``report(step, done, total)`` (see there)."""

    #: seconds between two redraws of the bar (the fits report every finished point)
    REDRAW = 0.1

    def __init__(self, text: str, every: float = 10.0, clock=time.perf_counter):
        self.text = text
        self.every = float(every)
        self.clock = clock
        self.step: str | None = None
        self.total: int | None = None
        self.done = 0
        self.t_step = self.t_line = self.t_draw = clock()
        self.logged = False  # a periodic line of the current step was written
        self._rich = None
        self._task: Any = None
        if interactive():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import (
                Progress as RP,
            )

            self._rich = RP(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
                console=Console(stderr=True),
            )
            self._task = self._rich.add_task(text, total=None)
        else:
            plog.info("%s ...", text)

    def __enter__(self):
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *exc):
        if self._rich is not None:
            self._rich.stop()
        return False

    def eta(self) -> float | None:
        """Seconds left in the current step, from its rate so far."""
        if not self.total or self.done <= 0:
            return None
        return (self.clock() - self.t_step) / self.done * (self.total - self.done)

    def _line(self) -> str:
        if self.total is None:
            return f"{self.text}: {self.step} ..."
        eta = self.eta()
        return f"{self.text}: {self.step}: {self.done}/{self.total}" + (
            f", ETA {_fmt_s(eta)}" if eta is not None and self.done < self.total else ""
        )

    def report(self, step: str, done: int, total: int | None) -> None:
        now = self.clock()
        new = step != self.step or total != self.total or done < self.done
        if new:
            self.step, self.total, self.done, self.t_step, self.t_line = step, total, done, now, now
            if self._rich is not None:
                self._rich.reset(self._task, total=total, completed=done, description=f"{self.text}: {step}")
                self.t_draw = now
            else:
                plog.info("%s", self._line())
                self.logged = False
            return
        self.done = done
        finished = total is not None and done >= total
        if self._rich is not None:
            if finished or now - self.t_draw >= self.REDRAW:
                self._rich.update(self._task, completed=done)
                self.t_draw = now
        elif (finished and (self.logged or now - self.t_step >= self.every)) or (
            not finished and now - self.t_line >= self.every
        ):
            # one line per step, a line every ``every`` seconds while it runs, and its end if it was long
            plog.info("%s", self._line())
            self.t_line = now
            self.logged = True

    def tick(self, done: int, total: int | None = None) -> None:
        """Set the points done of the current step (``total``: and its size)."""
        self.report(self.step or self.text, done, self.total if total is None else total)


class Progress:
    """Progress of ``total`` units of work split in named tasks.

    ``start(name, steps)``, ``step(name, text)``, ``finish(name, units, note)``; ``skip(name, units)``
    for work reused from an earlier run.  On a terminal: one line per running task and an overall
    bar with the ETA (from the rate of the work done in this run); otherwise one log line per event.
    """

    #: seconds between two plain log lines of :meth:`detail` for one task
    DETAIL_EVERY = 10.0

    def __init__(self, total: float, what: str = "analyses"):
        self.total = float(total)
        self.what = what
        self.done = 0.0
        self.done_here = 0.0
        self.t0 = time.perf_counter()
        self.running: dict[str, Any] = {}
        self._detail_t: dict[str, float] = {}
        self._rich = None
        if interactive():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import (
                Progress as RP,
            )

            self._rich = RP(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                transient=False,
                redirect_stdout=False,
                redirect_stderr=False,
                console=Console(stderr=True),
            )
            self._overall = self._rich.add_task(f"[bold]{what}", total=self.total)

    def __enter__(self):
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *exc):
        if self._rich is not None:
            self._rich.stop()
        return False

    def eta(self) -> float | None:
        if self.done_here <= 0:
            return None
        rate = self.done_here / (time.perf_counter() - self.t0)
        return (self.total - self.done) / rate if rate > 0 else None

    def _line(self) -> str:
        eta = self.eta()
        return f"[{self.done:.0f}/{self.total:.0f} {self.what}" + (f", ETA {_fmt_s(eta)}]" if eta is not None else "]")

    def skip(self, name: str, units: float = 1.0, note: str = "reused") -> None:
        self.done += units
        if self._rich is not None:
            self._rich.update(self._overall, completed=self.done)
        self._say(logging.INFO, "%s: %s %s", name, note, self._line())

    def _say(self, level, *args):
        """A progress line: to the log file always, to stderr only without the rich display."""
        if self._rich is None:
            plog.log(level, *args)
        else:
            log.debug(*args)

    def start(self, name: str, steps: int = 1) -> None:
        if self._rich is not None:
            self.running[name] = self._rich.add_task(f"  {name}", total=max(steps, 1))
        self._say(logging.INFO, "%s: started (%d step%s) %s", name, steps, "" if steps == 1 else "s", self._line())

    def step(self, name: str, text: str, advance: float = 0.0) -> None:
        if self._rich is not None and name in self.running:
            self._rich.update(self.running[name], description=f"  {name}: {text}", advance=advance)
        self._say(logging.INFO, "%s: %s", name, text)

    def detail(self, name: str, text: str) -> None:
        """Where a running task is inside its step (e.g. the points of a scan): shown on its line
        of the display; without one, logged at most every :attr:`DETAIL_EVERY` seconds per task."""
        if self._rich is not None:
            if name in self.running:
                self._rich.update(self.running[name], description=f"  {name}: {text}")
            return
        now = time.perf_counter()
        if now - self._detail_t.get(name, -1e9) >= self.DETAIL_EVERY:
            self._detail_t[name] = now
            plog.info("%s: %s", name, text)

    def finish(self, name: str, units: float = 1.0, note: str = "finished") -> None:
        self.done += units
        self.done_here += units
        if self._rich is not None:
            tid = self.running.pop(name, None)
            if tid is not None:
                self._rich.remove_task(tid)
            self._rich.update(self._overall, completed=self.done)
            self._rich.console.print(f"  {note}: {name}")
        self._say(logging.INFO, "%s: %s %s", name, note, self._line())


def kill_children(timeout: float = 3.0) -> int:
    """Terminate every descendant process still alive (then kill those that do not exit within
    ``timeout`` seconds); returns how many there were."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency
        return 0
    try:
        kids = psutil.Process(os.getpid()).children(recursive=True)
    except psutil.Error:
        return 0

    def tracker(p):  # multiprocessing's resource tracker exits with us; killing it only adds noise
        try:
            return any("resource_tracker" in part for part in p.cmdline())
        except psutil.Error:
            return True

    kids = [k for k in kids if not tracker(k)]
    for k in kids:
        try:
            k.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(kids, timeout=timeout)
    for k in alive:
        try:
            k.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=timeout)
    return len(kids)


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM (SIGINT raises KeyboardInterrupt itself)."""


@contextmanager
def stoppable():
    """While the block runs, SIGINT and SIGTERM first stop every child process (worker pools,
    whatever their back-end: a pool would otherwise wait for its running tasks) and then raise
    :class:`Interrupted` (a ``KeyboardInterrupt``) in the main thread, so that the caller keeps
    what is finished and exits; no worker is orphaned."""

    def on_signal(signum, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up
        n = kill_children()
        if n:
            log.info("stopped %d worker process(es)", n)
        raise Interrupted(f"signal {signum}")

    olds = {}
    if _main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            olds[sig] = signal.signal(sig, on_signal)
    try:
        yield
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        kill_children()
        raise
    finally:
        for sig, old in olds.items():
            signal.signal(sig, old)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


@contextmanager
def sigint_ignored():
    """SIGINT ignored while the block runs (in the main thread): processes started inside inherit
    the ignored disposition from their first instruction, so a Ctrl-C sent to the process group
    while they are still importing cannot print their tracebacks; the parent stops them."""
    if not _main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def ignore_sigint() -> None:
    """Worker-process initialiser: leave SIGINT to the parent, which stops the workers itself
    (otherwise Ctrl-C -- sent to the whole process group -- prints a traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
