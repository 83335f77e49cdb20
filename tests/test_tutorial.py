"""The tutorial notebook (examples/tutorial.ipynb) runs top to bottom in a fresh kernel."""

import os
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "tutorial.ipynb"


def test_tutorial_notebook_runs(tmp_path, data_available):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    src = str(Path(__file__).resolve().parents[1] / "src")
    env_path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    os.environ["PYTHONPATH"] = env_path  # the kernel imports this checkout
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    texts = []
    images = 0
    for c in nb.cells:
        for o in c.get("outputs", []):
            assert o.get("output_type") != "error", o
            texts.append(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")))
            images += "image/png" in o.get("data", {})
    out = "\n".join(texts)
    assert "with ES: mu_e <" in out and "CsI SM CEvNS" in out
    assert images >= 5  # prediction, spectra, CsI, profile, contour
