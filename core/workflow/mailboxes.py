"""Per-client IMAP mailboxes (issue 17, item 4): owners configure them, a worker polls them.

Each mailbox is a service principal of its client (role operator, kind ``mailbox``): the poll
uploads what the mail brings as that principal (``mail_intake.upload_callback``), so RLS,
limits, duplicates and the audit log apply as for a person, and the jobs it queues run as it.
The adapter's ``SeenStore`` is the ``mailbox_seen`` table (``DbSeenStore``), so a poll cut off
by a killed worker or a dropped IMAP connection resumes without taking a document twice. Every
message's outcome is logged (``mailbox_messages``); a message that cannot be processed is moved
to the failed folder with its reason (never deleted) and listed for owners and operators. The
password is encrypted at rest (``SecretBox``) and never returned.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from functools import partial
from typing import Any

from core.auth.models import CurrentUser
from core.db import mailbox_repo
from core.db.integration_records import Mailbox, MailboxMessage
from core.db.session import service_session, user_session
from core.errors import InvoiceFlowError, ValidationFailed
from core.ingestion.imap_mailbox import ImapMailbox, MailboxConfig
from core.outbound.secret_box import SecretBox
from core.outbound.targets import check_host
from core.workflow import mail_intake
from core.workflow.access import OWNERS, WRITERS, require_owned, require_role
from core.workflow.services import Services
from core.workflow.transitions import worker_user

log = logging.getLogger(__name__)
SECURITY = ("ssl", "starttls", "none")


class DbSeenStore:
    """The adapter's ``SeenStore`` in ``public.mailbox_seen``, written as the mailbox's principal
    (one short transaction per call, so what is recorded survives a crash right after)."""

    def __init__(self, services: Services, box: mailbox_repo.DueMailbox) -> None:
        self._services, self._box = services, box
        self._claims = worker_user(box.principal_id).claims

    def get(self, key: str) -> str | None:
        with user_session(self._services.engine, self._claims) as s:
            return mailbox_repo.seen_get(s, self._box.id, key)

    def put(self, key: str, value: str) -> None:
        with user_session(self._services.engine, self._claims) as s:
            mailbox_repo.seen_put(s, self._box.client_id, self._box.id, key, value)


def _fields(services: Services, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    out = dict(data)
    if "security" in out and out["security"] is not None and out["security"] not in SECURITY:
        raise ValidationFailed("security must be ssl, starttls or none", field="security")
    allow_loopback = services.settings.loopback_targets_allowed
    if out.get("security") == "none" and not allow_loopback:
        raise ValidationFailed("an unencrypted connection is only for loopback tests",
                               field="security")  # fmt: skip
    if out.get("host") is not None:
        check_host(out["host"], int(out.get("port") or 993), allow_loopback=allow_loopback)
    folders = [out.get(k) for k in ("folder", "processed_folder", "failed_folder")]
    if creating or any(f is not None for f in folders):
        MailboxConfig(  # validates the folder names (plain ASCII, all different)
            host="x", username="x", password="x",  # noqa: S106 - a shape check only
            folder=out.get("folder") or "INBOX",
            processed_folder=out.get("processed_folder") or "InvoiceFlow-Processed",
            failed_folder=out.get("failed_folder") or "InvoiceFlow-Failed",
        )  # fmt: skip
    if out.get("password") is not None:
        if not out["password"]:
            raise ValidationFailed("give the mailbox password", field="password")
        out["password"] = SecretBox.from_settings(services.settings).encrypt(out["password"])
    return out


def create_mailbox(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, **data: Any
) -> Mailbox:
    """A new mailbox of ``client_id`` (owners only), polled from now on."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)  # who may, before what (a 403 says nothing of hosts)
        fields = _fields(services, data, creating=True)
        return mailbox_repo.create(s, client_id=client_id, fields=fields)


def _own(s: Any, client_id: uuid.UUID, mailbox_id: uuid.UUID, roles: tuple[str, ...]) -> Mailbox:
    load = partial(mailbox_repo.get, s, mailbox_id)
    return require_owned(s, client_id, roles, load, "mailbox", mailbox_id=mailbox_id)


