"""Adapters, registered on import. Add a module here when you add an adapter (README: "Adding an adapter")."""

from jobsched.adapters import (  # noqa: F401  (importing registers them)
    corporate_actions,
    demo_echo,
    eod_prices,
    fx_rates,
    housekeeping,
    instrument_master,
    portfolio_import,
    trade_reconciliation,
)
from jobsched.adapters.errors import (
    AdapterConfigError,
    AdapterError,
    BatchRejected,
    InvalidParams,
    SourceError,
    UnknownAdapter,
)
from jobsched.adapters.registry import all_adapters, get_adapter, register, validate_params

__all__ = [
    "AdapterConfigError",
    "AdapterError",
    "BatchRejected",
    "InvalidParams",
    "SourceError",
    "UnknownAdapter",
    "all_adapters",
    "get_adapter",
    "register",
    "validate_params",
]
