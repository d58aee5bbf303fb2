"""Adapters registered under a key. Importing `jobsched.adapters` registers the built-in ones."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ValidationError

from jobsched.adapters.base import Adapter
from jobsched.adapters.errors import InvalidParams, UnknownAdapter

_REGISTRY: dict[str, Adapter] = {}

T = TypeVar("T")


@overload
def register(key: str) -> Callable[[T], T]: ...
@overload
def register(key: str, adapter: T) -> T: ...
def register(key: str, adapter: Any = None) -> Any:
    """Register an adapter class (instantiated once, it must be stateless) or module under `key`.

    Use as a class decorator, `@register("eod_prices")`, or as a call, `register("my_adapter", my_module)`.
    """

    def _do(target: T) -> T:
        impl = target() if isinstance(target, type) else target
        _check_protocol(key, impl)
        existing = _REGISTRY.get(key)
        if existing is not None and type(existing) is not type(impl) and existing is not impl:
            raise ValueError(f"adapter key {key!r} is already registered to {existing!r}")
        impl.key = key  # type: ignore[union-attr]
        _REGISTRY[key] = impl  # type: ignore[assignment]
        return target

    return _do if adapter is None else _do(adapter)


def _check_protocol(key: str, impl: object) -> None:
    missing = [name for name in ("Params", "read", "validate", "load") if not hasattr(impl, name)]
    if missing:
        raise TypeError(f"adapter {key!r} ({impl!r}) lacks {', '.join(missing)}")
    if not (isinstance(impl.Params, type) and issubclass(impl.Params, BaseModel)):  # type: ignore[attr-defined]
        raise TypeError(f"adapter {key!r}: Params must be a pydantic BaseModel subclass")


def get_adapter(key: str) -> Adapter:
    try:
        return _REGISTRY[key]
    except KeyError:
        raise UnknownAdapter(key, sorted(_REGISTRY)) from None


def all_adapters() -> dict[str, Adapter]:
    """Registered adapters by key, sorted by key."""
    return {key: _REGISTRY[key] for key in sorted(_REGISTRY)}


def validate_params(adapter_key: str, params: Mapping[str, Any] | None) -> BaseModel:
    """The adapter's parameters model for `params`; raises InvalidParams naming each bad field and value."""
    adapter = get_adapter(adapter_key)
    try:
        return adapter.Params.model_validate(dict(params or {}))
    except ValidationError as exc:
        raise InvalidParams(adapter_key, problems_of(exc)) from None


def problems_of(exc: ValidationError) -> list[tuple[str, Any, str]]:
    problems = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "params"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown parameter"
        elif error["type"] == "missing":
            message = "required parameter is missing"
        problems.append((field, error.get("input") if error["type"] != "missing" else None, message))
    return problems
