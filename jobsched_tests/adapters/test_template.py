"""The test template stays in step with the contract it tells people to subclass."""

from __future__ import annotations

import importlib

from jobsched_tests.adapters.contract import AdapterContract


def test_template_subclasses_the_contract_and_fills_every_hook() -> None:
    template = importlib.import_module("jobsched_tests.adapters.template_test_adapter").TestMyAdapter
    assert issubclass(template, AdapterContract)
    for hook in ("params", "deliver", "deliver_malformed"):
        assert getattr(template, hook) is not getattr(AdapterContract, hook), hook
    contract_tests = {name for name in dir(AdapterContract) if name.startswith("test_")}
    assert len(contract_tests) == 6
