"""Adapters, registered on import. Add a module here when you add an adapter (README: "Adding an adapter")."""

from jobsched.adapters import (  # noqa: F401  (importing registers them)
    bank_statements,
    broker_confirms,
    corporate_actions,
    custodian_positions,
    demo_echo,
    ecb_reference_rates,
    eod_prices,
    exchange_bhavcopy,
    fund_nav,
    fx_rates,
    housekeeping,
    index_constituents,
    instrument_master,
    portfolio_import,
    ratings_feed,
    swift_statements,
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
