"""On-disk cache of built data sets (their templates), keyed by everything they depend on.

The key is a SHA-256 of: the arguments (model choices), the source code of the package (every
``.py`` file) and the SHA-256 of every data file, verified on disk each time (so a missing or
altered file is reported even when cached templates exist).  Changing any of them gives
a new key, so stale templates are never used.  Location: ``$CEVNSFIT_CACHE`` or
``$XDG_CACHE_HOME/cevnsfit`` (default ``~/.cache/cevnsfit``); ``CEVNSFIT_CACHE=off`` disables it.
Entries are written atomically (temporary file + rename); an unreadable entry is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from functools import lru_cache
from importlib import resources
from pathlib import Path

ENV_VAR = "CEVNSFIT_CACHE"


def cache_dir() -> Path | None:
    env = os.environ.get(ENV_VAR)
    if env is not None and env.strip().lower() in ("off", "0", "no", "false", ""):
        return None
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cevnsfit"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the package's source files and the data registry."""
    root = Path(str(resources.files("cevnsfit")))
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    for p in sorted((root / "registry").glob("*.json")):
        h.update(p.read_bytes())
    return h.hexdigest()


def data_fingerprint(sets=None) -> str:
    """The checksums of the data files of ``sets`` (default: all), verified now: a missing or
    altered file raises :class:`cevnsfit.data.DataError` even when cached templates exist."""
    from . import data

    root = data.data_dir()
    statuses = data.verify(root, sets)
    for st in statuses:
        if not st.ok:
            data.path(st.name)      # raises with the full explanation
    return hashlib.sha256("".join(data.registry()[s.name]["sha256"] for s in statuses).encode()).hexdigest()


def key_of(kind: str, args: dict, sets=None) -> str:
    blob = json.dumps({"kind": kind, "args": args, "code": code_fingerprint(), "data": data_fingerprint(sets)},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def cached(kind: str, args: dict, build, sets=None):
    """``build()`` unless an entry for (kind, args, code, data) exists; store what is built.
    ``sets`` are the data releases the object is built from (default: all)."""
    d = cache_dir()
    if d is None:
        return build()
    path = d / f"{kind}-{key_of(kind, args, sets)}.pkl"
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except Exception:   # a damaged or incompatible entry: rebuild it
            pass
    obj = build()
    try:
        d.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with open(tmp, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass   # an unwritable cache only costs time
    return obj


def clear() -> int:
    """Remove every cache entry; returns how many were removed."""
    d = cache_dir()
    if d is None or not d.is_dir():
        return 0
    n = 0
    for p in d.glob("*.pkl"):
        p.unlink()
        n += 1
    return n
