"""The registry: keys, parameter validation that names field and value, registering classes and modules."""

from __future__ import annotations

import types

import pandas as pd
import pytest
from pydantic import BaseModel

from jobsched import adapters
from jobsched.adapters import InvalidParams, UnknownAdapter, get_adapter, register, validate_params
from jobsched.adapters.base import AdapterParams, SourceBatch
from jobsched.adapters.registry import _REGISTRY

BUILT_IN = {
    "bank_statements",
    "broker_confirms",
    "corporate_actions",
    "custodian_positions",
    "demo_echo",
    "ecb_reference_rates",
    "eod_prices",
    "exchange_bhavcopy",
    "fund_nav",
    "fx_rates",
    "index_constituents",
    "instrument_master",
    "portfolio_import",
    "ratings_feed",
    "swift_statements",
    "trade_reconciliation",
}


def test_importing_the_package_registers_the_built_in_adapters() -> None:
    assert BUILT_IN <= set(adapters.all_adapters())
    assert list(adapters.all_adapters()) == sorted(adapters.all_adapters())


def test_adapter_modules_do_not_import_dagster() -> None:
    import subprocess
    import sys

    code = "import sys, jobsched.adapters, jobsched.samples.server; print('dagster' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unknown_adapter_names_the_key_and_the_known_ones() -> None:
    with pytest.raises(
        UnknownAdapter, match=r"adapter='eod_price': unknown adapter key; registered adapters: .*eod_prices"
    ):
        get_adapter("eod_price")
    with pytest.raises(ValueError):  # callers may catch it as a validation error
        validate_params("nope", {})


@pytest.mark.parametrize(
    ("adapter", "params", "expected"),
    [
        (
            "eod_prices",
            {"url": "ftp://x/{date:%Y%m%d}"},
            "url='ftp://x/{date:%Y%m%d}': Value error, must be an http",
        ),
        (
            "eod_prices",
            {"url": "http://x/{day}.csv"},
            "url='http://x/{day}.csv': Value error, unknown placeholder {day}",
        ),
        (
            "eod_prices",
            {"url": "http://x/", "retries": -1},
            "retries=-1: Input should be greater than or equal to 0",
        ),
        ("fx_rates", {"url": "http://x/", "colour": "red"}, "colour='red': unknown parameter"),
        (
            "portfolio_import",
            {"broker": "IBKR", "inbox": "/in"},
            "account=None: required parameter is missing",
        ),
        (
            "portfolio_import",
            {"account": "a b", "broker": "X", "inbox": "/i"},
            "account='a b': String should match",
        ),
        (
            "corporate_actions",
            {"url": "http://x", "page_size": 0},
            "page_size=0: Input should be greater than",
        ),
    ],
)
def test_bad_params_name_the_field_and_value(adapter: str, params: dict, expected: str) -> None:
    with pytest.raises(InvalidParams) as caught:
        validate_params(adapter, params)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(f"invalid params for adapter {adapter!r}: ")


def test_valid_params_give_the_adapter_model_with_defaults() -> None:
    model = validate_params("eod_prices", {"url": "http://x/{date:%Y%m%d}.csv"})
    assert isinstance(model, BaseModel) and model.exchange == "XNSE" and model.retries == 4


def test_a_module_can_be_registered_as_an_adapter() -> None:
    module = types.ModuleType("my_module_adapter")

    class Params(AdapterParams):
        n: int = 1

    module.Params = Params
    module.read = lambda ctx, params: SourceBatch(pd.DataFrame({"n": [params.n]}), "module")
    module.validate = lambda ctx, params, batch: batch.frame
    module.load = lambda ctx, params, frame: len(frame)
    try:
        register("module_adapter", module)
        assert get_adapter("module_adapter") is module and module.key == "module_adapter"
        assert validate_params("module_adapter", {"n": 3}).n == 3
    finally:
        _REGISTRY.pop("module_adapter", None)


def test_a_key_cannot_be_taken_by_a_different_adapter() -> None:
    class Other:
        Params = AdapterParams
        read = validate = load = staticmethod(lambda *a: None)

    with pytest.raises(ValueError, match="'eod_prices' is already registered"):
        register("eod_prices", Other)


def test_an_object_missing_the_protocol_is_refused() -> None:
    with pytest.raises(TypeError, match="lacks read, validate, load"):
        register("broken", types.SimpleNamespace(Params=AdapterParams))
