"""cevnsfit: CEvNS and neutrino-electron scattering with neutrino electromagnetic properties.

    import cevnsfit as cf
    cf.load("csi").predict(mu_e=10.0).plot()
    cf.Analysis(data=["csi", "ar"]).limit("r2_ee").intervals

The Python API (:func:`load`, :class:`Analysis`, the result objects) is imported on first use,
so that ``import cevnsfit`` and the command line start fast.
"""

__version__ = "0.1.0"

_API = ("load", "Analysis", "Data", "Result", "LimitResult", "ContourResult", "FitResult", "ScanResult",
        "Prediction", "from_dict")
__all__ = ["__version__", *_API]


def __getattr__(name):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'cevnsfit' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API))
