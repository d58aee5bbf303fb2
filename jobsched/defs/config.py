"""The adapter step's run config, typed per adapter from the adapter's pydantic params model.

Each adapter's job takes its own `AdapterRunConfig` subclass whose `params` field is a `dg.Config` mirror of
the adapter's `Params` model: the same field names, types, defaults and descriptions. So the launchpad shows
an adapter's real parameters, and Dagster refuses a wrong type, an unknown or a missing required parameter
when the run is launched, naming the field. The mirror carries types only: ranges, patterns and cross-field
rules stay in the pydantic model (`jobsched.adapters.registry.validate_params`), the one source of the
rules, which still validates the parameters when the step starts.

`config_params` turns parameters the model accepts into the form the mirror accepts (canonical JSON types,
only the fields given), so a RunRequest of the engine never carries parameters Dagster would refuse.
"""
# No `from __future__ import annotations`: Dagster and pydantic read these annotations at runtime.

import enum
import types
import typing
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import dagster as dg
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from jobsched.adapters.base import Adapter
from jobsched.adapters.registry import get_adapter, validate_params


class AdapterRunConfig(dg.Config):
    """The adapter step's run config (`ops: {<step>: {config: ...}}`); every field may be left out."""

    job_key: str | None = Field(
        default=None, description="Job definition key (default: the partition's job, else tag jobsched/job)"
    )
    business_date: str | None = Field(
        default=None,
        description="ISO date of the slice (default: the partition's date, else tag jobsched/business_date)",
    )
    params: dg.Config | None = Field(
        default=None,
        description="Adapter parameters; when omitted they are read from the job-definition row.",
    )

    def params_dict(self) -> dict[str, Any] | None:
        """The given parameters as a plain dict (for the adapter's model), None when left out."""
        return None if self.params is None else self.params.model_dump(by_alias=True)


def run_config_class(adapter_key: str) -> type[AdapterRunConfig]:
    """The run config class of an adapter's step: `AdapterRunConfig` with `params` typed by its model."""
    adapter: Adapter = get_adapter(adapter_key)
    return _run_config_class(adapter_key, adapter.Params)


@cache
def _run_config_class(adapter_key: str, model: type[BaseModel]) -> type[AdapterRunConfig]:
    params: Any = params_config(model) | None
    name = "".join(part.title() for part in adapter_key.split("_")) + "RunConfig"
    description = (
        f"Parameters of adapter {adapter_key} ({model.__name__}); when omitted they are read from the "
        "job-definition row. Dagster checks their types; the adapter checks its rules when the step starts."
    )
    return typing.cast(
        type[AdapterRunConfig],
        create_model(
            name,
            __base__=AdapterRunConfig,
            __doc__=AdapterRunConfig.__doc__,
            params=(params, Field(default=None, description=description)),
        ),
    )


@cache
def params_config(model: type[BaseModel]) -> type[dg.Config]:
    """A `dg.Config` with the fields of a pydantic params model: names, aliases, descriptions, defaults,
    and each type as Dagster config expresses it (tuples and sets as lists, nested models as nested
    config, choices (Literal, Enum) as the type of their values). A field type Dagster config cannot express
    (a date, a Decimal, a union of several types, ...) becomes `Any` for that field only: Dagster then takes
    any value there and the model judges it."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = config_type(info.annotation)
        fields[name] = (annotation, _config_field(info, annotation))
    # a model that keeps unknown fields (extra="allow") gets config that takes them (Dagster's Permissive)
    base = dg.PermissiveConfig if model.model_config.get("extra") == "allow" else dg.Config
    return typing.cast(
        type[dg.Config],
        create_model(
            f"{model.__name__}Config",
            __base__=base,
            __doc__=f"{model.__name__}: {(model.__doc__ or '').strip()}".rstrip(": "),
            **fields,
        ),
    )


def config_type(annotation: Any) -> Any:
    """The Dagster-config-compatible annotation for a params field's annotation (`Any` when there is none)."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if annotation in (str, int, float, bool):
        return annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        # Dagster's enum config takes member names, rows hold values (the JSON form): the values' type
        return _choices_type([member.value for member in annotation])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return params_config(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1 and len(args) == 2:
            converted = config_type(inner[0])
            return Any if converted is Any else converted | None
        return Any
    if origin is Literal:
        return _choices_type(list(args))
    if origin in (list, tuple, set, frozenset, Sequence):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return Any  # a fixed-length tuple
        item = config_type(args[0]) if args else Any
        return Any if item is Any else list[item]  # type: ignore[valid-type]
    if origin in (dict, Mapping) and len(args) == 2 and args[0] is str:
        value = config_type(args[1])
        return Any if value is Any else dict[str, value]  # type: ignore[valid-type]
    return Any


def _choices_type(values: list[Any]) -> Any:
    """Choices (Literal, Enum) as the type of their values: Dagster checks the type, the model which one."""
    for kind in (str, bool, int):
        if values and all(type(v) is kind for v in values):
            return kind
    return Any


def _config_field(info: FieldInfo, annotation: Any) -> Any:
    default: Any = ...
    if not info.is_required():
        default = _config_default(info.get_default(call_default_factory=True), annotation)
    return Field(default=default, alias=info.alias, description=info.description)


def _config_default(value: Any, annotation: Any) -> Any:
    """A model default as Dagster config holds it (lists for tuples, nested config for nested models, the
    JSON form in a field that fell back to `Any`, e.g. an ISO string for a date)."""
    if annotation is Any:
        return to_jsonable_python(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, BaseModel):
        nested = params_config(type(value))
        return nested(**value.model_dump(mode="json", by_alias=True))
    if isinstance(value, tuple | set | frozenset):
        return [_config_default(v, Any) for v in value]
    return value


def config_params(adapter_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters the adapter's model accepts, as its typed run config takes them: validated by the model
    (raises InvalidParams naming each bad field), then its JSON form with only the fields given, so a
    value the model coerces ("5" for an int, an int for a float) is passed in the type Dagster checks."""
    model = validate_params(adapter_key, params)
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)
