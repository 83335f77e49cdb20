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


def package_bibtex() -> str:
    """BibTeX of cevnsfit itself (the same data as CITATION.cff), with the running version."""
    from . import __version__

    return (
        "@software{cevnsfit,\n"
        '    author = "{cevnsfit developers}",\n'
        '    title = "{cevnsfit: coherent elastic neutrino-nucleus and neutrino-electron scattering '
        'predictions and fits}",\n'
        f'    version = "{__version__}",\n'
        '    note = "Python package; cite the experiments\' papers and data releases too (cevnsfit cite ANALYSIS)"\n'
        "}"
    )


def release_bibtex(sets) -> list[str]:
    """BibTeX entries of the given data releases (registry sets), each entry once, in order."""
    from . import data

    out: list[str] = []
    for s in sets:
        for entry in data.sets()[s].get("bibtex", []):
            if entry not in out:
                out.append(entry)
    return out


def analysis_sets(target: str) -> tuple[str, list[str]]:
    """What ``target`` names -> (a label, the data releases it uses).

    ``target`` is a shipped analysis (its name, e.g. ``r2_coherent``), an analysis file (path to
    YAML), an experiment (``csi``, ``dresden2``, ...), a data release (``coherent_ar_2020``) or
    ``all``.  ValueError with the allowed names otherwise."""
    from pathlib import Path

    from . import config, data

    if target == "all":
        return "all data releases", list(data.sets())
    if target in data.sets():
        return f"data release {target}", [target]
    try:
        return f"data set {target}", list(experiment_sets(target))
    except KeyError:
        pass
    shipped = {p.stem: p for p in config.shipped()}
    path = shipped.get(target) or (Path(target) if target.endswith((".yaml", ".yml")) else None)
    if path is None:
        raise ValueError(
            f"unknown analysis, data set or release {target!r}; shipped analyses: {', '.join(sorted(shipped))}"
        )
    analysis = config.load(path)
    sets: list[str] = []
    for name in analysis.data:
        for s in experiment_sets(name):
            if s not in sets:
                sets.append(s)
    return f"analysis {analysis.name} (data: {', '.join(analysis.data)})", sets


def cite(target: str | None = None) -> str:
    """The BibTeX to cite for ``target`` (see :func:`analysis_sets`; None: the package only)."""
    parts = [package_bibtex()]
    if target is not None:
        label, sets = analysis_sets(target)
        parts.insert(0, f"% cevnsfit and {label}; data releases: {', '.join(sets)}")
        parts += release_bibtex(sets)
    return "\n\n".join(parts) + "\n"
