"""Where the public data releases live, and a registry of their SHA-256.

The data are never shipped with the package.  cevnsfit looks for them in one place:

* the directory named by the environment variable ``CEVNSFIT_DATA`` if it is set, otherwise
* the user data directory ``~/.local/share/cevnsfit/data`` (``$XDG_DATA_HOME/cevnsfit/data``),
  which ``cevnsfit data install SOURCE_DIR`` fills with a verified copy.

Every file the code reads is listed in ``registry.json`` with its SHA-256 and its source.
:func:`path` returns a file's location after checking it exists and (once per process) that
its checksum matches; a missing or altered file raises :class:`DataError` naming the file,
where it was looked for and how to obtain it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

ENV_VAR = "CEVNSFIT_DATA"

HOW_TO_GET = (
    "Point the environment variable CEVNSFIT_DATA at a directory holding the public data releases "
    "(e.g. CEVNSFIT_DATA=../shared/data), or copy them into the user data directory with "
    "'cevnsfit data install SOURCE_DIR'. See the provenance notes (SOURCES.md) for where each "
    "release comes from."
)


class DataError(RuntimeError):
    """A data file is missing, altered, or the data directory cannot be found."""


@lru_cache(maxsize=1)
def registry() -> dict[str, dict]:
    """The registry: relative path -> {sha256, size, source}."""
    text = resources.files("cevnsfit").joinpath("registry.json").read_text()
    return json.loads(text)["files"]


def user_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "cevnsfit" / "data"


def data_dir() -> Path:
    """The data directory: ``$CEVNSFIT_DATA`` if set, else the user data directory."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return user_data_dir()


def sha256(file: Path) -> str:
    h = hashlib.sha256()
    with open(file, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class FileStatus:
    name: str
    path: Path
    status: str  # "ok", "missing", "altered"
    source: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def check(name: str, root: Path | None = None) -> FileStatus:
    """Check one registered file against its recorded SHA-256."""
    reg = registry()
    if name not in reg:
        raise KeyError(f"{name!r} is not a registered data file")
    root = data_dir() if root is None else Path(root)
    p = root / name
    if not p.is_file():
        return FileStatus(name, p, "missing", reg[name]["source"])
    status = "ok" if sha256(p) == reg[name]["sha256"] else "altered"
    return FileStatus(name, p, status, reg[name]["source"])


def verify(root: Path | None = None) -> list[FileStatus]:
    """Check every registered file; returns one status per file."""
    return [check(n, root) for n in sorted(registry())]


_verified: dict[tuple[str, str], bool] = {}


def path(name: str) -> Path:
    """Location of the registered data file ``name`` (e.g. ``"dresden2_2022/data_release.txt"``).

    Raises :class:`DataError` with the file, the place looked in and how to obtain it when the
    file is missing or its SHA-256 differs from the registry.
    """
    root = data_dir()
    key = (str(root), name)
    st = check(name, root)
    if not st.ok:
        where = f"{ENV_VAR}={os.environ[ENV_VAR]}" if os.environ.get(ENV_VAR) else "the user data directory"
        what = "is missing" if st.status == "missing" else "has been altered (SHA-256 mismatch)"
        raise DataError(
            f"Data file {name} {what}: looked for {st.path} ({where}). "
            f"It comes from: {st.source}. {HOW_TO_GET}"
        )
    _verified[key] = True
    return st.path


def install(source_dir: Path, dest: Path | None = None) -> list[FileStatus]:
    """Copy every registered file from ``source_dir`` into ``dest`` (default: the user data dir),
    verifying each checksum first.  Raises :class:`DataError` if any source file is missing or
    altered (nothing is copied in that case)."""
    source_dir = Path(source_dir)
    statuses = verify(source_dir)
    bad = [s for s in statuses if not s.ok]
    if bad:
        lines = ", ".join(f"{s.name} ({s.status})" for s in bad)
        raise DataError(f"Cannot install from {source_dir}: {lines}. {HOW_TO_GET}")
    dest = user_data_dir() if dest is None else Path(dest)
    for s in statuses:
        target = dest / s.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(s.path, target)
    return verify(dest)
