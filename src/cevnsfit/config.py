"""Analysis files: a declarative YAML description of an analysis, validated with pydantic.

Example::

    name: dresden2_mu_fef
    description: Dresden-II magnetic moment, Fef quenching, CEvNS + ES
    data: [dresden2]
    model: {qf: fef, flux: hmve, es: true, transitions: false, momentum_dependent: false}
    limits:
      - {param: mu_e, cl: 0.9}
    contours:
      - {params: [mu_e, mu_mu], points: 25}
    published:                       # optional: numbers to compare with (reproduction record)
      mu_e: {intervals: [[0, 2.13]], source: "Atzori Corona et al., JHEP 09 (2022) 164"}

Which physics parameters float: by default a limit or contour frees its parameters and every
other parameter of their families that the data sets measure (transition ones only with
``transitions: true``); the rest stay at their SM values.  ``fixed: {NAME: VALUE or sm}`` holds
parameters fixed, ``free: [NAME, ...]`` frees more.  Both can be given for the whole file and per
``limits``/``contours`` entry; an entry's own ``fixed`` and ``free`` take precedence over the
file's (a parameter the entry frees is no longer fixed by the file, and vice versa).  So the
convention of the reference papers -- each diagonal parameter quoted with the other diagonal one
at its SM value -- reads::

    limits:
      - {param: r2_ee, fixed: {r2_mumu: sm}}
      - {param: r2_mumu, fixed: {r2_ee: sm}}

A name that is not a physics parameter, a parameter both fixed and free, or an entry fixing its
own parameter is an error.

Unknown keys are errors (with the key and its line); names of data sets, models and parameters are
checked against the allowed ones.  ``cevnsfit run FILE`` runs one file; ``cevnsfit reproduce``
runs every file shipped in ``cevnsfit/analyses/``.  :func:`json_schema` gives the JSON Schema.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from .experiments import NAMES as DATA_NAMES
from .physics.form_factors import FORM_FACTORS
from .physics.parameters import Params


class ConfigError(ValueError):
    """A malformed analysis file; the message names the key, its line and the allowed values."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_param(name: str) -> str:
    if name not in Params.names():
        raise ValueError(f"unknown parameter {name!r}; allowed: {', '.join(Params.names())}")
    return name


class _CommonModel(_Strict):
    es: Optional[bool] = None
    transitions: bool = False
    momentum_dependent: bool = False
    form_factor: str = "helm"

    @field_validator("form_factor")
    @classmethod
    def _ff(cls, v):
        if v not in FORM_FACTORS:
            raise ValueError(f"unknown form factor {v!r}; allowed: {', '.join(FORM_FACTORS)}")
        return v


def _option_fields() -> dict:
    """One optional field per model option that any registered data set declares (None: the
    data set's default), typed by its declaration so that the JSON Schema lists the choices."""
    from .experiments import all_options

    fields = {}
    for name, (opt, users) in all_options().items():
        ann = Literal[tuple(opt.choices)] if opt.choices else opt.kind
        fields[name] = (Optional[ann], Field(None, description=f"{opt.help} [data sets: {', '.join(users)}]"))
    return fields


#: the ``model:`` section: the common choices plus every data set's declared options
Model = create_model("Model", __base__=_CommonModel, **_option_fields())


def _check_tested(name: str) -> str:
    """A physics parameter, or a data set's nuisance "<data set>.<nuisance>" (checked against the
    data set's nuisances when the analysis runs)."""
    if "." in name:
        ds = name.split(".", 1)[0]
        if ds not in DATA_NAMES:
            raise ValueError(f"unknown data set {ds!r} in {name!r}; allowed: {', '.join(DATA_NAMES)}")
        return name
    return _check_param(name)


Method = Literal["wilks", "fc", "bayes"]
Prior = Literal["flat", "flat-square"]


def _method_fields(toys: int) -> dict:
    """How intervals are computed: ``methods`` (each gives its own result), ``toys`` per tested
    value, ``seed`` and ``smooth`` (critical values regularised across tested values) for
    Feldman-Cousins, ``priors`` for Bayes (each its own result)."""
    return {
        "methods": (list[Method], Field(default_factory=lambda: ["wilks"], min_length=1)),
        "toys": (int, Field(toys, ge=10, le=10**6)),
        "seed": (int, Field(0, ge=0)),
        "smooth": (bool, Field(True)),
        "priors": (list[Prior], Field(default_factory=lambda: ["flat"], min_length=1)),
    }


FixedValue = Union[float, Literal["sm", "SM"]]


def _choice_fields() -> dict:
    """Which physics parameters are held fixed (at a value or "sm") and which are freed."""
    return {
        "fixed": (dict[str, FixedValue], Field(default_factory=dict)),
        "free": (list[str], Field(default_factory=list)),
    }


def _check_choice(self):
    for k in list(self.fixed) + list(self.free):
        _check_param(k)
    both = sorted(set(self.fixed) & set(self.free))
    if both:
        raise ValueError(f"parameter(s) {', '.join(both)} both fixed and free")
    return self


