"""Tables derived at fetch time from public files (``cevnsfit data fetch``).

Some registered tables have no public download of their own, but are a deterministic rewrite of
public files.  Their set's registry entry names a *recipe* and its *inputs* (pinned URLs with
SHA-256); :func:`derive` runs the recipe on the verified inputs and writes the tables, which the
caller then verifies against their own registered SHA-256 -- so a derived table is byte for byte
the registered one, or it is refused.

Recipe ``snsflux_chi2_pull_test``: the SNS neutrino flux of the COHERENT CsI 2021 release
(D. Akimov et al., PRL 129, 081801 (2022); projections of the four ``convolved_energy_time_of_*``
histograms of the release's ``snsFlux2D.root``) as written by the public COHERENT analysis code
BarbeauGroup/chi2_pull_test into ``flux/flux_dict.pkl``: a NumPy ``.npy`` file holding a dict of
arrays (1D: energy and time projections, commit 764f2f8; 2D: energy x 125-ns time, commit
de9d4ab).  The dict is read with an unpickler that can build nothing but NumPy arrays and dtypes
(any other object in the file is an error), and only after the file's SHA-256 matched the pinned
one.  The three CSV tables carry the registered comment header, then the numbers in ``%.17g``.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

#: column name in the tables -> key of the flavour in the pickled dict
FLAVOURS = (("nu_e", "nuE"), ("nu_mu", "nuMu"), ("anti_nu_mu", "nuMuBar"), ("anti_nu_e", "nuEBar"))
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArraysOnly(pickle.Unpickler):
    """Unpickler that builds NumPy arrays and dtypes and nothing else."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to build {module}.{name} from a data file")


def read_npy_dict(path: Path) -> dict:
    """The dict stored by ``np.save(file, a_dict)`` (a 0-d object array), read with
    :class:`_ArraysOnly`."""
    raw = Path(path).read_bytes()
    if raw[:6] != b"\x93NUMPY":
        raise ValueError(f"{path}: not a NumPy .npy file")
    major = raw[6]
    hlen, off = (int.from_bytes(raw[8:10], "little"), 10) if major == 1 else (int.from_bytes(raw[8:12], "little"), 12)
    obj = _ArraysOnly(io.BytesIO(raw[off + hlen :])).load()
    if isinstance(obj, np.ndarray) and obj.shape == () and obj.dtype == object:
        obj = obj.item()
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a dict of arrays, got {type(obj).__name__}")
    return obj


def _g(v) -> str:
    return f"{float(v):.17g}"


def _snsflux(inputs: dict[str, Path], headers: dict[str, str]) -> dict[str, bytes]:
    one = read_npy_dict(inputs["1d"])
    two = read_npy_dict(inputs["2d"])
    names = ",".join(col for col, _ in FLAVOURS)
    out = {}

    energy = np.asarray(one["nuE"]["energy"][0])
    rows = [_g(energy[i]) + "," + ",".join(_g(one[k]["energy"][1][i]) for _, k in FLAVOURS) for i in range(len(energy))]
    out["snsflux_energy_1MeV_nu_per_POT.csv"] = [f"E_label_MeV,{names}", *rows]

    edges = np.asarray(one["nuE"]["time"][0])
    rows = [
        f"{_g(edges[i])},{_g(edges[i + 1])}," + ",".join(_g(one[k]["time"][1][i]) for _, k in FLAVOURS)
        for i in range(len(edges) - 1)
    ]
    out["snsflux_time_10ns_fraction.csv"] = [f"t_lo_ns,t_hi_ns,{names}", *rows]

    (t2, e2), _ = two["nuE"]
    rows = [
        f"{_g(t2[i])},{_g(t2[i + 1])},{_g(e2[j])}," + ",".join(_g(two[k][1][i, j]) for _, k in FLAVOURS)
        for i in range(len(t2) - 1)
        for j in range(len(e2))
    ]
    out["snsflux_2d_125ns_1MeV_nu_per_POT.csv"] = [f"t_lo_ns,t_hi_ns,E_label_MeV,{names}", *rows]

    result = {}
    for name, lines in out.items():
        key = next(k for k in headers if k.endswith("/" + name))
        result[key] = (headers[key] + "\n".join(lines) + "\n").encode()
    return result


RECIPES = {"snsflux_chi2_pull_test": _snsflux}


def derive(recipe: str, inputs: dict[str, Path], headers: dict[str, str]) -> dict[str, bytes]:
    """Run ``recipe`` on the downloaded, verified ``inputs`` (name -> file): registered file name ->
    its bytes.  ``headers`` are the registered comment headers of the tables."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown derivation recipe {recipe!r}")
    return RECIPES[recipe](inputs, headers)
