"""The template cache stores arrays + JSON, never pickles, and refuses to run anything it reads."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from cevnsfit import cache, experiments, state
from cevnsfit.cli import app
from cevnsfit.experiments.base import DataSet
from cevnsfit.physics.parameters import Params


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    experiments.load.cache_clear()
    yield tmp_path / "cache"
    experiments.load.cache_clear()


@pytest.mark.parametrize("name,opts", [("csi", {}), ("ar", {"ar_grid": "3d"}), ("dresden2", {"qf": "lindhard"})])
def test_state_round_trip_gives_identical_predictions(name, opts, data_available):
    ds = experiments.load(name, **opts)
    desc, arrays = ds.to_state()
    json.dumps(desc)  # plain JSON
    back = DataSet.from_state(json.loads(json.dumps(desc)), state.read_npz(state.npz_bytes(arrays)))
    assert type(back) is type(ds) and back is not ds
    p = Params.sm().with_(mu_e=4.0, r2_ee=-3.0)
    nuis = {k: v + 0.02 for k, v in ds.nuisance_defaults().items()}
    assert np.array_equal(ds.expected(p, nuis), back.expected(p, nuis))
    assert ds.chi2(p, nuis) == back.chi2(p, nuis)


def test_cache_entries_are_npz_and_json(tmp_cache, data_available):
    a = experiments.load("dresden2")
    experiments.load.cache_clear()
    b = experiments.load("dresden2")
    assert a is not b and np.array_equal(a.expected(Params()), b.expected(Params()))
    assert len(list(tmp_cache.glob("*.npz"))) == 1 and len(list(tmp_cache.glob("*.json"))) == 1
    assert not list(tmp_cache.glob("*.pkl"))
    head = json.loads(next(tmp_cache.glob("*.json")).read_text())
    assert head["kind"] == "dataset" and head["args"]["name"] == "dresden2" and "version" in head
    with np.load(next(tmp_cache.glob("*.npz")), allow_pickle=False) as z:  # readable without pickle
        assert len(z.files) > 5


def test_crafted_entry_runs_no_code_and_is_rebuilt(tmp_cache, tmp_path, data_available):
    experiments.load("dresden2")
    meta = next(tmp_cache.glob("*.json"))
    head = json.loads(meta.read_text())
    marker = tmp_path / "pwned"
    # a description naming a class outside the package (and a callable) must be refused
    head["state"]["root"] = {"$obj": "os:system", "$id": 0, "attrs": {"x": f"touch {marker}"}}
    meta.write_text(json.dumps(head))
    with pytest.raises(state.StateError, match="outside cevnsfit"):
        state.decode(head["state"], {})
    experiments.load.cache_clear()
    ds = experiments.load("dresden2")  # refused entry -> rebuilt, not executed
    assert type(ds).__name__ == "Dresden2" and not marker.exists()
    # an npz holding a pickled object array is refused by the reader
    bad = tmp_path / "bad.npz"
    np.savez(bad, a=np.array([object()], dtype=object))
    with pytest.raises(ValueError):
        state.read_npz(bad)


def test_functions_are_not_stored():
    with pytest.raises(state.StateError):
        state.encode({"f": lambda x: x})


def test_cache_info_and_clear_commands(tmp_cache, data_available):
    runner = CliRunner()
    experiments.load("dresden2")
    r = runner.invoke(app, ["cache", "info", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["entries"] == 1 and d["bytes"] > 0 and d["directory"] == str(tmp_cache)
    r = runner.invoke(app, ["cache", "info"])
    assert "1 entries" in r.output and "dresden2" in r.output
    r = runner.invoke(app, ["cache", "clear"])
    assert r.exit_code == 0 and "removed 1 cache entry" in r.output
    assert not list(tmp_cache.glob("*.npz"))