class _LimitBase(_Strict):
    param: str
    cl: float = Field(0.9, gt=0.0, lt=1.0)
    points: int = Field(61, ge=5, le=2001)
    range: Optional[tuple[float, float]] = None


class LimitSpec(create_model("_LimitFields", __base__=_LimitBase, **_method_fields(1000), **_choice_fields())):  # type: ignore[misc]  # fields made at import from the experiments' options
    _choice = model_validator(mode="after")(_check_choice)

    _p = field_validator("param")(classmethod(lambda cls, v: _check_tested(v)))

    @field_validator("range")
    @classmethod
    def _range(cls, v):
        if v is not None and not (v[1] > v[0]):
            raise ValueError(f"empty scan range {list(v)}: the high end must exceed the low end")
        return v


class _ContourBase(_Strict):
    params: tuple[str, str]
    points: int = Field(25, ge=5, le=401)
    ranges: Optional[tuple[tuple[float, float], tuple[float, float]]] = None
    #: per axis: linear or log (a log axis needs a positive range, e.g. dm2_41)
    scales: tuple[Literal["linear", "log"], Literal["linear", "log"]] = ("linear", "linear")


class ContourSpec(create_model("_ContourFields", __base__=_ContourBase, **_method_fields(500), **_choice_fields())):  # type: ignore[misc]  # fields made at import from the experiments' options
    _choice = model_validator(mode="after")(_check_choice)

    @field_validator("ranges")
    @classmethod
    def _ranges(cls, v):
        if v is not None:
            for lo, hi in v:
                if not hi > lo:
                    raise ValueError(f"empty range [{lo}, {hi}]: the high end must exceed the low end")
        return v

    @field_validator("params")
    @classmethod
    def _params(cls, v):
        for p in v:
            _check_tested(p)
        if v[0] == v[1]:
            raise ValueError("a contour needs two different parameters")
        return v


class ExclusionSpec(_Strict):
    """An exclusion curve of a light mediator: the allowed couplings at each mass of a log grid
    (the mass fixed, everything else as in the analysis), for the combined data sets and, with
    ``each``, for every data set alone."""

    coupling: Literal["g_zp", "g_phi"]
    masses: tuple[float, float] = (1e-3, 1e4)
    points: int = Field(40, ge=2, le=400)
    cl: float = Field(0.9, gt=0.0, lt=1.0)
    each: bool = True

    @field_validator("masses")
    @classmethod
    def _masses(cls, v):
        if not (0 < v[0] < v[1]):
            raise ValueError(f"masses must be 0 < low < high [MeV], got {list(v)}")
        return v


class Published(_Strict):
    intervals: Optional[list[tuple[float, float]]] = None
    value: Optional[float] = None
    source: str = ""


