"""A schedule's and a job definition's columns are written in a few places that cannot all derive from one
(the SQL table, the domain dataclasses, the validation model, the API models, the CLI options): these tests
hold them to each other, so a column added in one place and not the others fails here."""

from __future__ import annotations

import re
import typing
from dataclasses import fields
from enum import StrEnum

import sqlalchemy as sa

from jobsched.cli.schedules import FIELD_OPTIONS
from jobsched.domain.model import Schedule, TimingSpec
from jobsched.domain.validation import ScheduleFields
from jobsched.service.models import JobInput, JobOut, ScheduleDraft, ScheduleInput, ScheduleOut, SchedulePatch
from jobsched.store.schema import job_definitions, schedules

AUDIT = {"id", "created_at", "updated_at", "version"}
# Schedule keeps these columns under another name or type
SCHEDULE_RENAMES = {"misfire_grace_seconds": "misfire_grace"}
# columns the engine never needs, so the domain Schedule does not carry them
NOT_IN_DOMAIN = {"description"}


def columns(table: sa.Table) -> set[str]:
    return {c.name for c in table.columns}


def test_editable_schedule_columns_are_the_validation_fields() -> None:
    assert set(ScheduleFields.model_fields) == columns(schedules) - AUDIT


def test_api_input_patch_and_draft_have_every_editable_column() -> None:
    editable = columns(schedules) - AUDIT
    assert set(ScheduleInput.model_fields) == editable
    assert set(SchedulePatch.model_fields) == editable | {"version"}
    assert set(ScheduleDraft.model_fields) == editable


def test_api_output_has_every_column_and_nothing_else() -> None:
    assert set(ScheduleOut.model_fields) == columns(schedules) | {"problem", "quarantined"}


def test_every_schedule_column_has_a_home_in_the_domain_model() -> None:
    timing = {f.name for f in fields(TimingSpec)}
    schedule = {f.name for f in fields(Schedule)} - {"timing"}
    assert not timing & schedule, "a column is held twice in the domain model"
    homes = {SCHEDULE_RENAMES.get(c, c) for c in columns(schedules) - {"created_at"} - NOT_IN_DOMAIN}
    assert homes == timing | schedule


def test_validation_defaults_are_the_table_defaults() -> None:
    for column in schedules.columns:
        if column.name in AUDIT:
            continue
        field = ScheduleFields.model_fields[column.name]
        if column.server_default is None:
            assert not column.nullable or field.default is None, column.name
            continue
        stored = str(column.server_default.arg)  # type: ignore[attr-defined]
        default = field.default
        if isinstance(default, bool):
            expected = "true" if default else "false"
            stored = "true" if "true" in stored.lower() else "false" if "false" in stored.lower() else stored
        else:
            expected = default.value if isinstance(default, StrEnum) else str(default)
        assert stored == expected, f"{column.name}: table default {stored!r}, validation default {expected!r}"


def test_nullable_columns_are_optional_fields() -> None:
    for column in schedules.columns:
        if column.name in AUDIT:
            continue
        annotation = ScheduleFields.model_fields[column.name].annotation
        optional = type(None) in typing.get_args(annotation)
        assert optional == column.nullable, column.name


def test_enum_columns_are_checked_by_the_table_with_the_enum_values() -> None:
    checks = " ".join(str(c.sqltext) for c in schedules.constraints if isinstance(c, sa.CheckConstraint))
    for name, field in ScheduleFields.model_fields.items():
        enum = next(
            (a for a in typing.get_args(field.annotation) or (field.annotation,) if _is_enum(a)), None
        )
        if enum is None:
            continue
        allowed = re.search(rf"{name} IN \(([^)]*)\)", checks)
        assert allowed, f"no CHECK limits {name} to its values"
        assert allowed.group(1) == ", ".join(repr(v.value) for v in enum), name


def test_api_text_limits_fit_the_columns() -> None:
    for model, table in ((ScheduleInput, schedules), (JobInput, job_definitions)):
        for name, field in model.model_fields.items():
            column = table.columns.get(name)
            limit = next((m.max_length for m in field.metadata if getattr(m, "max_length", None)), None)
            if column is None or limit is None or not isinstance(column.type, sa.String):
                continue
            if column.type.length is not None:
                assert limit <= column.type.length, f"{model.__name__}.{name}: {limit} > {column.type.length}"


def test_cli_options_name_schedule_fields() -> None:
    for option, field, _help in FIELD_OPTIONS:
        assert field in ScheduleFields.model_fields, option
        if field != "job_key":
            assert option == "--" + field.replace("_", "-"), f"{option} should be spelled after {field}"


def test_job_definition_models_follow_the_table() -> None:
    assert set(JobInput.model_fields) == columns(job_definitions) - AUDIT
    assert set(JobOut.model_fields) == columns(job_definitions) | {"problem", "schedules"}


def _is_enum(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, StrEnum)
