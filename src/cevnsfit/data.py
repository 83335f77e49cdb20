"""Where the public data releases live, and a registry of their SHA-256.

The data are never shipped with the package.  cevnsfit looks for them in one place:

* the directory named by the environment variable ``CEVNSFIT_DATA`` if it is set, otherwise
* the user data directory (platformdirs: ``~/.local/share/cevnsfit/data`` or
  ``$XDG_DATA_HOME/cevnsfit/data`` on Linux, ``~/Library/Application Support/cevnsfit/data`` on
  macOS, ``%LOCALAPPDATA%\\cevnsfit\\data`` on Windows), which ``cevnsfit data fetch`` fills from the
  official sources (:mod:`cevnsfit.fetch`) and ``cevnsfit data install SOURCE_DIR`` from a local copy.

The files are grouped in *sets*, one per public data release (``coherent_csi_2021``,
``dresden2_2022``, ``xenonnt_8b``, ...).  Each set has a registry file
``cevnsfit/registry/<set>.json`` with its title, the publication to cite, its official origin, a
pinned public copy, its licence and the SHA-256 and size of every file (written by
``tools/make_registry.py``).  :func:`path` returns a file's location after checking it exists and
that its checksum matches; a missing or altered file raises :class:`DataError` naming the file,
where it was looked for and where the release comes from.  A data set verifies only the sets it
reads (:func:`verify` with ``sets=``), so one altered file never blocks an unrelated data set.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import quote

ENV_VAR = "CEVNSFIT_DATA"

HOW_TO_GET = (
    "Download them with 'cevnsfit data fetch' (needs internet access), point the environment variable "
    "CEVNSFIT_DATA at a directory holding the public data releases, or copy them into the user data "
    "directory with 'cevnsfit data install SOURCE_DIR'. 'cevnsfit data sets' lists every release with its origin."
)


class DataError(RuntimeError):
    """A data file is missing, altered, or the data directory cannot be found."""


@lru_cache(maxsize=1)
def _registry_files() -> dict[str, Path]:
    """Registry file of every set, by file stem (the set's name), smallest file first."""
    root = Path(str(resources.files("cevnsfit").joinpath("registry")))
    files = [p for p in root.iterdir() if p.name.endswith(".json")]
    return {p.name[:-5]: p for p in sorted(files, key=lambda q: (q.stat().st_size, q.name))}


@cache
def _set_meta(stem: str) -> dict:
    """One set's registry entry, read alone: a command reading one release does not parse the
    others (the XENONnT 8B registry alone lists 7 031 files).  File entries without ``urls`` get
    them from the set's ``url_rules`` (:func:`_expand_urls`)."""
    return _expand_urls(json.loads(_registry_files()[stem].read_text()))


def _expand_urls(meta: dict) -> dict:
    """Give every file entry its download URLs.  A registry lists them per file, or -- for a
    release mirrored file by file from one repository -- once per set as ``url_rules``:
    ``[{"files": "<path prefix>/", "url": "<URL prefix>/"}]``; a file under ``files`` is then
    downloaded from ``url`` + its path below the prefix (percent-encoded), the first matching rule
    winning.  A file matching no rule and listing none has no URL (``data fetch`` says so)."""
    rules = meta.get("url_rules", [])
    for rel, e in meta["files"].items():
        if "urls" not in e:
            e["urls"] = [r["url"] + quote(rel[len(r["files"]) :]) for r in rules if rel.startswith(r["files"])][:1]
    return meta


@lru_cache(maxsize=1)
def sets() -> dict[str, dict]:
    """The data releases: set name -> its registry entry (title, cite, origin, mirror, licence,
    files {relative path: {sha256, size}})."""
    metas = [_set_meta(stem) for stem in sorted(_registry_files())]
    return {meta["set"]: meta for meta in metas}


def _meta_of_set(name: str) -> dict:
    """The registry entry of the set ``name`` (its own file when it is named after the set)."""
    if name in _registry_files():
        meta = _set_meta(name)
        if meta["set"] == name:
            return meta
    return sets()[name]


def entry(name: str) -> dict | None:
    """The registry entry of one file ({sha256, size, set, source}), or None if unregistered.
    Reads the registry of the set named like the file's directory first, then the others
    (smallest first), so that a command reading one release does not parse every registry."""
    head = name.split("/", 1)[0]
    for stem in sorted(_registry_files(), key=lambda st: st != head):
        meta = _set_meta(stem)
        e = meta["files"].get(name)
        if e is not None:
            return {**e, "set": meta["set"], "source": _source(meta)}
    return None


def registered(name: str) -> dict:
    """:func:`entry` of a registered file; KeyError if it is not registered."""
    e = entry(name)
    if e is None:
        raise KeyError(f"{name!r} is not a registered data file")
    return e


def _source(meta: dict) -> str:
    return f"{meta['title']}; cite {meta['cite']}; origin: {meta['origin'] or meta['mirror']}"


@lru_cache(maxsize=1)
def registry() -> dict[str, dict]:
    """Every registered file: relative path -> {sha256, size, set, source}."""
    out = {}
    for name, meta in sets().items():
        source = _source(meta)
        for rel, e in meta["files"].items():
            out[rel] = {**e, "set": name, "source": source}
    return out


def set_of(name: str) -> str:
    """The data release (set) a registered file belongs to."""
    return registered(name)["set"]


def user_data_dir() -> Path:
    """The per-user data directory (platformdirs), used when ``CEVNSFIT_DATA`` is unset."""
    import platformdirs

    return Path(platformdirs.user_data_dir("cevnsfit", appauthor=False)) / "data"


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
    return _check(name, registered(name), data_dir() if root is None else Path(root))


def _check(name: str, e: dict, root: Path) -> FileStatus:
    p = root / name
    if not p.is_file():
        return FileStatus(name, p, "missing", e["source"])
    status = "ok" if sha256(p) == e["sha256"] else "altered"
    return FileStatus(name, p, status, e["source"])


def verify(root: Path | None = None, sets: tuple[str, ...] | list[str] | None = None) -> list[FileStatus]:
    """Check every registered file (or those of the given ``sets``); one status per file."""
    root = data_dir() if root is None else Path(root)
    if sets is not None:
        try:
            metas = [_meta_of_set(s) for s in sets]
        except KeyError:
            unknown = sorted(set(sets) - set(globals()["sets"]()))
            raise KeyError(f"unknown data set(s) {unknown}; registered: {', '.join(globals()['sets']())}") from None
        files = {rel: {**e, "set": m["set"], "source": _source(m)} for m in metas for rel, e in m["files"].items()}
        return [_check(n, files[n], root) for n in sorted(files)]
    reg = registry()
    return [_check(n, reg[n], root) for n in sorted(reg)]


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
            f"Data file {name} {what}: looked for {st.path} ({where}). It comes from: {st.source}. {HOW_TO_GET}"
        )
    _verified[key] = True
    return st.path


def install(source_dir: Path, dest: Path | None = None, sets=None) -> list[FileStatus]:
    """Copy the registered files found in ``source_dir`` (laid out like the data directory) into
    ``dest`` (default: the user data directory), verifying each checksum first; only the given
    ``sets`` if any.  Files absent from ``source_dir`` are skipped, so a file downloaded by hand
    can be installed alone.  Raises :class:`DataError` if a source file is altered or none is
    there (nothing is copied in that case).  Returns the status of the installed files in ``dest``."""
    source_dir = Path(source_dir)
    statuses = verify(source_dir, sets)
    altered = [s for s in statuses if s.status == "altered"]
    present = [s for s in statuses if s.ok]
    if altered or not present:
        lines = (
            ", ".join(f"{s.name} (altered)" for s in altered)
            if altered
            else f"none of the {len(statuses)} registered files is there (all missing)"
        )
        raise DataError(f"Cannot install from {source_dir}: {lines}. {HOW_TO_GET}")
    dest = user_data_dir() if dest is None else Path(dest)
    for s in present:
        target = dest / s.name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".part-{target.name}")
        shutil.copy2(s.path, tmp)
        os.replace(tmp, target)
    return [check(s.name, dest) for s in present]
