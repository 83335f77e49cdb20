"""Progress of long computations (profile scans, 2D grids, exclusion curves, grid scans).

The fitting code announces each step of its work as a :class:`Stage` (a name and the number of
units it holds: grid points, masses, fits) and marks the units finished as the batched fits
return them.  Nothing is reported unless a listener is installed with :func:`listening` -- the
command line's progress display, or a callback in a notebook -- so the cost without one is an
attribute test per finished unit, and with one a function call (the listener throttles its own
output).  Listeners and labels are context-local (:mod:`contextvars`)::

    from cevnsfit.inference.progress import listening

    with listening(lambda stage, done, total: print(stage, done, total)):
        cevnsfit.Analysis(["csi"]).limit("r2_ee")

``done``/``total`` count the units of the current stage; ``total`` is ``None`` for a step whose
size is not known in advance (the bracketing of a scan range, the global fit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: the listener: ``callback(stage name, units done, total units or None)``
_listener: ContextVar[Callable[[str, int, int | None], object] | None] = ContextVar(
    "cevnsfit_progress_listener", default=None
)
#: text put before every stage name (e.g. "expected (Asimov): ")
_prefix: ContextVar[str] = ContextVar("cevnsfit_progress_prefix", default="")


@contextmanager
def listening(callback: Callable[[str, int, int | None], object] | None):
    """Send the progress of the computations run inside the block to ``callback(stage, done,
    total)`` (``None``: report nothing)."""
    if callback is not None and not callable(callback):
        raise ValueError("a progress listener must be callable as listener(stage, done, total)")
    token = _listener.set(callback)
    try:
        yield
    finally:
        _listener.reset(token)


@contextmanager
def muted():
    """Report nothing from inside the block (work done for a stage counted by the caller, e.g.
    the many small scans of pseudo-experiments)."""
    with listening(None):
        yield


@contextmanager
def labelled(text: str):
    """Put ``text`` before the names of the stages started inside the block."""
    token = _prefix.set(_prefix.get() + text)
    try:
        yield
    finally:
        _prefix.reset(token)


def active() -> bool:
    """Whether a listener is installed."""
    return _listener.get() is not None


class Stage:
    """One step of a computation: ``total`` units (``None``: unknown).  :meth:`point` marks unit
    ``i`` finished (counted once however often it is fitted again, e.g. by the sweep of another
    amplitude branch), :meth:`advance` adds finished units, :meth:`update` sets their number."""

    __slots__ = ("_cb", "_seen", "done", "name", "total")

    def __init__(self, name: str, total: int | None = None):
        self._cb = _listener.get()
        self.name = _prefix.get() + name
        self.total = None if total is None else int(total)
        self.done = 0
        self._seen: set = set()
        if self._cb is not None:
            self._cb(self.name, 0, self.total)

    def point(self, i) -> None:
        if self._cb is None or i in self._seen:
            return
        self._seen.add(i)
        self.done += 1
        self._cb(self.name, self.done, self.total)

    def advance(self, n: int = 1) -> None:
        if self._cb is None or n <= 0:
            return
        self.done += n
        self._cb(self.name, self.done, self.total)

    def update(self, done: int) -> None:
        if self._cb is None or done == self.done:
            return
        self.done = int(done)
        self._cb(self.name, self.done, self.total)


def counted(chains: Iterable[Iterator], stage: Stage) -> list[Iterator]:
    """The fit chains of :func:`cevnsfit.inference.nuisance.solve`, each advancing ``stage`` by
    one unit when it ends."""
    return [_count(ch, stage) for ch in chains]


def _count(chain: Iterator, stage: Stage):
    yield from chain  # (passes the solver's outcomes through to the chain)
    stage.advance()


__all__ = ["Stage", "active", "counted", "labelled", "listening", "muted"]
