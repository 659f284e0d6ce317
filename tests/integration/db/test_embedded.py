"""Embedded server: shared by processes, one initdb under a race, outlives its starter, stops."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from core.config import Settings
from core.db import embedded
from core.errors import ConfigurationError

REPO = Path(__file__).resolve().parents[3]
START = (
    "import sys; from core.config import Settings; from core.db import embedded; "
    "s = Settings(data_dir=sys.argv[1], embedded_pg_port=int(sys.argv[2])); "
    "print(embedded.ensure_running(s))"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fresh_settings():
    root = Path(tempfile.mkdtemp(prefix="invoiceflow-embedded-"))
    settings = Settings(data_dir=root, embedded_pg_port=_free_port())
    try:
        yield settings
    finally:
        embedded.stop(settings)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_two_processes_starting_at_once_share_one_server_that_outlives_them(fresh_settings):
    args = [
        sys.executable,
        "-c",
        START,
        str(fresh_settings.data_dir),
        str(fresh_settings.embedded_pg_port),
    ]
    procs = [
        subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-800:] for _, err in outputs]
    urls = {out.strip() for out, _ in outputs}
    assert len(urls) == 1  # same server, same password: one initdb happened
    # Both starters have exited; the server is still there for the next process.
    assert embedded.is_running(fresh_settings)
    with psycopg.connect(urls.pop()) as conn:
        assert conn.execute("select current_database()").fetchone() == ("invoiceflow",)
    assert embedded.stop(fresh_settings) is True
    assert not embedded.is_running(fresh_settings)
    assert embedded.stop(fresh_settings) is False


@pytest.mark.slow
def test_it_listens_on_loopback_only_with_password_auth(fresh_settings):
    url = embedded.ensure_running(fresh_settings)
    with psycopg.connect(url) as conn:
        assert conn.execute("show listen_addresses").fetchone() == ("127.0.0.1",)
        assert conn.execute("show unix_socket_directories").fetchone() == ("",)
    wrong = url.replace(embedded.password(fresh_settings), "wrong-password")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(wrong)
    mode = (fresh_settings.data_dir / "pg" / "superuser.password").stat().st_mode & 0o777
    assert mode == 0o600


@pytest.mark.slow
def test_a_stopped_server_is_restarted_on_demand_with_its_data(fresh_settings):
    url = embedded.ensure_running(fresh_settings)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create table kept (x int); insert into kept values (42)")
    embedded.stop(fresh_settings)
    url = embedded.ensure_running(fresh_settings)
    with psycopg.connect(url) as conn:
        assert conn.execute("select x from kept").fetchone() == (42,)


@pytest.mark.slow
def test_asking_for_a_running_server_on_another_port_is_a_clear_error(fresh_settings):
    embedded.ensure_running(fresh_settings)
    moved = fresh_settings.model_copy(
        update={"embedded_pg_port": fresh_settings.embedded_pg_port + 1}
    )
    with pytest.raises(ConfigurationError, match="INVOICEFLOW_EMBEDDED_PG_PORT"):
        embedded.ensure_running(moved)
