"""A ``map`` that runs a sampler's proposals in lock-step, so that their likelihood calls are
evaluated together, one batched call per round.

Nested sampling (dynesty) evolves each new live point with a short Markov chain (a random walk
or slice sampler) that calls the likelihood one point at a time.  With dynesty's documented
parallel interface -- ``pool=`` any object with a ``map(func, iterable)``, and ``queue_size``
proposals evolved per call -- :class:`LockstepPool` runs the ``queue_size`` evolutions in
threads.  Every likelihood call blocks its thread; when every thread is blocked or finished,
the pending points are evaluated in *one* call of the vectorised likelihood (in the order of
the proposals, not of the threads' timing) and the threads resume.  The sampler's algorithms are
dynesty's own and unchanged; only the evaluation is batched.

Reproducible: each proposal has its own random stream (dynesty seeds every queued evolution),
and which points form a round depends only on those streams, never on thread scheduling, so a
run is determined by its seed (and the queue size).  A queue of Q > 1 proposals is statistically
equivalent to dynesty's serial run -- it is how dynesty runs on any pool -- but not draw-for-draw
identical to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np


class LockstepPool:
    """``pool=`` for dynesty: ``map`` evaluates its calls' likelihood requests in batches.

    ``batch_loglike(X)`` takes an (n, ndim) array and returns n log-likelihoods; :meth:`loglike`
    is the one-point likelihood to hand to the sampler (outside :meth:`map` it evaluates at
    once).  ``size`` is the queue size dynesty reads from the pool.  ``n_rounds`` and
    ``n_points`` count the batched evaluations and the points in them.
    """

    def __init__(self, batch_loglike: Callable[[np.ndarray], np.ndarray], size: int):
        self.batch_loglike = batch_loglike
        self.size = int(size)
        self._cv = threading.Condition()
        self._local = threading.local()
        self._pending: dict = {}
        self._results: dict = {}
        self._events: dict = {}
        self._running = 0
        self.n_rounds = 0
        self.n_points = 0

    def loglike(self, x) -> float:
        slot = getattr(self._local, "slot", None)
        if slot is None:  # not inside map: evaluate alone
            self.n_rounds += 1
            self.n_points += 1
            return float(self.batch_loglike(np.asarray(x, float)[None, :])[0])
        ev = self._events[slot]
        with self._cv:
            self._pending[slot] = np.array(x, float)
            self._running -= 1
            if self._running == 0:
                self._cv.notify()
        ev.wait()
        ev.clear()
        return self._results.pop(slot)

    def map(self, func, iterable) -> list:
        items = list(iterable)
        n = len(items)
        out: list = [None] * n
        errors: list = []

        def work(i):
            self._local.slot = i
            try:
                out[i] = func(items[i])
            except BaseException as e:  # handed to the caller below
                errors.append((i, e))
            finally:
                with self._cv:
                    self._running -= 1
                    if self._running == 0:
                        self._cv.notify()

        self._events = {i: threading.Event() for i in range(n)}
        self._running = n
        threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        with self._cv:
            while True:
                while self._running > 0:
                    self._cv.wait()
                if not self._pending:
                    break
                slots = sorted(self._pending)
                X = np.stack([self._pending.pop(s) for s in slots])
                try:
                    L = np.asarray(self.batch_loglike(X), float)
                except BaseException as e:  # let every thread finish, then raise
                    errors.append((-1, e))
                    L = np.full(len(slots), -np.inf)
                self.n_rounds += 1
                self.n_points += len(slots)
                for s, v in zip(slots, L, strict=True):
                    self._results[s] = float(v)
                self._running += len(slots)
                for s in slots:
                    self._events[s].set()
        for t in threads:
            t.join()
        if errors:
            raise min(errors, key=lambda e: e[0])[1]
        return out
