"""What each data set declares about itself, so that nothing outside its module has to know it.

An experiment module (``experiments/<name>.py``) defines ``INFO = ExperimentInfo(...)``: its name,
title and reference, the data releases it reads (registry sets, :mod:`cevnsfit.data`), whether
neutrino-electron scattering is on by default, its *model options* (each an :class:`Option` with a
default and the allowed values) and a ``build`` function that returns the data set.  The package
collects them through :data:`cevnsfit.experiments.REGISTRY` (name -> module); the analysis-file
schema, the command line (``--option NAME=VALUE``) and the Python API validate options against
these declarations.  Adding a data set is therefore one new module plus one registry line.

Options shared by every data set (``es``, ``momentum_dependent``, ``form_factor``) are not
declared per experiment; they are :data:`COMMON_OPTIONS`.  An option name means the same thing
wherever it is declared: two experiments may declare the same name only with the same
definition (e.g. a shared timing model).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Option:
    """A model option of a data set.

    ``kind`` is the Python type of the value (str, float, int, bool); ``choices`` the allowed
    values (None: any value of that type, checked by ``check`` if given).
    """

    name: str
    default: Any
    help: str
    choices: tuple | None = None
    kind: type = str
    check: Callable[[Any], None] | None = None

    def validate(self, value, where: str = "") -> Any:
        """The value converted to ``kind`` and checked; ValueError naming the option otherwise."""
        label = f"option {self.name!r}" + (f" of {where}" if where else "")
        if value is None and self.default is None:
            return None
        try:
            if self.kind is bool:
                if isinstance(value, str):
                    low = value.strip().lower()
                    if low not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                        raise ValueError
                    value = low in ("true", "1", "yes", "on")
                else:
                    value = bool(value)
            elif self.kind is float:
                value = float(value)
                if value != value or value in (float("inf"), float("-inf")):
                    raise ValueError
            elif self.kind is int:
                if float(value) != int(float(value)):
                    raise ValueError
                value = int(float(value))
            else:
                value = self.kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"{label} must be a {self.kind.__name__}, got {value!r}") from None
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"unknown value {value!r} for {label}; allowed: {', '.join(map(str, self.choices))}")
        if self.check is not None:
            self.check(value)
        return value


@dataclass(frozen=True)
class ExperimentInfo:
    """A data set's declaration (see the module docstring).

    ``build(opts, es, **options)`` returns the data set, with ``opts`` the
    :class:`cevnsfit.physics.cevns.Options` (form factor, momentum dependence), ``es`` whether
    neutrino-electron scattering is included, and every declared option by name.
    """

    name: str
    title: str
    reference: str
    data_sets: tuple[str, ...]
    default_es: bool
    build: Callable[..., Any]
    options: tuple[Option, ...] = field(default_factory=tuple)

    @property
    def description(self) -> str:
        return f"{self.title} ({self.reference})"

    def option(self, name: str) -> Option:
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options}

    def resolve(self, values: dict | None) -> dict[str, Any]:
        """Every declared option: the given values validated, the others at their defaults.
        An option this data set does not declare is a ValueError naming the allowed ones."""
        values = dict(values or {})
        unknown = sorted(set(values) - {o.name for o in self.options})
        if unknown:
            allowed = ", ".join(o.name for o in self.options) or "none"
            raise ValueError(
                f"data set {self.name} has no option {', '.join(map(repr, unknown))}; its options: {allowed}"
            )
        return {o.name: o.validate(values.get(o.name, o.default), self.name) for o in self.options}
