"""Analysis files: validation with key and line in the message, the shipped analyses, `run`."""

import json

import pytest
from typer.testing import CliRunner

from cevnsfit import config
from cevnsfit.cli import app

runner = CliRunner()

GOOD = """\
name: t
description: test
data: [dresden2]
model: {qf: fef, flux: hmve, es: true}
limits:
  - {param: mu_e, points: 15}
"""


def test_parse_good():
    a = config.parse(GOOD)
    assert a.data == ["dresden2"] and a.limits[0].param == "mu_e" and a.model.qf == "fef"
    s = a.setup()
    assert s.data == ("dresden2",) and s.es is True
    assert s.options_of("dresden2") == {
        "qf": "fef",
        "flux": "hmve",
        "peaks": "fitted",
        "lindhard_k": None,
        "zp_model": "universal",
        "reactor_norm": "total",
    }
    from cevnsfit.inference.analysis import Setup

    assert Setup.from_dict(s.to_dict()) == s


@pytest.mark.parametrize(
    "text,needle",
    [
        (GOOD.replace("model:", "modle:"), "line 4: modle: unknown key; allowed keys here: name"),
        (GOOD.replace("mu_e", "mu_x"), "line 6: limits.0.param"),
        (GOOD.replace("[dresden2]", "[xenon]"), "unknown data set 'xenon'; allowed: csi, ar, dresden2"),
        (GOOD.replace("qf: fef", "qf: fe"), "line 4: model.qf"),
        (GOOD.replace("[dresden2]", "[csi]"), "option 'qf' applies to dresden2, which is not among the data sets csi"),
        (GOOD.replace("qf: fef", "qf: fef, colour: red"), "model.colour: unknown key"),
        (GOOD.replace("points: 15", "points: 15, cl: 1.5"), "limits.0.cl"),
        (GOOD.replace("points: 15", "points: 15, range: [3, 1]"), "empty scan range"),
        (GOOD.replace("points: 15", "points: 15, range: [0, .nan]"), "limits.0.range"),
        (GOOD.replace("limits:\n  - {param: mu_e, points: 15}\n", ""), "at least one entry"),
        ("- just a list", "must be a mapping"),
        ("name: [unclosed", "not valid YAML"),
        (
            GOOD.replace("{param: mu_e, points: 15}", "{param: mu_e, pionts: 15}"),
            "limits.0.pionts: unknown key; allowed keys here: param, cl, points, range",
        ),
    ],
)
def test_bad_files_name_key_and_line(text, needle):
    with pytest.raises(config.ConfigError) as e:
        config.parse(text, "f.yaml")
    assert needle in str(e.value)


def test_shipped_analyses_are_valid():
    files = config.shipped()
    assert len(files) >= 25
    names = [config.load(f).name for f in files]
    assert len(set(names)) == len(names)
    fams = {n.split("_")[0] for n in names}
    # cevns: fitted event-rate normalisations; reactor / csi: the comparisons of model choices of the
    # reproduction record (reactor_norm_*: flux normalisations; csi_alone_*: CsI timing x steady state);
    # solar and the new-physics menu (nsi, mediators, rn, sterile): beyond the papers
    assert fams == {"sin2w", "mu", "r2", "q", "cevns", "reactor", "csi", "solar", "nsi", "mediators", "rn", "sterile"}
    assert {
        config.load(f).section
        for f in files
        if config.load(f).name.split("_")[0] in ("solar", "nsi", "mediators", "rn", "sterile")
    } == {"beyond"}


def test_json_schema_published(tmp_path):
    schema = config.json_schema()
    assert schema["type"] == "object" and "data" in schema["properties"]
    r = runner.invoke(app, ["schema"])
    assert r.exit_code == 0 and json.loads(r.output)["title"] == "Analysis"


def test_run_file(tmp_path, data_available):
    f = tmp_path / "a.yaml"
    f.write_text(GOOD)
    out = tmp_path / "out"
    r = runner.invoke(app, ["run", str(f), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output.strip().splitlines()[-1])
    assert rows[0]["param"] == "mu_e" and rows[0]["intervals"][0][0] == 0.0
    assert (out / "results.md").exists()


def test_run_bad_file_and_unwritable_output(tmp_path, data_available):
    f = tmp_path / "a.yaml"
    f.write_text(GOOD.replace("model:", "modle:"))
    r = runner.invoke(app, ["run", str(f)])
    assert r.exit_code != 0 and "modle" in r.output and "line 4" in r.output
    r = runner.invoke(app, ["run", str(tmp_path / "missing.yaml")])
    assert r.exit_code != 0 and "cannot read" in r.output
    f.write_text(GOOD)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = runner.invoke(app, ["run", str(f), "--out", str(blocker / "sub")])
    assert r.exit_code != 0 and "cannot write to output directory" in r.output


def test_published_schema_file_is_current():
    from pathlib import Path

    f = Path(__file__).resolve().parents[1] / "docs" / "analysis.schema.json"
    assert json.loads(f.read_text()) == config.json_schema(), (
        "regenerate with: cevnsfit schema > docs/analysis.schema.json"
    )
