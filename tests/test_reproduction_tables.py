"""The reproduction record's generated tables: the reactor-normalisation table and the comparison
of the two CsI arrival-time models (written by ``cevnsfit reproduce``)."""

import json

import numpy as np
import pytest

from cevnsfit.report import csi_timing, reactor_table
from cevnsfit.sources import reactor


@pytest.fixture(scope="module")
def rows(data_available):
    return reactor_table.flux_rows()


def test_reactor_table_normalisations(rows):
    by = {(r["model"], r["normalisation"]): r for r in rows}
    assert len(by) == 9
    rate = reactor.fission_flux()
    for m in reactor.MODELS:
        assert by[(m, "total")]["total_flux"] == pytest.approx(4.8e13, rel=1e-9)
        assert by[(m, "power")]["total_flux"] == pytest.approx(rate * by[(m, "power")]["nu_per_fission"], rel=1e-9)
        # events scale with the flux above threshold: the same spectrum shape in every normalisation
        ratio = by[(m, "power")]["cevns_events"] / by[(m, "total")]["cevns_events"]
        assert ratio == pytest.approx(by[(m, "power")]["flux_above_1.8"] / by[(m, "total")]["flux_above_1.8"], rel=1e-6)
        assert 0 < by[(m, "total")]["cevns_p"] < 0.05
    # hmve has no capture part: "fission" is "total"
    assert by[("hmve", "fission")]["cevns_events"] == pytest.approx(by[("hmve", "total")]["cevns_events"], rel=1e-12)
    # above 2 MeV hmve and hmk are the same Huber-Mueller spectrum: with the physical normalisation
    # they predict the same CEvNS counts (the reactor nu-bar below 2 MeV cannot make Ge recoils
    # above threshold); under "total" hmve is scaled up by the nu-bar it lacks
    assert by[("hmve", "power")]["cevns_events"] == pytest.approx(by[("hmk", "power")]["cevns_events"], rel=0.005)
    assert by[("hmve", "total")]["cevns_events"] / by[("hmk", "total")]["cevns_events"] == pytest.approx(1.30, abs=0.01)


def test_reactor_table_with_limits(rows, tmp_path, monkeypatch):
    monkeypatch.setattr(reactor_table, "flux_rows", lambda qf="fef": [dict(r) for r in rows])
    fake = [
        {
            "name": "reactor_norm_hmk_power",
            "limits": [
                {
                    "param": "mu_e",
                    "cl": 0.9,
                    "intervals": [[0.0, 3.3]],
                    "best_fit": 0.0,
                    "expected_intervals": [[0, 3.2]],
                },
                {"param": "sin2w", "cl": 0.6827, "intervals": [[0.2, 0.32]], "best_fit": 0.27},
            ],
        }
    ]
    written = reactor_table.write(fake, tmp_path)
    assert len(written) == 2
    md = (tmp_path / "reactor_normalisation.md").read_text()
    assert "< 3.3 (3.2)" in md and "0.270 [0.2, 0.32]" in md and md.count("\n") == 11
    table = json.loads((tmp_path / "reactor_normalisation.json").read_text())
    assert next(r for r in table if r["model"] == "hmk" and r["normalisation"] == "power")["r2_ee"] is None
    assert reactor_table.write([{"name": "other", "limits": []}], tmp_path / "none") == []


def test_csi_timing_comparison(data_available):
    c = csi_timing.comparison()
    for t in csi_timing.TIMINGS:
        assert len(c[t]["prompt"]) == len(c["time_edges_us"]) - 1
        # the data pin the offset to a few hundredths of a microsecond around its prior-free value
        assert abs(c[t]["t_offset"] - c[t]["t_offset_data"]) < 0.03
    # same energy spectra, prompt neutrinos all inside the 6 us window in both models; the
    # delayed ones differ by the tail beyond 6 us
    assert np.sum(c["release"]["prompt"]) == pytest.approx(np.sum(c["model"]["prompt"]), rel=0.01)
    assert np.sum(c["release"]["delayed"]) == pytest.approx(np.sum(c["model"]["delayed"]), rel=0.03)
    # both put the prompt peak in the 0.5-0.625 us bin once their offsets are fitted
    for t in csi_timing.TIMINGS:
        assert int(np.argmax(c[t]["prompt"])) == 4
    assert "| total |" in csi_timing.markdown(c)
