"""What the two COHERENT data sets share: the SNS pi-DAR beam exposure and its timing.

Each neutrino species is one template component with its own arrival-time profile (prompt nu_mu,
delayed nu_e and nubar_mu); expected counts in (energy, time) bins are
sum_k E_k(energy) x P_k(time bin), the energy part from the templates and the time part from
the POT trace convolved with the pion (and muon) lifetimes (:mod:`cevnsfit.sources.sns`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..detectors.response import binned_with_efficiency
from ..sources import sns


@dataclass(frozen=True)
class SNSExposure:
    """Beam exposure: neutrinos per flavour per POT ``r``, protons on target, distance [m],
    and the POT-trace Gaussian (mean ``t0``, width ``sigma``, in us)."""

    r: float
    n_pot: float
    distance_m: float
    t0: float
    sigma: float

    @property
    def fluence(self) -> float:
        """Neutrinos per flavour per cm^2 over the whole exposure."""
        return sns.fluence_per_flavour(self.r, self.n_pot, self.distance_m)

    def spectra(self):
        """[prompt nu_mu, delayed nu_e, delayed nubar_mu], each normalised to the fluence."""
        return sns.pion_dar_spectra(self.fluence)

    @staticmethod
    def kinds(spectra) -> tuple[str, ...]:
        return tuple(sns.SPECIES_TIME_KIND[s.species] for s in spectra)

    def time_probabilities(self, edges, offset: float = 0.0, efficiency=None, n_sub: int = 25) -> dict[str, np.ndarray]:
        """Probability for each time kind to be recorded in each bin: int_bin eff(t) p(t) dt,
        with the trace shifted by ``offset`` [us]."""
        out = {}
        for kind in sns.TIME_KINDS:

            def cdf(t, kind=kind):
                return sns.time_cdf(t, kind, self.t0 + offset, self.sigma)[:, None]

            out[kind] = binned_with_efficiency(cdf, edges, efficiency, n_sub=n_sub)[:, 0]
        return out


class PotTraceProfile:
    """Arrival-time distributions of the POT-trace model (:mod:`cevnsfit.sources.sns`): a Gaussian
    proton pulse (mean ``t0``, width ``sigma`` [us]) convolved with the pion lifetime (prompt
    nu_mu) and further with the muon lifetime (delayed nu_e, nubar_mu).  ``kinds`` are "prompt"
    and "delayed"."""

    kinds = sns.TIME_KINDS

    def __init__(self, t0: float, sigma: float):
        self.t0, self.sigma = float(t0), float(sigma)

    @staticmethod
    def kind_of(species: str) -> str:
        return sns.SPECIES_TIME_KIND[species]

    def cdf(self, t, kind: str) -> np.ndarray:
        return sns.time_cdf(t, kind, self.t0, self.sigma)

    def pdf(self, t, kind: str) -> np.ndarray:
        return sns.time_pdf(t, kind, self.t0, self.sigma)


class TimeBinning:
    """Time-bin probabilities of each arrival-time kind as a function of a timing offset dt (the
    distribution arrives later by dt): int_bin eff(t) p(t - dt) dt, with the sub-bin grid and
    efficiency precomputed.

    ``profile`` gives the arrival-time distributions: an object with ``kinds``,
    ``cdf(t, kind)`` and ``pdf(t, kind)`` (t in us, any array shape) -- the POT-trace model
    (:class:`PotTraceProfile`; an :class:`SNSExposure` is accepted for it) or the CsI release's
    SNS flux (:class:`cevnsfit.sources.snsflux.ReleaseTimeProfile`).

    The interface the data sets use (any other timing model provides the same two members):

    ``kinds``
        the arrival-time kinds, in the order of axis 1 below;
    ``batch(offsets) -> (p, dp)``
        for an array of n timing offsets [us], the probability of each kind to be recorded in
        each time bin, shape (n, len(kinds), n_time_bins), and its exact derivative with respect
        to the offset (same shape).

    Calling the object (``timing(offset)`` / ``timing.derivative(offset)``) gives one offset as
    ``{kind: (n_time_bins,)}``; the last offsets are memoised.
    """

    def __init__(self, profile, edges, efficiency=None, n_sub: int | None = None):
        if isinstance(profile, SNSExposure):
            profile = PotTraceProfile(profile.t0, profile.sigma)
        edges = np.asarray(edges, float)
        # without an efficiency the bin probability is an exact CDF difference; with one, the
        # efficiency is taken at the centres of n_sub sub-bins (10: error < 1e-5 for CsI's)
        n_sub = (1 if efficiency is None else 10) if n_sub is None else n_sub
        self.profile = profile
        self.kinds = tuple(profile.kinds)
        self.n_bins = edges.size - 1
        self.n_sub = n_sub
        self.sub = np.concatenate(
            [np.linspace(edges[i], edges[i + 1], n_sub + 1)[:-1] for i in range(self.n_bins)] + [edges[-1:]]
        )
        mid = 0.5 * (self.sub[1:] + self.sub[:-1])
        self.eff = np.ones_like(mid) if efficiency is None else np.asarray(efficiency(mid), float)

    def batch(self, offsets, derivatives: bool = True):
        """``(p, dp)``, each (n, len(kinds), n_time_bins), for n offsets [us]: the binned
        probabilities (sums over sub-bins of CDF differences times the efficiency; a difference
        is clipped at 0, since an interpolated CDF may dip by rounding-sized amounts) and their
        derivatives -(pdf(upper edge - dt) - pdf(lower edge - dt)) (exact: shifting the offset
        moves every sub-bin; 0 where a difference was clipped); ``dp`` is None without
        ``derivatives``."""
        off = np.asarray(offsets, float).reshape(-1)
        if off.size > 1 and off.strides[0] == 0:  # one offset for every point: compute it once
            p, dp = self.batch(off[:1], derivatives)
            shape = (off.size,) + p.shape[1:]
            return np.broadcast_to(p, shape), (None if dp is None else np.broadcast_to(dp, shape))
        key = float(off[0]) if off.size == 1 else None
        memo = self.__dict__.setdefault("_memo_offsets", {})  # a cache: not part of the stored state
        if key is not None:
            hit = memo.get(key)
            if hit is not None and (hit[1] is not None or not derivatives):
                return hit
        n = off.size
        t = self.sub[None, :] - off[:, None]
        p = np.empty((n, len(self.kinds), self.n_bins))
        dp = np.empty_like(p) if derivatives else None
        for j, kind in enumerate(self.kinds):
            c = np.diff(self.profile.cdf(t, kind), axis=1)
            p[:, j] = (np.maximum(c, 0.0) * self.eff).reshape(n, self.n_bins, self.n_sub).sum(axis=2)
            if dp is not None:
                f = -np.diff(self.profile.pdf(t, kind), axis=1)
                dp[:, j] = (np.where(c > 0.0, f, 0.0) * self.eff).reshape(n, self.n_bins, self.n_sub).sum(axis=2)
        if key is not None:
            if len(memo) > 64:
                memo.clear()
            memo[key] = (p, dp)
        return p, dp

    def __call__(self, offset: float = 0.0) -> dict[str, np.ndarray]:
        p = self.batch(offset, derivatives=False)[0][0]
        return dict(zip(self.kinds, p, strict=True))

    def derivative(self, offset: float = 0.0) -> dict[str, np.ndarray]:
        """d(bin probability)/d(offset) per kind at one offset."""
        return dict(zip(self.kinds, self.batch(offset)[1][0], strict=True))

    def per_component(self, kinds, offsets, derivatives: bool = False) -> np.ndarray:
        """Bin probabilities (or, with ``derivatives``, their offset derivatives) of template
        components whose arrival-time kinds are ``kinds``, for an array of offsets:
        shape (n, len(kinds), n_time_bins)."""
        p, dp = self.batch(offsets, derivatives)
        return (dp if derivatives else p)[:, [self.kinds.index(k) for k in kinds]]


def combine_energy_time_batch(energy: np.ndarray, tprob: np.ndarray) -> np.ndarray:
    """Flattened (energy, time) counts sum_k energy_k x tprob_k for many points:
    ``energy`` (n, D, K, n_E) per component, ``tprob`` (n, K, n_T) the time probabilities of each
    component's kind -> (n, D, n_E n_T)."""
    n, D, K, E = energy.shape
    T = tprob.shape[-1]
    if n > 1 and tprob.strides[0] == 0:  # the same time distribution for every point
        return (np.swapaxes(energy, 2, 3).reshape(n * D * E, K) @ tprob[0]).reshape(n, D, E * T)
    out = np.matmul(np.swapaxes(energy, 2, 3), tprob[:, None])  # (n, D, E, T)
    return out.reshape(n, D, E * T)