class _AnalysisBase(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    data: list[str] = Field(min_length=1)
    model: Model = Field(default_factory=Model)  # type: ignore[valid-type]  # a model made at import
    limits: list[LimitSpec] = Field(default_factory=list)
    contours: list[ContourSpec] = Field(default_factory=list)
    exclusions: list[ExclusionSpec] = Field(default_factory=list)
    published: dict[str, Published] = Field(default_factory=dict)
    #: "papers": reproduces a published analysis; "beyond": an analysis beyond the papers (e.g.
    #: solar neutrinos combined with the laboratory data), listed in a section of its own
    section: Literal["papers", "beyond"] = "papers"


class Analysis(create_model("_AnalysisFields", __base__=_AnalysisBase, **_choice_fields())):  # type: ignore[misc]  # fields made at import from the experiments' options
    _choice = model_validator(mode="after")(_check_choice)

    @field_validator("data")
    @classmethod
    def _data(cls, v):
        for d in v:
            if d not in DATA_NAMES:
                raise ValueError(f"unknown data set {d!r}; allowed: {', '.join(DATA_NAMES)}")
        if len(set(v)) != len(v):
            raise ValueError("a data set is listed twice")
        return v

    @model_validator(mode="after")
    def _something(self):
        if not self.limits and not self.contours and not self.exclusions:
            raise ValueError("an analysis needs at least one entry under 'limits', 'contours' or 'exclusions'")
        for k in self.published:
            _check_tested(k)
        for spec in self.limits:
            self.fixed_free(spec)
        for spec in self.contours:
            self.fixed_free(spec)
        for spec in self.exclusions:
            mass = {"g_zp": "m_zp", "g_phi": "m_phi"}[spec.coupling]
            if mass in self.fixed or spec.coupling in self.fixed:
                raise ValueError(f"an exclusion curve scans {spec.coupling} and {mass}: they cannot be fixed")
        from .experiments import split_options

        split_options(self.data, self.experiment_options())  # an option must belong to one of the data sets
        return self

    def fixed_free(self, spec) -> dict:
        """{"fixed": {...}, "free": [...]} of a limit or contour entry: the file's choices with the
        entry's own taking precedence (module docstring).  An entry whose scanned parameter ends
        up fixed is a ValueError."""
        fixed = {k: v for k, v in self.fixed.items() if k not in spec.free}
        fixed.update(spec.fixed)
        free = [p for p in self.free if p not in spec.fixed] + [p for p in spec.free if p not in self.free]
        scanned = [spec.param] if hasattr(spec, "param") else list(spec.params)
        clash = [p for p in scanned if p in fixed]
        if clash:
            raise ValueError(
                f"{', '.join(clash)} is scanned by this entry and cannot be fixed (drop it from "
                "'fixed', or list it under the entry's 'free')"
            )
        return {"fixed": fixed, "free": [p for p in free if p not in scanned]}

    def with_default_options(self, options: dict) -> Analysis:
        """This analysis with the data-set options ``options`` ({name: value}) set where the file
        leaves them at their defaults and one of its data sets declares them (values validated;
        an option no registered data set declares is a ValueError)."""
        from .experiments import all_options

        declared = all_options()
        mine = all_options(self.data)
        update = {}
        for k, v in (options or {}).items():
            if k not in declared:
                raise ValueError(f"unknown option {k!r}; the data sets' options are: {', '.join(sorted(declared))}")
            opt = declared[k][0]
            value = opt.validate(v, k)
            if k in mine and getattr(self.model, k) is None:
                update[k] = value
        return self.model_copy(update={"model": self.model.model_copy(update=update)}) if update else self

    def experiment_options(self) -> dict:
        """The data-set options given in ``model:`` (those left at None take the data set's default)."""
        common = set(_CommonModel.model_fields)
        return {k: v for k, v in self.model.model_dump().items() if k not in common and v is not None}

    def setup(self):
        from .inference.analysis import Setup

        m = self.model
        return Setup(
            tuple(self.data),
            es=m.es,
            transitions=m.transitions,
            momentum_dependent=m.momentum_dependent,
            form_factor=m.form_factor,
            **self.experiment_options(),
        )


class _LineLoader(yaml.SafeLoader):
    """YAML loader that remembers the line of every mapping key."""


def _construct_mapping(loader, node, deep=False):
    mapping = {}
    lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        mapping[key] = loader.construct_object(value_node, deep=deep)
        lines[key] = key_node.start_mark.line + 1
    mapping["__lines__"] = lines
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip(obj, path=(), index=None):
    """Remove the line bookkeeping, recording line numbers by key path."""
    index = {} if index is None else index
    if isinstance(obj, dict):
        lines = obj.pop("__lines__", {})
        for k, v in obj.items():
            index[path + (k,)] = lines.get(k)
            _strip(v, path + (k,), index)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _strip(v, path + (i,), index)
    return index


def _line_for(loc, index):
    loc = tuple(loc)
    while loc:
        if index.get(loc):
            return index[loc]
        loc = loc[:-1]
    return None


def parse(text: str, source: str = "<string>") -> Analysis:
    """Parse and validate analysis-file text; raises :class:`ConfigError` naming key and line."""
    try:
        raw = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: an analysis file must be a mapping of keys to values")
    index = _strip(raw)
    try:
        return Analysis.model_validate(raw)
    except ValidationError as e:
        msgs = []
        for err in e.errors():
            loc = [x for x in err["loc"]]
            line = _line_for(loc, index)
            key = ".".join(str(x) for x in loc) or "(top level)"
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                parent = loc[:-1]
                allowed = _allowed_keys(parent)
                msg = f"unknown key; allowed keys here: {', '.join(allowed)}"
            msgs.append(f"{source}" + (f", line {line}" if line else "") + f": {key}: {msg}")
        raise ConfigError("\n".join(msgs)) from None


def _allowed_keys(parent) -> list[str]:
    model: type[BaseModel] = Analysis
    for p in parent:
        if isinstance(p, int):
            continue
        field = model.model_fields.get(p)
        if field is None:
            break
        ann = field.annotation
        for cand in (Model, LimitSpec, ContourSpec, Published):
            if (
                cand is ann
                or cand in getattr(ann, "__args__", ())
                or any(cand in getattr(a, "__args__", ()) for a in getattr(ann, "__args__", ()))
            ):
                model = cand
                break
    return list(model.model_fields)


def load(path) -> Analysis:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{e.object[e.start]:02x} at position {e.start}); "
            "save the analysis file as UTF-8"
        ) from None
    except OSError as e:
        raise ConfigError(f"cannot read analysis file {path}: {e.strerror or e}") from None
    return parse(text, str(path))


def shipped() -> list[Path]:
    """The analysis files shipped with the package (the published analyses of the reference papers)."""
    root = resources.files("cevnsfit").joinpath("analyses")
    return sorted(Path(str(p)) for p in root.iterdir() if str(p).endswith(".yaml"))


def json_schema() -> dict:
    return Analysis.model_json_schema()
