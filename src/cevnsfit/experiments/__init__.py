"""The data sets: one module each, registered here by name.

Each module declares itself with ``INFO = ExperimentInfo(...)`` (:mod:`.registry`): title,
reference, the data releases it reads, its model options and how to build it.  :data:`REGISTRY`
maps the data-set name to its module -- adding a data set is one new module plus one line here.
:func:`load` builds (and memoises, in memory and on disk) a data set with its model choices.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from .registry import ExperimentInfo, Option

#: data-set name -> module that defines its ``INFO``
REGISTRY: dict[str, str] = {
    "csi": "cevnsfit.experiments.csi",
    "ar": "cevnsfit.experiments.ar",
    "dresden2": "cevnsfit.experiments.dresden2",
    "xenonnt_8b": "cevnsfit.experiments.xenonnt_8b",
    "xenonnt_er": "cevnsfit.experiments.xenonnt_er",
    "csi2017": "cevnsfit.experiments.csi2017",
}
NAMES = tuple(REGISTRY)

#: options every data set accepts: neutrino-electron scattering on/off (None: the data set's
#: default), the momentum-dependent neutrino charge radius, the nuclear form factor
COMMON_OPTIONS = ("es", "momentum_dependent", "form_factor")

__all__ = [
    "COMMON_OPTIONS",
    "NAMES",
    "REGISTRY",
    "ExperimentInfo",
    "Option",
    "all_options",
    "check_name",
    "default_es",
    "describe",
    "info",
    "load",
    "parse_list",
    "split_options",
]


def check_name(name: str) -> str:
    if name not in REGISTRY:
        raise ValueError(f"unknown data set {name!r}; allowed: {', '.join(NAMES)}")
    return name


def info(name: str) -> ExperimentInfo:
    """The declaration of data set ``name``."""
    check_name(name)
    mod = importlib.import_module(REGISTRY[name])
    inf = getattr(mod, "INFO", None)
    if not isinstance(inf, ExperimentInfo) or inf.name != name:
        raise RuntimeError(f"module {REGISTRY[name]} must define INFO = ExperimentInfo(name={name!r}, ...)")
    return inf


def describe(name: str) -> str:
    """'Title (reference)' of a data set."""
    return info(name).description


def default_es(name: str) -> bool:
    """Whether neutrino-electron scattering is included by default."""
    return info(name).default_es


def parse_list(text: str) -> list[str]:
    """'csi,ar' -> ['csi', 'ar'] with validation."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise ValueError(f"no data set given; allowed: {', '.join(NAMES)}")
    for n in names:
        check_name(n)
    if len(set(names)) != len(names):
        raise ValueError(f"data set listed twice in {text!r}")
    return names


def all_options(names=None) -> dict[str, tuple[Option, tuple[str, ...]]]:
    """Every model option declared by the data sets ``names`` (default: all registered):
    option name -> (its declaration, the data sets declaring it).  Two data sets declaring the
    same name with different definitions is an error in their modules."""
    out: dict[str, tuple[Option, tuple[str, ...]]] = {}
    for n in NAMES if names is None else names:
        for o in info(n).options:
            if o.name in COMMON_OPTIONS:
                raise RuntimeError(f"data set {n} redeclares the common option {o.name!r}")
            if o.name in out:
                prev, users = out[o.name]
                if (prev.default, prev.choices, prev.kind) != (o.default, o.choices, o.kind):
                    raise RuntimeError(f"option {o.name!r} is declared differently by {users[0]} and {n}")
                out[o.name] = (prev, users + (n,))
            else:
                out[o.name] = (o, (n,))
    return out


def split_options(names, options: dict | None) -> dict[str, dict]:
    """Distribute experiment options over the data sets ``names``: {data set: {option: value}}
    (validated, defaults filled in).  An option that none of ``names`` declares is an error that
    names the data sets which do."""
    options = dict(options or {})
    declared = all_options(names)
    for k in options:
        if k not in declared:
            everywhere = all_options()  # only for the message: it imports every data-set module
            if k in everywhere:
                users = ", ".join(everywhere[k][1])
                raise ValueError(
                    f"option {k!r} applies to {users}, which is not among the data sets {', '.join(names)}"
                )
            known = ", ".join(sorted(everywhere)) or "none"
            raise ValueError(f"unknown option {k!r}; the data sets' options are: {known}")
    return {
        n: info(n).resolve({k: v for k, v in options.items() if k in {o.name for o in info(n).options}}) for n in names
    }


@lru_cache(maxsize=32)
def _load(name: str, es, momentum_dependent: bool, form_factor: str, items: tuple):
    from .. import cache
    from ..physics.cevns import Options

    inf = info(name)
    options = dict(items)
    key = dict(name=name, es=es, momentum_dependent=momentum_dependent, form_factor=form_factor, **options)

    def build():
        opts = Options(form_factor=form_factor, momentum_dependent=momentum_dependent)
        return inf.build(opts, inf.default_es if es is None else bool(es), **options)

    return cache.cached("dataset", key, build, sets=inf.data_sets)


def load(name: str, es: bool | None = None, momentum_dependent: bool = False, form_factor: str = "helm", **options):
    """Build (and memoise) data set ``name`` with its model choices.

    ``es``: include neutrino-electron scattering (None: the data set's default);
    ``momentum_dependent``: running neutrino charge radius; ``form_factor``: nuclear form factor;
    further keyword arguments are the data set's own options (:func:`info`\\ (name).options, e.g.
    ``qf``/``flux``/``peaks`` for dresden2).  Built data sets are also cached on disk
    (:mod:`cevnsfit.cache`), keyed by the options, the package's source code and the checksums of
    the data releases this data set reads."""
    from ..physics.form_factors import FORM_FACTORS

    check_name(name)
    if form_factor not in FORM_FACTORS:
        raise ValueError(f"unknown form factor {form_factor!r}; allowed: {', '.join(FORM_FACTORS)}")
    resolved = info(name).resolve(options)
    return _load(name, es, bool(momentum_dependent), form_factor, tuple(sorted(resolved.items())))


load.cache_clear = _load.cache_clear  # type: ignore[attr-defined]
load.__wrapped__ = lambda name, **kw: _build_uncached(name, **kw)  # type: ignore[attr-defined]


def _build_uncached(
    name: str, es: bool | None = None, momentum_dependent: bool = False, form_factor: str = "helm", **options
):
    """Build a data set without any memoisation (for worker processes that must control BLAS)."""
    from ..physics.cevns import Options

    inf = info(name)
    resolved = inf.resolve(options)
    opts = Options(form_factor=form_factor, momentum_dependent=momentum_dependent)
    return inf.build(opts, inf.default_es if es is None else bool(es), **resolved)