#: physics parameters the SNS beam (nu_e, nu_mu, nubar_mu) is sensitive to
SNS_SENSITIVE = (
    "sin2w",
    "mu_e",
    "mu_mu",
    "mu_nu",
    "r2_ee",
    "r2_mumu",
    "r2_emu",
    "r2_etau",
    "r2_mutau",
    "q_ee",
    "q_mumu",
    "q_emu",
    "q_etau",
    "q_mutau",
)


def setup_beam(ds, exposure: SNSExposure, elements, mass_kg: float) -> None:
    """Attach the SNS exposure, target, number of molecules, spectra and time kinds to a data set."""
    from ..physics.target import Target

    ds.exposure = exposure
    ds.target = Target(tuple(elements), dict(ds.r_neutron))
    ds.n_molecules = ds.target.molecules(mass_kg)
    ds.spectra = exposure.spectra()
    ds.kinds = exposure.kinds(ds.spectra)
    ds.sensitive_to = SNS_SENSITIVE


def nuclear_quadrature(target, per_decade: int):
    """Recoil quadrature for pi-DAR neutrinos on ``target``, split at every isotope's kinematic end
    points of the prompt line and of the delayed spectra."""
    from ..detectors.response import recoil_quadrature
    from ..physics import cevns

    bps = [float(cevns.t_max(e, iso.mass)) for iso, _ in target.isotopes() for e in (sns.E_PROMPT, sns.E_MAX_DELAYED)]
    return recoil_quadrature(1e-4, max(bps), bps, per_decade=per_decade)


def combine_energy_time(energy: np.ndarray, kinds, tprob: dict[str, np.ndarray]) -> np.ndarray:
    """Flattened (energy, time) counts from per-component energy counts (n_comp, n_E) and the
    time probabilities of each component's kind."""
    out: np.ndarray | float = 0.0
    for k, kind in enumerate(kinds):
        out = out + np.outer(energy[k], tprob[kind])
    return np.ravel(out)
