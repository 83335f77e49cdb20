"""Every bad input of the command line gets a one-line message and a non-zero exit (run as a
user would, in a subprocess)."""

import os
import subprocess
import sys

import pytest


def cli(*args, env=None, timeout=300):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "cevnsfit.cli", *args], capture_output=True, text=True, env=e, timeout=timeout
    )


def one_line_error(r, *needles):
    assert r.returncode != 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "╭" not in r.stderr, r.stderr[-2000:]
    lines = [ln for ln in r.stderr.splitlines() if ln.strip().startswith("error:")]
    assert lines, r.stderr
    for n in needles:
        assert n in r.stderr, (n, r.stderr)


def test_version():
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("cevnsfit ")


def test_run_exits_nonzero_when_a_fit_fails_and_draws_no_plot(tmp_path, data_available):
    f = tmp_path / "bad.yaml"
    f.write_text("name: mu_mu_from_reactor\ndata: [dresden2]\nlimits:\n  - {param: mu_mu}\n")
    out = tmp_path / "out"
    r = cli("run", str(f), "--out", str(out), "--quick")
    assert r.returncode == 1
    assert "not measured" in r.stderr and "FAILED" in (r.stdout + r.stderr)
    assert not list((out / "plots").glob("*mu_mu*")) if (out / "plots").exists() else True


def test_no_data_names_the_data_set_s_own_file(tmp_path):
    r = cli("predict", "csi", env={"CEVNSFIT_DATA": str(tmp_path), "CEVNSFIT_CACHE": str(tmp_path / "c")})
    one_line_error(r, "coherent_csi_2021/")
    assert "coherent_ar" not in r.stderr and "dresden2" not in r.stderr.split("It comes from")[0]


def test_info_exits_nonzero_when_verification_fails(tmp_path):
    r = cli("info", env={"CEVNSFIT_DATA": str(tmp_path)})
    assert r.returncode == 1 and "verified" in r.stdout


def test_negative_modulus_range_refused_or_clipped(data_available):
    one_line_error(cli("limit", "--data", "dresden2", "--param", "mu_e", "--range=-5,-1"), "modulus")
    r = cli("limit", "--data", "dresden2", "--param", "mu_e", "--range=-5,3", "--points", "15", "--json")
    assert r.returncode == 0, r.stderr
    import json

    d = json.loads(r.stdout)
    assert d["intervals"][0][0] == 0.0 and min(d["scan"]["grid"]) == 0.0
    assert any("clipped at 0" in w for w in d["warnings"]) and "clipped at 0" in r.stderr


def test_non_utf8_analysis_file(tmp_path):
    f = tmp_path / "latin1.yaml"
    f.write_bytes("name: caf\xe9\ndata: [csi]\nlimits: [{param: mu_e}]\n".encode("latin-1"))
    one_line_error(cli("run", str(f), "--out", str(tmp_path / "o")), "not UTF-8")


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "--data", "dresden2", "--param", "mu_e=0:3:3", "--backend", "serial", "--out", "{blocked}/scan"],
        ["data", "install", "{data}", "--dest", "{blocked}/data"],
        ["reproduce", "--only", "mu_dresden2_fef_es", "--out", "{blocked}/results"],
        ["--log-file", "{blocked}/log.txt", "couplings"],
        ["predict", "dresden2", "--plot", "{blocked}/p.png"],
    ],
)
def test_unwritable_paths(args, tmp_path, data_available):
    blocked = tmp_path / "a_file"
    blocked.write_text("not a directory")
    data = os.environ["CEVNSFIT_DATA"]
    args = [a.format(blocked=blocked, data=data) for a in args]
    one_line_error(cli(*args), str(blocked))


def test_help_cites_no_internal_files():
    for cmd in ([], ["reproduce"], ["limit"], ["contour"], ["predict"], ["run"], ["scan"], ["data"], ["cache"]):
        r = cli(*cmd, "--help")
        assert r.returncode == 0
        assert "SPEC" not in r.stdout and "SOURCES.md" not in r.stdout, cmd


def test_reproduce_unknown_section():
    one_line_error(cli("reproduce", "--section", "appendix"), "unknown section 'appendix'", "papers, beyond")
    one_line_error(cli("reproduce", "--section", "beyond", "--only", "mu_dresden2"), "no shipped analysis")
