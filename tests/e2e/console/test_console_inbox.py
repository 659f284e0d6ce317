"""Inbox page: renders for every role, uploads with per-file outcomes, progress, latest list."""

from __future__ import annotations

import pytest

from tests.e2e.console.conftest import ROLES, demo_pdfs, frame_with, open_page, texts


@pytest.mark.parametrize("role", ROLES)
def test_inbox_renders_for_each_role_and_offers_upload_only_to_writers(
    workspace, signed_in, role
) -> None:
    at = open_page(signed_in(role), "inbox")
    assert not at.exception
    can_upload = role in ("owner", "operator")
    assert bool(at.get("file_uploader")) is can_upload
    if not can_upload:
        assert "cannot" in texts(at) or "not upload" in texts(at)
    shown = frame_with(at, "file_name")
    assert len(shown) == 2  # the two processed demo invoices


def test_upload_reports_each_file_and_keeps_the_good_ones(workspace, signed_in) -> None:
    at = open_page(signed_in("operator"), "inbox")
    fresh = demo_pdfs((303,))[0]
    already = demo_pdfs((101,))[0]  # uploaded by the workspace fixture: a duplicate
    at.get("file_uploader")[0].set_value(
        [
            (fresh.filename, fresh.data, "application/pdf"),
            (already.filename, already.data, "application/pdf"),
            ("notes.pdf", b"this is not a pdf at all", "application/pdf"),
        ]
    )
    next(b for b in at.button if b.label == "Upload and process").click().run()
    assert not at.exception
    assert any("1 of 3 files accepted" in w.value for w in at.warning)  # partial: not a success
    assert not at.success
    problems = frame_with(at, "result")
    assert set(problems["result"]) == {"duplicate", "rejected"}
    assert "duplicate_file" in set(problems["code"])
    # The batch shows up with a progress bar (no worker here, so 0 of 1 processed).
    assert at.get("progress")
    assert "0/1 processed" in at.get("progress")[0].proto.text
    assert len(frame_with(at, "file_name")) == 3


def test_submitting_without_files_is_a_warning(workspace, signed_in) -> None:
    at = open_page(signed_in("owner"), "inbox")
    next(b for b in at.button if b.label == "Upload and process").click().run()
    assert any("Choose at least one file" in w.value for w in at.warning)


def test_a_batch_with_nothing_accepted_is_an_error_and_the_limit_is_in_mb(
    workspace, signed_in
) -> None:
    at = open_page(signed_in("operator"), "inbox")
    assert "up to 25 MB per file" in at.get("file_uploader")[0].proto.label
    at.get("file_uploader")[0].set_value([("notes.pdf", b"not a pdf", "application/pdf")])
    next(b for b in at.button if b.label == "Upload and process").click().run()
    assert not at.exception
    assert any("0 of 1 files accepted" in e.value for e in at.error)
    assert not at.success
