"""Plot of the coverage study (scripts/coverage_study.py output) for docs/statistics.md.

python scripts/coverage_plot.py coverage.json docs/img/coverage.png
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main(src, out):
    rows = json.load(open(src))
    cases = list(dict.fromkeys(r["case"] for r in rows))
    fig, axs = plt.subplots(1, len(cases), figsize=(4.0 * len(cases), 3.6), squeeze=False)
    for ax, case in zip(axs[0], cases, strict=True):
        rs = [r for r in rows if r["case"] == case]
        x = [r["truth"] for r in rs]
        for key, style, label in (("wilks", "C3s--", "Wilks"), ("fc", "C0o-", "Feldman-Cousins")):
            pts = [(xx, r[key]["coverage"], r[key]["error"]) for xx, r in zip(x, rs, strict=True) if key in r]
            if pts:
                ax.errorbar(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    yerr=[p[2] for p in pts],
                    fmt=style,
                    capsize=3,
                    label=label,
                )
        ax.axhline(0.9, color="k", lw=0.8)
        ax.axhspan(0.88, 0.92, color="k", alpha=0.07)
        low = min(r[k]["coverage"] - r[k]["error"] for r in rs for k in ("wilks", "fc") if k in r)
        ax.set_ylim(min(0.75, low - 0.02), 1.0)
        ax.set_xlabel(f"true {rs[0]['param']}")
        ax.set_title(case, fontsize=9)
    axs[0][0].set_ylabel("coverage of the 90 % CL interval")
    axs[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


if __name__ == "__main__":
    main(*sys.argv[1:3])
