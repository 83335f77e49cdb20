"""cevnsfit: CEvNS and neutrino-electron scattering with neutrino electromagnetic properties.

    import cevnsfit as cf
    cf.load("csi").predict(mu_e=10.0).plot()
    cf.Analysis(data=["csi", "ar"]).limit("r2_ee").intervals

The Python API (:func:`load`, :class:`Analysis`, the result objects) is imported on first use,
so that ``import cevnsfit`` and the command line start fast.
"""


def _version() -> str:
    """The version: written from the git tag by setuptools-scm at install (``_version.py``), else the
    installed distribution's metadata, else a placeholder for an uninstalled source tree."""
    try:
        from ._version import version

        return version
    except ImportError:
        pass
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _dist_version

    try:
        return _dist_version("cevnsfit")
    except PackageNotFoundError:
        return "0+unknown"


#: the package version (from the git tag; computed on first use: reading the installed
#: distribution's metadata costs ~0.1 s that the command line's start-up need not pay)
__version__: str

_API = (
    "load",
    "Analysis",
    "Data",
    "Result",
    "LimitResult",
    "ContourResult",
    "FCContourResult",
    "PosteriorResult",
    "FitResult",
    "ScanResult",
    "Prediction",
    "from_dict",
)
#: the package's own public name; the API names above are documented in :mod:`cevnsfit.api`
__all__ = ["__version__"]


def __getattr__(name):
    if name == "__version__":  # computed on first use: importlib.metadata costs ~0.1 s
        v = globals()["__version__"] = _version()
        return v
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'cevnsfit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API) | {"__version__"})
