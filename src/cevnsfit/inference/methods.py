"""One entry point per result type for the three statistical methods.

``wilks``
    the profile likelihood with Wilks' theorem (Delta chi^2 <= 2.71 for one parameter at 90 %,
    4.61 for two): :mod:`cevnsfit.inference.analysis`;
``fc``
    Feldman-Cousins from pseudo-experiments, nuisances profiled in each:
    :mod:`cevnsfit.inference.feldman_cousins`;
``bayes``
    posterior credible intervals (HPD and equal-tailed) with a stated prior:
    :mod:`cevnsfit.inference.bayes`.

:func:`limit` and :func:`contour` take the method and its settings and return the JSON-able
result dict of that method (every one has ``method``, ``intervals`` or a region, ``warnings``
and ``seconds``); the command line, analysis files and the Python API call these.
"""

from __future__ import annotations

METHODS = ("wilks", "fc", "bayes")


def _check(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")


def limit(
    setup,
    param: str,
    method: str = "wilks",
    cl: float = 0.9,
    n_points: int | None = None,
    scan_range=None,
    toys: int = 1000,
    seed: int = 0,
    prior: str = "flat",
    nlive: int = 500,
    backend: str = "serial",
    n_workers: int | None = None,
    scheduler: str | None = None,
    out_dir=None,
    progress=None,
    refine: bool = True,
    fixed=None,
    free=None,
    smooth: bool = True,
) -> dict:
    """1D interval(s) of ``param`` by ``method``.  ``n_points``: scanned values (Wilks, default 61)
    or tested values (FC, default 40); ``toys``, ``seed``, back-end and ``out_dir`` (resumable
    pseudo-experiments) and ``smooth`` (critical values regularised across tested values): FC;
    ``prior``, ``nlive`` (live points) and ``seed``: Bayes.  ``fixed``
    ({name: value or "sm"}) and ``free`` (names) choose which physics parameters float, the same
    way for every method (:func:`cevnsfit.inference.analysis.physics_parameters`)."""
    _check(method)
    if method == "wilks":
        from .feldman_cousins import is_nuisance, wilks_scan_limit

        if is_nuisance(param):
            res = wilks_scan_limit(setup, param, cl, n_points or 61, scan_range, fixed=fixed, free=free)
        else:
            from .analysis import limit as wilks_limit

            res = wilks_limit(
                setup,
                param,
                cl=cl,
                n_points=n_points or 61,
                scan_range=scan_range,
                refine=refine,
                fixed=fixed,
                free=free,
            )
        res.setdefault("method", "wilks")
        return res
    if method == "fc":
        from .feldman_cousins import fc_limit

        return fc_limit(
            setup,
            param,
            cl=cl,
            n_toys=toys,
            n_points=n_points or 40,
            scan_range=scan_range,
            seed=seed,
            backend=backend,
            n_workers=n_workers,
            scheduler=scheduler,
            out_dir=out_dir,
            progress=progress,
            fixed=fixed,
            free=free,
            smooth=smooth,
        )
    from .bayes import bayes_limit

    return bayes_limit(
        setup, param, cl=cl, prior=prior, scan_range=scan_range, nlive=nlive, seed=seed, fixed=fixed, free=free
    )


def contour(
    setup,
    px: str,
    py: str,
    method: str = "wilks",
    cl: float = 0.9,
    n: int | None = None,
    x_range=None,
    y_range=None,
    toys: int = 500,
    seed: int = 0,
    prior: str = "flat",
    nlive: int = 500,
    backend: str = "serial",
    n_workers: int | None = None,
    scheduler: str | None = None,
    out_dir=None,
    progress=None,
    fixed=None,
    free=None,
    smooth: bool = True,
) -> dict:
    """2D region of (px, py) by ``method`` (FC on an n x n grid, default 15; Bayes: HPD region);
    ``fixed``/``free`` as in :func:`limit`."""
    _check(method)
    if method == "wilks":
        from .analysis import contour as wilks_contour

        res = wilks_contour(setup, px, py, x_range=x_range, y_range=y_range, n=n or 25, fixed=fixed, free=free)
        res.setdefault("method", "wilks")
        return res
    if method == "fc":
        from .feldman_cousins import fc_contour

        return fc_contour(
            setup,
            px,
            py,
            cl=cl,
            n_toys=toys,
            n=n or 15,
            x_range=x_range,
            y_range=y_range,
            seed=seed,
            backend=backend,
            n_workers=n_workers,
            scheduler=scheduler,
            out_dir=out_dir,
            progress=progress,
            fixed=fixed,
            free=free,
            smooth=smooth,
        )
    from .bayes import bayes_contour

    return bayes_contour(
        setup,
        px,
        py,
        cl=cl,
        prior=prior,
        x_range=x_range,
        y_range=y_range,
        nlive=nlive,
        seed=seed,
        fixed=fixed,
        free=free,
    )
