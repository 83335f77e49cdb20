"""The bookkeeping of resumable scans on disk: a header with the scan's fingerprint, one file per
finished chunk, written atomically.

``out_dir/spec.json`` holds the SHA-256 fingerprint of the scan description, the chunk size and
the global fit; ``out_dir/chunk_<i>.npz`` the results of chunk i (flat grid indices, chi^2,
converged, the profiled values at the chunk's lowest point, errors).  A rerun with the same
directory and description reads the finished chunks back and computes only the missing ones; a
different description or chunk size is refused.  Two runs must not write to the same directory
at once.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

SPEC_FILE = "spec.json"
CHUNK_KEYS = ("indices", "chi2", "converged", "best_names", "best_values", "errors")


def atomic_write_bytes(path: Path, write) -> None:
    """Write a file through ``write(fh)`` into a temporary file, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, lambda fh: fh.write(text.encode()))


def chunk_path(out_dir: Path, i: int) -> Path:
    return out_dir / f"chunk_{i}.npz"


def write_chunk(out_dir: Path, res: dict) -> None:
    arrays = {k: res[k] for k in CHUNK_KEYS}
    atomic_write_bytes(chunk_path(out_dir, res["i"]), lambda fh: np.savez(fh, **arrays))


def read_chunk(out_dir: Path, i: int, start: int, stop: int) -> dict | None:
    """A finished chunk, or None if missing or unreadable/inconsistent (then it is recomputed)."""
    path = chunk_path(out_dir, i)
    if not path.exists():
        return None
    try:
        with np.load(path) as z:
            res = {"i": i, **{k: z[k] for k in CHUNK_KEYS}}
    except Exception:
        return None
    if (
        res["indices"].shape != (stop - start,)
        or not np.array_equal(res["indices"], np.arange(start, stop))
        or res["chi2"].shape != res["indices"].shape
        or res["converged"].shape != res["indices"].shape
        or res["best_names"].shape != res["best_values"].shape
    ):
        return None
    return res


def describe(d: dict) -> str:
    shape = [len(a) for a in d["axes"]]
    return f"data {d['setup']['data']}, params {d['params']}, grid {shape}, profiled {d['profiled']}"


def prepare_dir(out_dir: Path, fingerprint: str, spec_dict: dict, chunk_size: int) -> dict | None:
    """Check ``out_dir`` against the scan; the stored header (with the global fit) or None."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir {out_dir} exists and is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".chunk_*.npz.*.tmp"):  # left by an interrupted write
        stale.unlink(missing_ok=True)
    head_path = out_dir / SPEC_FILE
    if not head_path.exists():
        if any(out_dir.glob("chunk_*.npz")):
            raise ValueError(
                f"out_dir {out_dir} holds chunk files but no {SPEC_FILE}: "
                "they cannot be matched to a spec; use an empty directory"
            )
        return None
    try:
        head = json.loads(head_path.read_text())
        stored = head["fingerprint"]
    except (ValueError, KeyError) as exc:
        raise ValueError(f"{head_path} is not a grid-scan header ({exc}); use an empty directory") from None
    if stored != fingerprint:
        raise ValueError(
            f"out_dir {out_dir} holds a different scan ({describe(head['spec'])}) than the one "
            f"requested ({describe(spec_dict)}); use another directory or remove it"
        )
    if head.get("chunk_size") != chunk_size:
        raise ValueError(
            f"out_dir {out_dir} was written with chunk_size={head.get('chunk_size')}; "
            f"resume with the same chunk_size (got {chunk_size})"
        )
    return head


def write_header(out_dir: Path, head: dict) -> None:
    atomic_write_text(out_dir / SPEC_FILE, json.dumps(head, indent=1))


__all__ = [
    "CHUNK_KEYS",
    "SPEC_FILE",
    "atomic_write_bytes",
    "atomic_write_text",
    "chunk_path",
    "describe",
    "prepare_dir",
    "read_chunk",
    "write_chunk",
    "write_header",
]
