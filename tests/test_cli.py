"""The command line: info, couplings."""

import json

import pytest
from typer.testing import CliRunner

from cevnsfit.cli import app

runner = CliRunner()


def test_help():
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0 and "couplings" in r.output


def test_info(data_available):
    r = runner.invoke(app, ["info"])
    assert r.exit_code == 0
    assert "verified" in r.output and "data directory" in r.output


def test_couplings_json():
    r = runner.invoke(app, ["couplings", "--json"])
    assert r.exit_code == 0
    d = json.loads(r.output)
    assert d["gVp_e"] == pytest.approx(0.0381, abs=2e-4)
    assert d["gVp_mu"] == pytest.approx(0.0299, abs=2e-4)
    assert d["gVp_tau"] == pytest.approx(0.0255, abs=2e-4)
    assert d["gVn"] == pytest.approx(-0.5117, abs=2e-4)
    assert d["r2_sm_e"] == pytest.approx(-0.8275, abs=2e-4)
    assert d["r2_sm_mu"] == pytest.approx(-0.4805, abs=2e-4)
    assert d["r2_sm_tau"] == pytest.approx(-0.2969, abs=2e-4)
    assert "r2_eff_e" not in d


def test_couplings_with_q():
    r = runner.invoke(app, ["couplings", "--json", "--q", "20"])
    d = json.loads(r.output)
    assert d["r2_eff_e"] == pytest.approx(-0.6430, abs=2e-3)
    assert d["r2_eff_mu"] == pytest.approx(-0.4803, abs=2e-3)


def test_couplings_bad_input():
    r = runner.invoke(app, ["couplings", "--q", "-1"])
    assert r.exit_code != 0 and "non-negative" in r.output
    r = runner.invoke(app, ["couplings", "--sin2w", "1.5"])
    assert r.exit_code != 0 and "sin2w" in r.output


def test_scan_command(tmp_path, data_available):
    r = runner.invoke(
        app,
        [
            "scan",
            "--data",
            "dresden2",
            "--param",
            "r2_ee=-70:20:8",
            "--param",
            "r2_emu=0:30:4",
            "--transitions",
            "--backend",
            "serial",
            "--out",
            str(tmp_path),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.output.strip().splitlines()[-1])
    assert d["params"] == ["r2_ee", "r2_emu"] and d["intervals"]["r2_ee"]
    assert (tmp_path / "result.json").exists()
    r = runner.invoke(app, ["scan", "--data", "dresden2", "--param", "r2_ee=-70:20"])
    assert r.exit_code != 0 and "NAME=LOW:HIGH:N" in r.output
