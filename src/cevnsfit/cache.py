"""On-disk cache of built data sets (their templates), keyed by everything they depend on.

The key is a SHA-256 of: the arguments (model choices), the source code of the package (every
``.py`` file) and the SHA-256 of the data files of the releases the object is built from,
verified on disk each time (so a missing or altered file is reported even when cached templates
exist, and an altered file of another release never blocks it).  Changing any of them gives a
new key, so stale templates are never used.  Location: ``$CEVNSFIT_CACHE`` or
``$XDG_CACHE_HOME/cevnsfit`` (default ``~/.cache/cevnsfit``); ``CEVNSFIT_CACHE=off`` disables it.

An entry is two files, ``<kind>-<key>.npz`` (the arrays, read with ``allow_pickle=False``) and
``<kind>-<key>.json`` (what the object is made of, plus the kind, the arguments, the package
version and the date; :mod:`cevnsfit.state`).  Nothing is pickled: reading an entry never runs
code, so a cache directory may be shared (e.g. by the users of a cluster).  Entries are written
atomically (temporary file + rename); an unreadable or invalid entry is rebuilt.
``cevnsfit cache info`` and ``cevnsfit cache clear`` show and empty the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from functools import lru_cache
from importlib import resources
from pathlib import Path

log = logging.getLogger("cevnsfit")

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
            data.path(st.name)  # raises with the full explanation
    return hashlib.sha256("".join(data.registered(s.name)["sha256"] for s in statuses).encode()).hexdigest()


def key_of(kind: str, args: dict, sets=None) -> str:
    blob = json.dumps(
        {"kind": kind, "args": args, "code": code_fingerprint(), "data": data_fingerprint(sets)},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _entry(kind: str, args: dict, sets=None) -> Path | None:
    d = cache_dir()
    return None if d is None else d / f"{kind}-{key_of(kind, args, sets)}"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def cached(kind: str, args: dict, build, sets=None):
    """``build()`` unless an entry for (kind, args, code, data) exists; store what is built.
    ``sets`` are the data releases the object is built from (default: all).  Objects that cannot
    be stored as arrays + metadata (:mod:`cevnsfit.state`) are simply not cached."""
    from . import __version__, state

    what = f"{kind} {args.get('name', '')}".rstrip()
    base = _entry(kind, args, sets)
    t0 = time.perf_counter()
    if base is None:
        obj = build()
        log.info("%s built in %.2f s (template cache off)", what, time.perf_counter() - t0)
        return obj
    npz, meta = base.with_suffix(".npz"), base.with_suffix(".json")
    if npz.is_file() and meta.is_file():
        try:
            head = json.loads(meta.read_text())
            obj = state.decode(head["state"], state.read_npz(npz))
            log.info("%s read from the template cache in %.2f s (%s)", what, time.perf_counter() - t0, npz.name)
            return obj
        except Exception as e:  # a damaged, incompatible or refused entry: rebuild it
            log.info("%s: cache entry %s not used (%s); rebuilding it", what, npz.name, e)
    obj = build()
    log.info("%s built in %.2f s", what, time.perf_counter() - t0)
    try:
        desc, arrays = state.encode(obj)
        head = {
            "kind": kind,
            "args": args,
            "sets": list(sets) if sets is not None else None,
            "version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "state": desc,
        }
        base.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(npz, state.npz_bytes(arrays))
        _write_atomic(meta, json.dumps(head, default=str).encode())
    except (OSError, state.StateError) as e:
        # an unwritable cache or an object that is not plain data only costs time
        log.debug("%s not stored in the template cache: %s", what, e)
    return obj


def entries() -> list[dict]:
    """The cache entries: one dict per entry (name, kind, args, version, created, bytes)."""
    d = cache_dir()
    if d is None or not d.is_dir():
        return []
    out = []
    for meta in sorted(d.glob("*.json")):
        npz = meta.with_suffix(".npz")
        size = meta.stat().st_size + (npz.stat().st_size if npz.exists() else 0)
        try:
            head = json.loads(meta.read_text())
        except (OSError, ValueError):
            head = {}
        out.append(
            {
                "name": meta.stem,
                "kind": head.get("kind", "?"),
                "args": head.get("args", {}),
                "version": head.get("version", "?"),
                "created": head.get("created", "?"),
                "bytes": size,
            }
        )
    return out


def info() -> dict:
    """Location, number of entries and total size of the cache."""
    d = cache_dir()
    ents = entries()
    stale = [p for p in d.glob("*.pkl")] if d is not None and d.is_dir() else []
    return {
        "directory": None if d is None else str(d),
        "enabled": d is not None,
        "entries": len(ents),
        "bytes": sum(e["bytes"] for e in ents) + sum(p.stat().st_size for p in stale),
        "legacy_pickles": len(stale),
        "items": ents,
    }


def clear() -> int:
    """Remove every cache entry (and pickles left by older versions); returns how many entries
    were removed."""
    d = cache_dir()
    if d is None or not d.is_dir():
        return 0
    n = 0
    for p in list(d.glob("*.json")) + list(d.glob("*.pkl")):
        p.unlink(missing_ok=True)
        n += 1
    for p in list(d.glob("*.npz")) + list(d.glob(".*.tmp*")):
        p.unlink(missing_ok=True)
    return n
