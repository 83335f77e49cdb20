"""The SNS neutrino flux of the COHERENT CsI 2021 data release, per flavour in arrival time.

The release (PRL 129, 081801 (2022), arXiv:2110.07730 ancillary file ``snsFlux2D.root``) gives
COHERENT's simulated SNS flux of each flavour as a histogram in neutrino energy x arrival time.
It carries the measured proton-on-target (POT) trace, the pion and muon decay times, decays in
flight and the energy-time correlations.  We read the tables derived from it
(``coherent_csi_2021/snsflux/``):

* ``snsflux_time_10ns_fraction.csv``: the arrival-time profile of each flavour (all energies),
  fraction per 10-ns bin on [0, 15) us, each normalised to 1;
* ``snsflux_energy_1MeV_nu_per_POT.csv``: the energy projection, nu per POT per 1-MeV bin, the
  label being the bin *centre* (the pi-DAR line falls in the bin labelled 30);
* ``snsflux_2d_125ns_1MeV_nu_per_POT.csv``: the joint table in 125-ns x 1-MeV cells.

t = 0 is the origin of the histogram, not the detector's t_rec: a timing-offset nuisance relates
the two.  The CsI expectation uses the analytic pi-DAR *energy* spectra
(:mod:`cevnsfit.sources.sns`; the table's 1-MeV bins would put the prompt line at 30.0 instead of
29.79 MeV, +4.7 % prompt events) with these *time* profiles; their energy-time correlation moves
the CsI prediction by about 0.2 of 337 events, so each flavour's time profile is taken
independent of energy.

Interpolation: the cumulative distribution C_k(t) of flavour k is known exactly at the 10-ns
bin edges; between them it is interpolated with a cubic spline (twice continuously
differentiable; zero slope at t = 0, where the table starts 0.5 us before the pulse, and the
not-a-knot condition at 15 us).  The arrival-time density p_k = C_k' is then continuous and
smooth, and so are the derivatives of a time-bin probability with respect to a timing offset dt,
-(p_k(t_hi - dt) - p_k(t_lo - dt)), and their own derivatives (what a Gauss-Newton profiler
needs; a piecewise-linear CDF would make them jump at every 10-ns knot).  The spline keeps the
CDF monotone: its density is nowhere below -3e-11 per us (nu_e, in the first 10 ns), checked
in the tests.  Below 0 C_k = 0, above 15 us C_k = 1.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .. import data

TIME_FILE = "coherent_csi_2021/snsflux/snsflux_time_10ns_fraction.csv"
ENERGY_FILE = "coherent_csi_2021/snsflux/snsflux_energy_1MeV_nu_per_POT.csv"
TABLE_2D_FILE = "coherent_csi_2021/snsflux/snsflux_2d_125ns_1MeV_nu_per_POT.csv"
#: column names of the tables -> species names of this package
COLUMNS = {"nu_e": "nu_e", "nu_mu": "nu_mu", "anti_nu_mu": "nubar_mu", "anti_nu_e": "nubar_e"}
SPECIES = ("nu_mu", "nu_e", "nubar_mu")  # the three pi-DAR species (nubar_e is ~1e-3 of nu_e)

__all__ = ["SPECIES", "ReleaseTimeProfile", "energy_table", "table_2d", "time_table"]


def _read(name: str) -> tuple[list[str], np.ndarray]:
    lines = [ln for ln in data.path(name).read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    header = [h.strip() for h in lines[0].split(",")]
    try:
        arr = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])
    except ValueError:
        raise data.DataError(f"{name}: non-numeric entry") from None
    if arr.ndim != 2 or arr.shape[1] != len(header):
        raise data.DataError(f"{name}: rows do not match the header {header}")
    return header, arr


@cache
def time_table() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(bin edges [us] (1501,), {species: fraction per bin (1500,)}) of the 10-ns time profiles."""
    header, arr = _read(TIME_FILE)
    lo, hi = arr[:, 0] / 1e3, arr[:, 1] / 1e3
    if not (np.allclose(lo[1:], hi[:-1]) and np.all(hi > lo)):
        raise data.DataError(f"{TIME_FILE}: time bins are not contiguous")
    edges = np.append(lo, hi[-1])
    out = {COLUMNS[h]: arr[:, i] for i, h in enumerate(header) if h in COLUMNS}
    for s, v in out.items():
        if np.any(v < 0) or abs(v.sum() - 1.0) > 1e-6:
            raise data.DataError(f"{TIME_FILE}: the {s} profile is not a normalised distribution")
    return edges, out


@cache
def energy_table() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(bin centres [MeV], {species: nu per POT per 1-MeV bin}) of the energy projection."""
    header, arr = _read(ENERGY_FILE)
    return arr[:, 0], {COLUMNS[h]: arr[:, i] for i, h in enumerate(header) if h in COLUMNS}


@cache
def table_2d() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(time edges [us], energy bin centres [MeV], {species: nu per POT, shape (n_t, n_E)})."""
    header, arr = _read(TABLE_2D_FILE)
    t_lo = np.unique(arr[:, 0])
    e = np.unique(arr[:, 2])
    n_t, n_e = t_lo.size, e.size
    if arr.shape[0] != n_t * n_e:
        raise data.DataError(f"{TABLE_2D_FILE}: not a full time x energy grid")
    order = np.lexsort((arr[:, 2], arr[:, 0]))
    arr = arr[order]
    edges = np.append(t_lo, arr[-1, 1]) / 1e3
    return edges, e, {COLUMNS[h]: arr[:, i].reshape(n_t, n_e) for i, h in enumerate(header) if h in COLUMNS}


class ReleaseTimeProfile:
    """Arrival-time distributions of the release's flux, one per species (``kinds`` = species
    names), with t = 0 at the histogram origin; see the module docstring for the interpolation.

    ``cdf(t, kind)`` and ``pdf(t, kind)`` [1/us] accept any array of times [us]."""

    def __init__(self, species=SPECIES):
        from scipy.interpolate import CubicSpline

        edges, frac = time_table()
        self.kinds = tuple(species)
        self.t_max = float(edges[-1])
        self._cdf = {}
        self._pdf = {}
        for s in self.kinds:
            if s not in frac:
                raise ValueError(f"no time profile for {s!r}; the release has {', '.join(frac)}")
            c = np.concatenate([[0.0], np.cumsum(frac[s])])
            c /= c[-1]
            f = CubicSpline(edges, c, bc_type=((1, 0.0), "not-a-knot"), extrapolate=False)
            self._cdf[s] = f
            self._pdf[s] = f.derivative()

    @staticmethod
    def kind_of(species: str) -> str:
        """Every species has its own arrival-time distribution."""
        return species

    def cdf(self, t, kind: str) -> np.ndarray:
        t = np.asarray(t, float)
        inside = np.clip(t, 0.0, self.t_max)
        return np.where(t <= 0.0, 0.0, np.where(t >= self.t_max, 1.0, self._cdf[kind](inside)))

    def pdf(self, t, kind: str) -> np.ndarray:
        t = np.asarray(t, float)
        inside = np.clip(t, 0.0, self.t_max)
        return np.where((t < 0.0) | (t > self.t_max), 0.0, self._pdf[kind](inside))

    def mean(self, kind: str) -> float:
        """Mean arrival time [us] of ``kind`` (from the 10-ns table: bin centres x fractions)."""
        edges, frac = time_table()
        return float(np.sum(0.5 * (edges[1:] + edges[:-1]) * frac[kind]))
