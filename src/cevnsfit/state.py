"""Objects as plain arrays plus JSON metadata, for the on-disk template cache.

:func:`encode` turns an object graph (a built data set: its templates, axes, nuisances, spectra,
quenching tables...) into a JSON-able description and a dict of numpy arrays; :func:`decode`
rebuilds it.  Nothing in the stored form is code: the arrays are read with
``numpy.load(allow_pickle=False)`` and the description with :func:`json.loads`, and the only
classes it can name are classes defined in the ``cevnsfit`` package (looked up by module and
name, created without calling their ``__init__``, their attributes then set) and scipy's
piecewise polynomials (rebuilt from their coefficients).  A file naming anything else is
refused with :class:`StateError`.  This is what makes a cache directory shared between users
(a cluster's scratch space) safe to read: unlike a pickle, a crafted file cannot run code.

Shared references are kept (an object reached twice is stored once).  Functions, open files and
other objects that are not data cannot be stored: :func:`encode` raises :class:`StateError`
(the cache then simply does not store that object).
"""

from __future__ import annotations

import importlib
import io
from typing import Any

import numpy as np

#: packages whose classes may be named in a stored description
ALLOWED_PACKAGE = "cevnsfit"
FORMAT = 1


#: attributes whose names start with this are caches derived from the others (rebuilt on use):
#: they are not stored
MEMO_PREFIX = "_memo_"


class StateError(ValueError):
    """An object cannot be stored as arrays + metadata, or a stored description is invalid."""


def _class_name(cls) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _resolve_class(name: str):
    try:
        module, qual = name.split(":", 1)
    except ValueError:
        raise StateError(f"invalid class reference {name!r}") from None
    if module != ALLOWED_PACKAGE and not module.startswith(ALLOWED_PACKAGE + "."):
        raise StateError(f"stored state names a class outside {ALLOWED_PACKAGE}: {name!r}")
    obj: Any = importlib.import_module(module)
    for part in qual.split("."):
        if part.startswith("__"):
            raise StateError(f"invalid class reference {name!r}")
        obj = getattr(obj, part, None)
    if not isinstance(obj, type):
        raise StateError(f"stored state names {name!r}, which is not a class of {ALLOWED_PACKAGE}")
    return obj


def encode(obj) -> tuple[dict, dict[str, np.ndarray]]:
    """(JSON-able description, arrays) of ``obj``; :class:`StateError` if it holds non-data."""
    import sys

    # scipy.interpolate costs ~0.5-1 s to import: only an object that already uses it can hold a PPoly
    PPoly = getattr(sys.modules.get("scipy.interpolate"), "PPoly", None)

    arrays: dict[str, np.ndarray] = {}
    memo: dict[int, int] = {}
    keep: list = []  # keep encoded objects alive so that their ids stay unique

    def enc(o):
        if o is None or isinstance(o, (bool, str)):
            return o
        if isinstance(o, (int, np.integer)) and not isinstance(o, bool):
            return int(o)
        if isinstance(o, (float, np.floating)):
            return {"$f": repr(float(o))}
        if isinstance(o, np.bool_):
            return bool(o)
        if id(o) in memo:
            return {"$ref": memo[id(o)]}
        if isinstance(o, np.ndarray):
            if o.dtype == object:
                raise StateError("object arrays cannot be stored")
            key = f"a{len(arrays)}"
            arrays[key] = o
            memo[id(o)] = len(memo)
            keep.append(o)
            return {"$array": key, "$id": memo[id(o)]}
        if isinstance(o, (list, tuple)):
            return {"$list" if isinstance(o, list) else "$tuple": [enc(x) for x in o]}
        if isinstance(o, dict):
            return {"$dict": [[enc(k), enc(v)] for k, v in o.items()]}
        if PPoly is not None and isinstance(o, PPoly):
            return {
                "$ppoly": {
                    "c": enc(np.asarray(o.c)),
                    "x": enc(np.asarray(o.x)),
                    "extrapolate": enc(o.extrapolate),
                    "axis": int(o.axis),
                }
            }
        cls = type(o)
        mod = cls.__module__ or ""
        if (mod == ALLOWED_PACKAGE or mod.startswith(ALLOWED_PACKAGE + ".")) and hasattr(o, "__dict__"):
            ident = len(memo)
            memo[id(o)] = ident
            keep.append(o)
            return {
                "$obj": _class_name(cls),
                "$id": ident,
                "attrs": {k: enc(v) for k, v in vars(o).items() if not k.startswith(MEMO_PREFIX)},
            }
        raise StateError(f"cannot store an object of type {mod}.{cls.__qualname__}")

    return {"format": FORMAT, "root": enc(obj)}, arrays


def decode(desc: dict, arrays) -> Any:
    """Rebuild the object described by ``desc`` (from :func:`encode`) with its ``arrays``."""
    if not isinstance(desc, dict) or desc.get("format") != FORMAT:
        raise StateError("unknown stored-state format")
    made: dict[int, Any] = {}

    def dec(d):
        if d is None or isinstance(d, (bool, int, str)):
            return d
        if isinstance(d, list):
            raise StateError("invalid stored state (bare list)")
        if "$f" in d:
            return float(d["$f"])
        if "$ref" in d:
            try:
                return made[d["$ref"]]
            except KeyError:
                raise StateError("invalid stored state (dangling reference)") from None
        if "$array" in d:
            a = np.asarray(arrays[d["$array"]])
            made[d["$id"]] = a
            return a
        if "$list" in d:
            return [dec(x) for x in d["$list"]]
        if "$tuple" in d:
            return tuple(dec(x) for x in d["$tuple"])
        if "$dict" in d:
            return {_hashable(dec(k)): dec(v) for k, v in d["$dict"]}
        if "$ppoly" in d:
            from scipy.interpolate import PPoly

            p = d["$ppoly"]
            return PPoly.construct_fast(dec(p["c"]), dec(p["x"]), dec(p["extrapolate"]), p["axis"])
        if "$obj" in d:
            cls = _resolve_class(d["$obj"])
            o = cls.__new__(cls)
            made[d["$id"]] = o
            o.__dict__.update({k: dec(v) for k, v in d["attrs"].items()})
            return o
        raise StateError(f"invalid stored state (keys {sorted(d)})")

    return dec(desc["root"])


def _hashable(k):
    if isinstance(k, list):
        return tuple(_hashable(x) for x in k)
    return k


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """The arrays as the bytes of an ``.npz`` file."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as the allow_pickle flag
    return buf.getvalue()


def read_npz(src) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file (path or bytes), read without unpickling."""
    src = io.BytesIO(src) if isinstance(src, bytes) else src
    with np.load(src, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
