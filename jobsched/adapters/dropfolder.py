"""Shared plumbing of drop-folder adapters: find the business date's file, archive it after the load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from jobsched.adapters.base import AdapterParams, BaseAdapter, RunContext, SourceBatch
from jobsched.adapters.sources.folder import archive_file, find_file


class DropFolderParams(AdapterParams):
    inbox: str = Field(description="drop folder the sender delivers into")
    archive: str | None = Field(None, description="where loaded files go (default: <inbox>/archive)")

    def archive_path(self) -> Path:
        return Path(self.archive) if self.archive else Path(self.inbox) / "archive"


class DropFolderAdapter(BaseAdapter):
    source_kind = "folder"

    def locate(self, ctx: RunContext, params: DropFolderParams, name: str) -> tuple[Path, dict[str, Any]]:
        """The file for `name` (a glob) in the inbox, else its archived copy (re-runs)."""
        path, archived = find_file(
            Path(params.inbox), name, ctx.business_date, params.archive_path(), ctx.log
        )
        return path, {"file": str(path), "from_archive": int(archived)}

    def after_load(self, ctx: RunContext, params: Any, batch: SourceBatch) -> None:
        if not batch.extra.get("file") or batch.extra.get("from_archive"):
            return
        target = archive_file(Path(batch.extra["file"]), params.archive_path(), ctx.business_date, ctx.run_id)
        batch.extra["archived_to"] = str(target)
        ctx.log.info(f"archived {batch.extra['file']} -> {target}")
