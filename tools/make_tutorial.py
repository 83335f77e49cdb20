"""Write examples/tutorial.ipynb (the tutorial notebook) from the cells below.

    python tools/make_tutorial.py

The notebook is committed without outputs; CI executes it (tests/test_tutorial.py).
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    (
        "md",
        """# cevnsfit tutorial: from a predicted spectrum to a contour

This notebook drives cevnsfit from Python, the way the command line does: load a data set,
predict its spectrum at any physics point, fit, set limits and draw contours. It needs the public
data releases (set `CEVNSFIT_DATA`, or `cevnsfit data fetch`; see the data page, `docs/data.md`)
and takes well under a minute.

Units are fixed per parameter: magnetic moments `mu_e`, `mu_mu` in $10^{-10}\\,\\mu_B$; charge
radii `r2_ee`, `r2_mumu`, ... in $10^{-32}$ cm² (the diagonal ones are the *total* radius, SM value
by default); millicharges `q_ee`, ... in units of $e$; `sin2w` is $\\sin^2\\theta_W$. Every formula
and its reference is on the physics page (`docs/physics.md`).""",
    ),
    (
        "code",
        """import matplotlib.pyplot as plt
import numpy as np

import cevnsfit as cf

print(cf.__version__)""",
    ),
    (
        "md",
        """## 1. The Standard-Model couplings

$g_V^p(\\nu_\\ell)$ contains the radiative corrections (Erler & Su 2013) and the SM charge radius of
$\\nu_\\ell$, hence depends on the flavour; $g_V^n$ does not.""",
    ),
    (
        "code",
        """from cevnsfit.physics import charge_radius, couplings

for f in ("e", "mu", "tau"):
    print(f"g_V^p(nu_{f:3s}) = {couplings.gvp(f):+.5f}   <r^2>_SM = {charge_radius.r2_sm(f):+.4f} x 1e-32 cm^2")
print(f"g_V^n          = {couplings.gvn():+.5f}")""",
    ),
    (
        "md",
        """## 2. A data set and its prediction

`cf.load` builds a data set with its model choices (Dresden-II: quenching `qf`, reactor spectrum
`flux`; `cevnsfit options` lists them). `.predict(**params)` returns a `Prediction`: counts per
bin and component as arrays with their bin edges, the data, and the χ² at that point. Nuisances
without a prior (the Dresden-II background shape) are fitted to the data at that point.""",
    ),
    (
        "code",
        """d2 = cf.load("dresden2")          # Fef quenching, HMVE flux, CEvNS + nu-e scattering
d2""",
    ),
    (
        "code",
        """sm = d2.predict()
bsm = d2.predict(mu_e=5.0)          # |mu_nu_e| = 5e-10 mu_B
print({k: round(v, 1) for k, v in sm.totals.items()}, "chi2", round(sm.chi2, 1))
print({k: round(v, 1) for k, v in bsm.totals.items()}, "chi2", round(bsm.chi2, 1))
print("bins:", sm.components["cevns"].shape, "edges [keVee]:", sm.edges[0][:4], "...")""",
    ),
    ("code", """axes = bsm.plot()                  # returns the Axes: stacked components, data, residual panel"""),
    (
        "md",
        """The magnetic moment adds $\\frac{\\pi\\alpha^2}{m_e^2}\\left(\\frac{1}{T}-\\frac{1}{E_\\nu}\\right)\\mu_\\nu^2$
to CEvNS and to $\\nu$–$e$ scattering; it grows at low recoil energy:""",
    ),
    (
        "code",
        """fig, ax = plt.subplots()
for mu in (0.0, 3.0, 5.0, 8.0):
    p = d2.predict(mu_e=mu, profile=False)
    ax.stairs(p.components["cevns"] + p.components["es"], p.edges[0], label=rf"$|\\mu_{{\\nu_e}}|$ = {mu:g}")
ax.set_yscale("log")
ax.set_xlabel(r"$E_{\\rm ee}$ [keV$_{\\rm ee}$]")
ax.set_ylabel(f"CEvNS + ES [{p.count_unit}]")
ax.legend(title=r"$10^{-10}\\,\\mu_B$");""",
    ),
    ("md", """COHERENT CsI is binned in light yield (PE) and arrival time (μs):"""),
    (
        "code",
        """csi = cf.load("csi")
pc = csi.predict()
print(f"CsI SM CEvNS: {pc.totals['cevns']:.1f} events, observed {pc.totals['observed']:.0f}")
pc.plot();""",
    ),
    (
        "md",
        """## 3. A limit

`cf.Analysis` combines data sets and model choices; `.limit(param)` profiles every nuisance and
the other parameters of the same family the data measure, scans the profiled
$\\Delta\\chi^2$ and returns every allowed interval at $\\Delta\\chi^2 \\le 2.706$ (90 % CL, one
parameter).""",
    ),
    (
        "code",
        """ana = cf.Analysis(data=[d2])
lim = ana.limit("mu_e", cl=0.9, points=31)
lim""",
    ),
    (
        "code",
        """noes = cf.Analysis(data=["dresden2"], model={"es": False}).limit("mu_e", points=31)
print(f"with ES: mu_e < {lim.upper_limit:.2f}, without ES: mu_e < {noes.upper_limit:.2f} [{lim.unit}]")
ax = lim.plot(label="CEvNS + ES")
noes.plot(ax=ax, label="CEvNS only");""",
    ),
    (
        "md",
        """Results are dataclasses: `.intervals`, `.best_fit`, `.warnings`, `.meta` (package version,
git commit, date, options), and they round-trip through JSON:""",
    ),
    (
        "code",
        """text = lim.to_json()
same = cf.LimitResult.from_json(text)
assert same.intervals == lim.intervals
print(lim.meta["cevnsfit"], lim.meta["date"], lim.intervals)""",
    ),
    (
        "md",
        """## 4. A contour

Two parameters, everything else profiled: filled 1σ/2σ/3σ regions and the 90 % CL contour
(2 dof), the best fit and the Standard-Model point. A small grid keeps this quick.""",
    ),
    (
        "code",
        """c = ana.contour("mu_e", "q_ee", points=11, x_range=(0, 3.5), y_range=(-1.5e-11, 1.5e-11))
c.plot()
c.intervals""",
    ),
    (
        "md",
        """## 5. A whole analysis file

The published analyses are YAML files (`cevnsfit schema` gives their JSON Schema);
`cf.Analysis.from_file` reads one, and `cevnsfit reproduce` runs them all (stoppable with Ctrl-C,
resumed on the next run).""",
    ),
    (
        "code",
        """from cevnsfit.config import shipped

path = next(p for p in shipped() if p.name == "sin2w_dresden2_fef_hmve.yaml")
fit = cf.Analysis.from_file(path).fit(["sin2w"])
fit""",
    ),
]


def main() -> Path:
    nb = new_notebook()
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    out = Path(__file__).resolve().parents[1] / "examples" / "tutorial.ipynb"
    nbformat.write(nb, str(out))
    return out


if __name__ == "__main__":
    print(main())
