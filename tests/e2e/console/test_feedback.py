"""The one error mapping: domain errors become alerts with their code, never a traceback."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core import errors


def _app(error_name: str, message: str) -> None:
    import streamlit as st

    from console.feedback import guarded
    from core import errors as e

    with guarded("doing the thing"):
        if error_name == "RuntimeError":
            raise RuntimeError("psycopg: password=hunter2 SELECT secret")
        if error_name == "RateLimited":
            raise e.RateLimited(message, retry_after=12)
        if error_name == "ValidationFailed":
            raise e.ValidationFailed(message, errors=["row 2: vat_id is malformed"])
        raise getattr(e, error_name)(message)
    st.write("not reached")


def _run(error_name: str, message: str = "it went wrong") -> AppTest:
    at = AppTest.from_function(_app, args=(error_name, message), default_timeout=20)
    return at.run()


@pytest.mark.parametrize(
    ("error_name", "level"),
    [
        ("DuplicateFile", "info"),
        ("ConfirmationRequired", "info"),
        ("ValidationFailed", "warning"),
        ("NotFound", "warning"),
        ("InvalidTransition", "warning"),
        ("Conflict", "warning"),
        ("TooLarge", "warning"),
        ("UnsupportedType", "warning"),
        ("EncryptedDocument", "warning"),
        ("InvalidCredentials", "warning"),
        ("Forbidden", "error"),
        ("AuthError", "error"),
        ("UpstreamTimeout", "error"),
        ("ConfigurationError", "error"),
    ],
)
def test_domain_error_is_shown_at_its_level_with_message_and_code(
    error_name: str, level: str
) -> None:
    at = _run(error_name)
    alerts = getattr(at, level)
    assert len(alerts) == 1
    code = getattr(errors, error_name).code
    assert "it went wrong" in alerts[0].value
    assert f"`{code}`" in alerts[0].value
    assert not at.exception
    others = {"info", "warning", "error"} - {level}
    assert all(len(getattr(at, other)) == 0 for other in others)


def test_row_errors_are_listed_under_the_message() -> None:
    at = _run("ValidationFailed", "3 rows were refused")
    assert "row 2: vat_id is malformed" in at.warning[0].value


def test_rate_limit_says_when_to_retry() -> None:
    at = _run("RateLimited", "slow down")
    assert "12 s" in at.warning[0].value


def test_unexpected_error_shows_a_reference_and_no_internals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    at = _run("RuntimeError")
    assert not at.exception
    assert len(at.error) == 1
    shown = at.error[0].value
    assert "reference" in shown
    assert "hunter2" not in shown and "SELECT" not in shown
    assert "while doing the thing" in shown
    ref = shown.split("reference `")[1].split("`")[0]
    logged = [r for r in caplog.records if r.name == "console" and ref in r.getMessage()]
    assert logged and logged[0].exc_info is not None, "the details must reach the log"
