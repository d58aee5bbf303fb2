"""bank_statements: camt.053.001.02 statements validated against the ISO 20022 schema, from a drop folder
(the contract) and over SFTP."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jobsched.adapters import BatchRejected, InvalidParams, validate_params
from jobsched.samples.feeds import camt053_xml, statement_entries
from jobsched_tests.adapters.dropfolder_contract import DropFolderContract
from jobsched_tests.adapters.servers import SFTP_PASSWORD, SFTP_USER

IBAN = "DE89370400440532013000"


class TestBankStatements(DropFolderContract):
    adapter = "bank_statements"
    malformed_error = "camt.053.001.02 schema: line"
    truncated_error = "not well-formed XML"
    rows = len(statement_entries(IBAN, date(2026, 11, 20))[1])

    def extra_params(self) -> dict[str, Any]:
        return {"iban": IBAN}

    def file_name(self) -> str:
        return f"camt053_{IBAN}_{self.business_date:%Y%m%d}.xml"

    def content(self) -> bytes:
        return camt053_xml(IBAN, self.business_date).encode()

    def deliver_malformed(self, src, data_dir: Path, params: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
        xml = camt053_xml(IBAN, self.business_date)
        third = xml.index("<Ntry>", xml.index("<Ntry>", xml.index("<Ntry>") + 1) + 1)
        amount = xml.index('<Amt Ccy="EUR">', third) + len('<Amt Ccy="EUR">')
        xml = xml[:amount] + "12x50" + xml[xml.index("</Amt>", amount) :]
        self.inbox_file(params).write_text(xml)

    def test_schema_error_names_element_and_value(self, warehouse, jobsched_env) -> None:
        params = self.params(None, jobsched_env)
        self.deliver_malformed(None, Path(), params)
        with pytest.raises(
            BatchRejected,
            match=r"line \d+: Element '\{urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\}Amt': '12x50' is",
        ):
            self.run(params, warehouse, self.job_key())

    def test_balances_must_reconcile(self, warehouse, jobsched_env) -> None:
        params = self.params(None, jobsched_env)
        xml = camt053_xml(IBAN, self.business_date)
        first = xml.index("<Ntry>")
        xml = xml[:first] + xml[xml.index("</Ntry>", first) + len("</Ntry>") :]  # a lost entry
        self.inbox_file(params).write_text(xml)
        with pytest.raises(BatchRejected, match=r"balances do not reconcile: opening [0-9.]+ \+ entries"):
            self.run(params, warehouse, self.job_key())

    def test_statement_of_another_account_is_rejected(self, warehouse, jobsched_env) -> None:
        params = self.params(None, jobsched_env)
        other = "GB33BUKB20201555555555"
        self.inbox_file(params).write_text(camt053_xml(other, self.business_date))
        with pytest.raises(
            BatchRejected, match=rf"column 'iban' row 1: value '{other}' is not the account {IBAN}"
        ):
            self.run(params, warehouse, self.job_key())

    def test_exactly_one_source(self) -> None:
        with pytest.raises(InvalidParams, match="set exactly one of inbox"):
            validate_params(self.adapter, {"iban": IBAN})

    def test_over_sftp(self, sftp_server, warehouse, jobsched_env, monkeypatch) -> None:
        monkeypatch.setenv("TEST_SFTP_PASSWORD", SFTP_PASSWORD)
        folder = sftp_server.root / f"camt{uuid.uuid4().hex[:8]}"
        folder.mkdir()
        (folder / self.file_name()).write_bytes(self.content())
        (folder / (self.file_name() + ".part")).write_text("<Document")
        sftp = {
            "host": "127.0.0.1",
            "port": sftp_server.port,
            "username": SFTP_USER,
            "password_env": "TEST_SFTP_PASSWORD",
            "remote_dir": f"/{folder.name}",
            "retries": 0,
        }
        job_key = self.job_key()
        for run_id in ("first", "second"):
            report = self.run({"iban": IBAN, "sftp": sftp}, warehouse, job_key, run_id=run_id)
        assert report.rows_loaded == self.rows and report.source.endswith(
            f"/{folder.name}/{self.file_name()}"
        )
        assert set(self.slice_runs(warehouse, job_key)) == {"second"}
        assert (folder / self.file_name()).exists()  # the remote file is left where it is