def update_mailbox(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, mailbox_id: uuid.UUID,
    **data: Any,
) -> Mailbox:  # fmt: skip
    """Change a mailbox (owners only); a new password replaces the stored one."""
    with user_session(services.engine, user.claims) as s:
        _own(s, client_id, mailbox_id, OWNERS)
        fields = _fields(services, data, creating=False)
        return mailbox_repo.update(s, mailbox_id, fields)


def delete_mailbox(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, mailbox_id: uuid.UUID
) -> None:
    """Delete a mailbox (owners only): its principal loses access at once."""
    with user_session(services.engine, user.claims) as s:
        _own(s, client_id, mailbox_id, OWNERS)
        mailbox_repo.delete(s, mailbox_id)


def list_mailboxes(*, services: Services, user: CurrentUser, client_id: uuid.UUID) -> list[Mailbox]:
    """The client's mailboxes with their last poll (owners and operators)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, WRITERS)
        return mailbox_repo.list_for_client(s, client_id)


def list_messages(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, mailbox_id: uuid.UUID,
    outcome: str | None = None, limit: int = 50, offset: int = 0,
) -> list[MailboxMessage]:  # fmt: skip
    """What happened to each message, newest first (``outcome='failed'``: the failures)."""
    with user_session(services.engine, user.claims) as s:
        _own(s, client_id, mailbox_id, WRITERS)
        return mailbox_repo.messages(s, mailbox_id, outcome=outcome, limit=limit, offset=offset)


def poll_due(services: Services, *, mailbox_id: uuid.UUID | None = None) -> dict[str, int]:
    """Poll every due mailbox once (or the one given); counts of message outcomes."""
    with service_session(services.engine, "mail.poll") as s:
        boxes = mailbox_repo.due(s, mailbox_id=mailbox_id)
    totals: dict[str, int] = {}
    for box in boxes:
        # A poll can outlast the interval: a second worker must not poll the same mailbox at
        # the same time (both would hand the same documents over).
        with mailbox_repo.poll_lock(services.engine, box.id) as mine:
            if not mine:
                continue
            for outcome, n in poll_one(services, box).items():
                totals[outcome] = totals.get(outcome, 0) + n
    return totals


def poll_one(services: Services, box: mailbox_repo.DueMailbox) -> dict[str, int]:
    """One poll of one mailbox as its principal; the outcome is recorded, errors included."""
    principal = worker_user(box.principal_id)
    counts: dict[str, int] = {}
    error: str | None = None
    try:
        allow_loopback = services.settings.loopback_targets_allowed
        # checked at poll time too, and the connection goes to the address checked
        addresses = check_host(box.host, box.port, allow_loopback=allow_loopback)
        config = MailboxConfig(
            host=box.host, port=box.port, security=box.security,  # type: ignore[arg-type]
            address=addresses[0],
            username=box.username,
            password=SecretBox.from_settings(services.settings).decrypt(box.password_ciphertext),
            folder=box.folder, processed_folder=box.processed_folder,
            failed_folder=box.failed_folder,
        )  # fmt: skip
        callback = mail_intake.upload_callback(
            services=services, user=principal, client_id=box.client_id
        )
        report = ImapMailbox(config, DbSeenStore(services, box)).poll(callback)
        with user_session(services.engine, principal.claims) as s:
            for message in report.messages:
                counts[message.outcome] = counts.get(message.outcome, 0) + 1
                mailbox_repo.log_message(s, box.client_id, box.id, dataclasses.asdict(message))
    except InvoiceFlowError as exc:
        error = f"{exc.code}: {exc.message}"
    except Exception as exc:  # an IMAP or network failure: reported, retried next poll
        log.warning("mailbox poll failed", extra={"mailbox_id": str(box.id)}, exc_info=True)
        error = f"{type(exc).__name__}: {exc}"
    with service_session(services.engine, "mail.poll") as s:
        mailbox_repo.record_poll(s, box.id, error=error, counts=counts)
    return counts
