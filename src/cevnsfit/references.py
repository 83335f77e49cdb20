"""What to cite: the package, and the papers and data releases each data set and analysis uses.

The BibTeX of every publication and data release is stored with its data release in the
registry (``cevnsfit/registry/<set>.json``, key ``bibtex``); :func:`experiment_sets` maps an
experiment name used in analysis files (``csi``, ``ar``, ``dresden2``, ...) to the releases it
reads.
"""

from __future__ import annotations

#: releases read by each experiment, for experiment modules that do not (yet) declare ``data_sets``
_FALLBACK_SETS: dict[str, tuple[str, ...]] = {
    "csi": ("coherent_csi_2021",),
    "ar": ("coherent_ar_2020",),
    "dresden2": ("dresden2_2022", "ge_quenching", "reactor_spectra"),
    "csi2017": ("coherent_csi_2017",),
    "xenonnt_8b": ("xenonnt_8b", "solar"),
    "xenonnt_er": ("xenonnt_er_sr0", "solar"),
}


def experiment_sets(name: str) -> tuple[str, ...]:
    """The data releases (registry sets) read by experiment ``name``; KeyError if unknown."""
    from . import experiments

    info = getattr(experiments, "info", None)
    if info is not None and name in getattr(experiments, "NAMES", ()):
        declared = getattr(info(name), "data_sets", None)
        if declared:
            return tuple(declared)
    if name in _FALLBACK_SETS:
        return _FALLBACK_SETS[name]
    raise KeyError(name)
