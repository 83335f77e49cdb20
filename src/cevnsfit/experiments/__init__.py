"""The data sets: one module each, registered here by name.

:func:`load` builds a data set with its model choices; ``qf``, ``flux``, ``lindhard_k`` and
``peaks`` (the Ge electron-capture peak shapes) concern the reactor experiment only (COHERENT uses its own quenching and the SNS beam) and are ignored by the others.
"""

from __future__ import annotations

from functools import lru_cache

from ..physics.cevns import Options

NAMES = ("csi", "ar", "dresden2")
DESCRIPTIONS = {
    "csi": "COHERENT CsI[Na] 2021 (PRL 129, 081801)",
    "ar": "COHERENT CENNS-10 LAr 2020, analysis A (PRL 126, 012002)",
    "dresden2": "Dresden-II reactor Ge (PRL 129, 211802)",
}
#: ES on by default where SPEC section 7 says (CsI and Ge; off for Ar, removed by the F90 cut)
DEFAULT_ES = {"csi": True, "ar": False, "dresden2": True}


def check_name(name: str) -> str:
    if name not in NAMES:
        raise ValueError(f"unknown data set {name!r}; allowed: {', '.join(NAMES)}")
    return name


def parse_list(text: str) -> list[str]:
    """'csi,ar' -> ['csi', 'ar'] with validation."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise ValueError(f"no data set given; allowed: {', '.join(NAMES)}")
    for n in names:
        check_name(n)
    if len(set(names)) != len(names):
        raise ValueError(f"data set listed twice in {text!r}")
    return names


@lru_cache(maxsize=32)
def load(name: str, qf: str = "fef", flux: str = "hmve", es: bool | None = None,
         momentum_dependent: bool = False, form_factor: str = "helm", ar_grid: str = "2d",
         lindhard_k: float | None = None, peaks: str = "fitted"):
    """Build (and memoise) data set ``name`` with the given model choices.

    Built data sets are also cached on disk (:mod:`cevnsfit.cache`), keyed by the arguments, the
    package's source code and the data registry, so a change of any input rebuilds them."""
    check_name(name)
    from .. import cache

    key = dict(name=name, qf=qf, flux=flux, es=es, momentum_dependent=momentum_dependent,
               form_factor=form_factor, ar_grid=ar_grid, lindhard_k=lindhard_k,
               peaks=peaks)
    return cache.cached("dataset", key, lambda: _build(**key))


def _build(name: str, qf: str, flux: str, es, momentum_dependent: bool, form_factor: str, ar_grid: str,
           lindhard_k, peaks):
    opts = Options(form_factor=form_factor, momentum_dependent=momentum_dependent)
    es = DEFAULT_ES[name] if es is None else es
    if name == "csi":
        from .csi import CsI2021
        return CsI2021(opts=opts, es=es)
    if name == "ar":
        from .ar import Ar2020
        return Ar2020(opts=opts, es=es, grid=ar_grid)
    from .dresden2 import Dresden2
    return Dresden2(qf=qf, flux=flux, es=es, opts=opts, lindhard_k=lindhard_k, peaks=peaks)
