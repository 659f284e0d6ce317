"""A real Dovecot IMAP server on loopback, for the mailbox adapter's tests.

Debian's ``dovecot-imapd`` (``.ci/run`` installs it) runs unprivileged from a generated config in
a temporary folder: passwd-file users, maildir, a free port on 127.0.0.1, no SSL (loopback only).
As root the server runs as the package's ``dovecot`` system user; otherwise as ourselves. It can
be restarted on the same port and mail store, and is stopped at teardown.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = Path("/usr/sbin/dovecot")
PASSWORD = "loopback-only-imap-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> pwd.struct_passwd:
    if os.geteuid() == 0:
        return pwd.getpwnam("dovecot")  # created by the dovecot-core package
    return pwd.getpwuid(os.getuid())


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
  default_fields = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
  user = $default_internal_user
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
service auth {{
  user = $default_internal_user
}}
service auth-worker {{
  user = $default_internal_user
}}
"""


@dataclass
class Dovecot:
    """A running server: ``port``, one mailbox per user in ``users``, ``restart()``/``stop()``."""

    root: Path
    port: int
    users: tuple[str, ...]
    password: str = PASSWORD
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> Dovecot:
        account = _run_as()
        group = grp.getgrgid(account.pw_gid).gr_name
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                root=self.root,
                user=account.pw_name,
                group=group,
                uid=account.pw_uid,
                gid=account.pw_gid,
                port=self.port,
            )
        )
        (self.root / "passwd").write_text(
            "".join(f"{u}:{{PLAIN}}{self.password}::::::\n" for u in self.users)
        )
        if os.geteuid() == 0:
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, account.pw_uid, account.pw_gid)
        self.proc = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")],
            user=account.pw_uid if os.geteuid() == 0 else None,
            group=account.pw_gid if os.geteuid() == 0 else None,
            extra_groups=[] if os.geteuid() == 0 else None,
            stdout=(self.root / "stdout.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(64).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"dovecot did not listen on {self.port}: {self.log()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        text = ""
        for name in ("stdout.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")
        return text

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
