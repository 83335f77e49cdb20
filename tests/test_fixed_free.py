"""Which physics parameters float: ``fixed``/``free`` in analysis files (file-wide and per entry),
``--fix NAME[=VALUE]`` / ``--free NAME`` on the command line, the Python API and grid scans."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from cevnsfit.cli import app, parse_fix_free
from cevnsfit.config import ConfigError, parse
from cevnsfit.inference.analysis import Setup
from cevnsfit.inference.distributed import GridSpec
from cevnsfit.physics.parameters import Params

runner = CliRunner()
SM = Params.sm()

FILE = """
name: radii
data: [csi]
fixed: {mu_mu: 0}
limits:
  - {param: r2_ee, points: 31, fixed: {r2_mumu: sm}}
  - {param: r2_mumu, points: 31, fixed: {r2_ee: -2.5}, free: [mu_mu]}
contours:
  - {params: [r2_ee, r2_mumu], points: 7}
"""


def test_file_and_entry_choices_merge():
    a = parse(FILE)
    first, second = a.fixed_free(a.limits[0]), a.fixed_free(a.limits[1])
    assert first == {"fixed": {"mu_mu": 0.0, "r2_mumu": "sm"}, "free": []}
    # the entry frees mu_mu, which the file fixes: the entry wins
    assert second == {"fixed": {"r2_ee": -2.5}, "free": ["mu_mu"]}
    assert a.fixed_free(a.contours[0]) == {"fixed": {"mu_mu": 0.0}, "free": []}


@pytest.mark.parametrize(
    "text,msg",
    [
        ("fixed: {r2_xx: sm}", "unknown parameter 'r2_xx'"),
        ("free: [mu_e]\nfixed: {mu_e: 1}", "mu_e both fixed and free"),
        ("fixed: {r2_ee: sm}", "r2_ee is scanned by this entry and cannot be fixed"),
        ("fixed: {r2_mumu: large}", "fixed"),
    ],
)
def test_bad_choices_are_clear_errors(text, msg):
    with pytest.raises(ConfigError, match=msg):
        parse(f"name: x\ndata: [csi]\n{text}\nlimits:\n  - {{param: r2_ee}}\n")


def test_cli_parsing():
    assert parse_fix_free(["r2_mumu", "mu_e=2.5"], ["q_ee"]) == ({"r2_mumu": "sm", "mu_e": "2.5"}, ["q_ee"])
    for fix, free, msg in (
        (["nope"], None, "not a physics parameter"),
        (None, ["nope"], "not a physics parameter"),
        (["mu_e"], ["mu_e"], "both fixed"),
        (["mu_e=abc"], None, "number or 'sm'"),
    ):
        with pytest.raises(ValueError, match=msg):
            parse_fix_free(fix, free)


def test_fix_on_the_command_line_equals_the_analysis_file(tmp_path, data_available):
    """--fix r2_mumu gives the interval of an analysis file with fixed: {r2_mumu: sm}."""
    r = runner.invoke(
        app, ["limit", "--data", "csi", "--param", "r2_ee", "--fix", "r2_mumu", "--points", "31", "--json"]
    )
    assert r.exit_code == 0, r.output
    cli = json.loads(r.stdout)
    assert cli["profiled"] == [] and cli["options"]["fixed"] == {"r2_mumu": pytest.approx(SM.r2_mumu)}
    f = tmp_path / "a.yaml"
    f.write_text("name: fixed_mumu\ndata: [csi]\nlimits:\n  - {param: r2_ee, points: 31, fixed: {r2_mumu: sm}}\n")
    r = runner.invoke(app, ["run", str(f), "--out", str(tmp_path / "out"), "--json"])
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout)[0]
    np.testing.assert_allclose(row["intervals"], cli["intervals"], rtol=1e-9)
    np.testing.assert_allclose(row["expected_intervals"], cli["expected_intervals"], rtol=1e-9)
    assert row["fixed"] == {"r2_mumu": pytest.approx(SM.r2_mumu)}
    # and profiling r2_mumu instead (the default) widens the interval
    r = runner.invoke(app, ["limit", "--data", "csi", "--param", "r2_ee", "--points", "31", "--no-expected", "--json"])
    profiled = json.loads(r.stdout)
    assert profiled["profiled"] == ["r2_mumu"]
    assert profiled["intervals"][-1][1] > cli["intervals"][-1][1]


def test_free_adds_a_parameter(data_available):
    r = runner.invoke(
        app,
        [
            "limit",
            "--data",
            "dresden2",
            "--param",
            "mu_e",
            "--free",
            "r2_ee",
            "--points",
            "15",
            "--no-expected",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["profiled"] == ["r2_ee"] and "expected_intervals" not in d
    r = runner.invoke(app, ["limit", "--data", "dresden2", "--param", "mu_e", "--free", "mu_mu"])
    assert r.exit_code != 0 and "not measured" in r.output


def test_grid_scan_keeps_fixed_values(data_available):
    setup = Setup(("csi",))
    spec = GridSpec.from_ranges(setup, {"r2_ee": (-5, 5, 3)}, fixed={"r2_mumu": 3.0})
    assert spec.profiled == () and spec.fixed == (("r2_mumu", 3.0),)
    assert GridSpec.from_dict(spec.to_dict()) == spec
    assert GridSpec.from_ranges(setup, {"r2_ee": (-5, 5, 3)}).profiled == ("r2_mumu",)
    assert (
        spec.fingerprint() != GridSpec.from_ranges(setup, {"r2_ee": (-5, 5, 3)}, fixed={"r2_mumu": 2.0}).fingerprint()
    )
    with pytest.raises(ValueError, match="scanned"):
        GridSpec.from_ranges(setup, {"r2_ee": (-5, 5, 3)}, fixed={"r2_ee": 1.0})


def test_shipped_analyses_follow_the_papers_convention_with_all_profiled_twins():
    """Where the data measure both diagonal parameters of a family, a shipped analysis quotes each
    with the other at its SM value (the reference papers' convention, said in its description) and
    has a twin ``<name>_allprofiled`` with the same limits, every parameter of the family profiled."""
    from cevnsfit.config import load, shipped

    analyses = {a.name: a for a in map(load, shipped())}
    pairs = {
        "r2_ee": "r2_mumu",
        "r2_mumu": "r2_ee",
        "q_ee": "q_mumu",
        "q_mumu": "q_ee",
        "mu_e": "mu_mu",
        "mu_mu": "mu_e",
    }
    checked = 0
    for name, a in analyses.items():
        if (
            name.endswith("_allprofiled")
            or name.startswith("csi_alone_")
            or not ({"csi", "ar"} & set(a.data))
            or a.section != "papers"
        ):  # analyses beyond the papers choose their own convention
            continue
        diag = [s for s in a.limits if s.param in pairs]
        if not diag:
            continue
        assert "Convention of the reference papers" in a.description, name
        twin = analyses[name + "_allprofiled"]
        assert [s.param for s in twin.limits] == [s.param for s in diag]
        assert twin.data == a.data and twin.model == a.model
        for s, t in zip(diag, twin.limits, strict=True):
            assert a.fixed_free(s)["fixed"] == {pairs[s.param]: "sm"}, (name, s.param)
            assert t.fixed == {} and t.points == s.points
        checked += 1
    assert checked == 12
