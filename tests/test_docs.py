"""The documentation site builds with warnings as errors and without network, and its API
reference lists every public name of every public module."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cevnsfit import config, data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="the docs extra (pip install 'cevnsfit[docs]') is part of [test]")
    tmp = tmp_path_factory.mktemp("docs")
    examples = ROOT / "examples"
    if not list(examples.glob("*.ipynb")):
        # no notebook in the repository yet: render the tutorial script as one, so that the
        # notebook rendering is exercised all the same
        jupytext = pytest.importorskip("jupytext")
        examples = tmp / "examples"
        examples.mkdir()
        jupytext.write(jupytext.read(ROOT / "examples" / "tutorial.py"), examples / "tutorial.ipynb")
    closed = "http://127.0.0.1:9"  # any network access fails
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CEVNSFIT_DOCS_EXAMPLES": str(examples),
        "http_proxy": closed,
        "https_proxy": closed,
        "HTTP_PROXY": closed,
        "HTTPS_PROXY": closed,
        "no_proxy": "",
        "NO_MKDOCS_2_WARNING": "1",
    }
    out = tmp / "site"
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "WARNING" not in r.stderr
    return out, examples


def test_every_public_name_is_in_the_api_reference(site):
    site, _ = site
    import mkdocs_hooks as hooks

    modules = hooks.public_modules()
    assert {"cevnsfit.data", "cevnsfit.fetch", "cevnsfit.references", "cevnsfit.config"} <= set(modules)
    index = (site / "api" / "index.html").read_text()
    missing = {}
    for m in modules:
        assert f'href="{m}/"' in index, m
        html = (site / "api" / m / "index.html").read_text()
        ids = set(re.findall(r'id="([^"]+)"', html))
        gone = [n for n in hooks.public_names(m) if f"{m}.{n}" not in ids]
        if gone:
            missing[m] = gone
    assert not missing, f"public names missing from the API reference: {missing}"
    if "cevnsfit.api" in modules:  # the Python API comes first
        assert modules[0] == "cevnsfit.api"


def test_data_and_analysis_pages_are_generated(site):
    site, _ = site
    releases = (site / "data-releases" / "index.html").read_text()
    for name in data.sets():
        assert f'id="{name}"' in releases and f"cevnsfit data fetch {name}" in releases
    assert "10.5281/zenodo.3903810" in releases and "CC-BY-4.0" in releases
    analyses = (site / "analyses" / "index.html").read_text()
    for p in config.shipped():
        assert f'id="{p.stem.lower()}"' in analyses, p.stem
    assert "SPEC" not in analyses


def test_pages_and_tutorial_are_rendered(site):
    site, examples = site
    for page in (ROOT / "docs").glob("*.md"):  # every hand-written page is built
        assert (site / ("" if page.stem == "index" else page.stem) / "index.html").is_file(), page.name
    for page in ("getting-started", "reproduction", "conventions", "analyses", "data-releases"):
        assert (site / page / "index.html").is_file(), page
    notebooks = sorted(examples.glob("*.ipynb"))
    assert notebooks
    for nb in notebooks:
        html = (site / nb.stem / "index.html").read_text()
        assert "jp-Notebook" in html or "jupyter-wrapper" in html  # rendered by mkdocs-jupyter
        assert "cevnsfit" in html
