"""SQL for export jobs (``supabase/migrations/20261206310500_export_jobs.sql``): the requester
creates a job through ``create_export_job`` (which queues it); the worker, running as the
requester, marks it running, stores the file and the outcome. Everything runs under RLS: a job
and its file belong to whoever asked for it."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.db.integration_records import ExportJob
from core.db.records import columns

_SELECT = f"select {columns(ExportJob)} from public.export_jobs j"  # noqa: S608 - constant


def create(s: Session, *, client_id: UUID | None, fmt: str, params: dict[str, Any]) -> ExportJob:
    new_id = s.execute(
        text("select id from public.create_export_job(:c, :f, cast(:p as jsonb))"),
        {"c": client_id, "f": fmt, "p": json.dumps(params)},
    ).scalar_one()
    return get(s, new_id)  # type: ignore[return-value]


def get(s: Session, job_id: UUID, *, for_update: bool = False) -> ExportJob | None:
    lock = " for update" if for_update else ""
    row = s.execute(text(f"{_SELECT} where j.id = :i{lock}"), {"i": job_id}).mappings().first()
    return ExportJob.from_row(row) if row else None


def list_mine(s: Session, *, limit: int, offset: int) -> list[ExportJob]:
    rows = s.execute(
        text(f"{_SELECT} order by j.created_at desc, j.id limit :l offset :o"),
        {"l": limit, "o": offset},
    )
    return [ExportJob.from_row(r) for r in rows.mappings()]


def start(s: Session, job_id: UUID) -> None:
    s.execute(
        text("update public.export_jobs set status = 'running', started_at = now(), error = null"
             " where id = :i"),
        {"i": job_id},
    )  # fmt: skip


def finish(
    s: Session,
    job_id: UUID,
    *,
    data: bytes,
    file_name: str,
    content_type: str,
    row_count: int,
) -> None:
    s.execute(
        text("insert into public.export_files (job_id, data) values (:i, :d)"
             " on conflict (job_id) do update set data = excluded.data"),
        {"i": job_id, "d": data},
    )  # fmt: skip
    s.execute(
        text(
            "update public.export_jobs set status = 'succeeded', finished_at = now(),"
            " file_name = :n, content_type = :t, size_bytes = :b, row_count = :r"
            " where id = :i"
        ),
        {"i": job_id, "n": file_name, "t": content_type, "b": len(data), "r": row_count},
    )  # fmt: skip


def fail(s: Session, job_id: UUID, error: str) -> None:
    s.execute(
        text("update public.export_jobs set status = 'failed', finished_at = now(), error = :e"
             " where id = :i"),
        {"i": job_id, "e": error[:500]},
    )  # fmt: skip


def file_data(s: Session, job_id: UUID) -> bytes | None:
    data = s.execute(
        text("select data from public.export_files where job_id = :i"), {"i": job_id}
    ).scalar_one_or_none()
    return bytes(data) if data is not None else None


def sweep(s: Session) -> int:
    """Delete expired jobs and their files (a service session); how many."""
    result = s.execute(text("delete from public.export_jobs where expires_at <= now()"))
    return int(getattr(result, "rowcount", 0) or 0)
