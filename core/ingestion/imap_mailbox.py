"""IMAP mailbox adapter: poll a folder, hand each invoice document to a callback, file the mail.

One ``poll`` opens a connection (stdlib ``imaplib``), selects the folder and goes through its
messages oldest first (at most ``max_messages`` per poll). For each message:

1. Already finished (its identity, Message-ID or else a hash of the raw bytes, is in the
   ``SeenStore``; or it carries the ``$IFDone`` keyword because a move failed): it is only
   moved on; nothing is handed over again.
2. Too large, or no document in it: moved to the failed folder with a reason keyword.
3. Otherwise every document (see ``mail_documents``) goes to ``on_document(bytes, filename,
   content_type, meta)``, which answers ``Accepted`` or ``Refused(reason)``; a document already
   handed over for this message (same SHA-256) is not handed over again, so a poll cut short
   (a killed worker, a dropped connection) resumes where it stopped. A message with at least one
   accepted document goes to the processed folder, one whose documents were all refused to the
   failed folder with ``$IFRefused``.
4. If ``on_document`` raises, nothing is decided: the message stays where it is (no flag, not
   moved) and is tried again at the next poll; after ``max_attempts`` such polls it goes to the
   failed folder with ``$IFError``.

Nothing is ever deleted: a message leaves the polled folder only by MOVE (or COPY + expunge of
that one UID where the server lacks MOVE) into one of the two folders. The reason of a failed
message is an IMAP keyword on it (``$IFNoDocuments``, ``$IFTooLarge``, ``$IFRefused``,
``$IFError``) and, in words, in the poll's report. The message's sender, subject and Message-ID
reach the callback in ``MessageMeta``. The per-client configuration, the secret storage and the
periodic worker poll build on this (``SeenStore`` is the seam for a database table).
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Literal, Protocol

from core.errors import UpstreamError, UpstreamTimeout, ValidationFailed
from core.ingestion.mail_documents import documents_in, headers_of, parse_message

log = logging.getLogger(__name__)

FLAG_DONE = "$IFDone"
REASON_FLAGS = {
    "no_documents": "$IFNoDocuments",
    "too_large": "$IFTooLarge",
    "refused": "$IFRefused",
    "error": "$IFError",
}
_FOLDER = re.compile(r"^[A-Za-z0-9 ._/-]{1,200}$")
_FETCH_ITEM = re.compile(rb"UID (\d+)|RFC822\.SIZE (\d+)|FLAGS \(([^)]*)\)")


@dataclass(frozen=True)
class MailboxConfig:
    """Where to poll and where to file messages; ``password`` is the mailbox secret."""

    host: str
    username: str
    password: str = field(repr=False)
    port: int = 993
    security: Literal["ssl", "starttls", "none"] = "ssl"  # "none": loopback tests only
    folder: str = "INBOX"
    processed_folder: str = "InvoiceFlow-Processed"
    failed_folder: str = "InvoiceFlow-Failed"
    max_messages: int = 100
    max_message_bytes: int = 50 * 1024 * 1024
    max_attempts: int = 3
    timeout_seconds: float = 30.0
    # The address the host was checked at (core.outbound.targets.check_host): the connection
    # goes there, the host name stays for TLS. None: connect to the host name.
    address: str | None = None

    def __post_init__(self) -> None:
        for name in (self.folder, self.processed_folder, self.failed_folder):
            if not _FOLDER.match(name):
                raise ValidationFailed(f"folder name {name!r} must be plain ASCII")
        if len({self.folder, self.processed_folder, self.failed_folder}) != 3:
            raise ValidationFailed("the polled, processed and failed folders must differ")


@dataclass(frozen=True)
class MessageMeta:
    """What the callback learns about the message a document came from."""

    uid: int
    uidvalidity: int
    message_key: str  # Message-ID, or "sha256:<hash of the raw message>" without one
    message_id: str | None
    sender: str | None
    subject: str
    date: str | None
    folder: str


@dataclass(frozen=True)
class Accepted:
    """The document was taken (e.g. uploaded, or already known as a duplicate)."""

    note: str = ""


@dataclass(frozen=True)
class Refused:
    """The document cannot be taken, for ``reason`` (e.g. unreadable, not an invoice)."""

    reason: str


Outcome = Accepted | Refused
OnDocument = Callable[[bytes, str, str, MessageMeta], Outcome]


class SeenStore(Protocol):
    """Remembers what was finished, across polls (and, once stored in the database, workers).

    Keys are opaque strings: ``msg:<message key>`` for a filed message, ``doc:<message
    key>:<sha256>`` for a document handed over, ``try:<message key>`` counts failed attempts.
    """

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...


class MemorySeenStore:
    """A ``SeenStore`` in process memory (tests, one-off runs)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def put(self, key: str, value: str) -> None:
        self.values[key] = value


@dataclass
class DocumentReport:
    filename: str
    content_type: str
    outcome: Literal["accepted", "refused", "skipped"]
    reason: str = ""


@dataclass
class MessageReport:
    """What happened to one message in a poll."""

    uid: int
    message_key: str
    sender: str | None
    subject: str
    outcome: Literal["processed", "failed", "retry", "already_done"]
    reason: str = ""
    documents: list[DocumentReport] = field(default_factory=list)


@dataclass
class PollReport:
    """One poll: every message looked at, in order."""

    folder: str
    uidvalidity: int = 0
    messages: list[MessageReport] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(m.outcome == outcome for m in self.messages)


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(typ: str, data: Sequence[object], what: str) -> Sequence[object]:
    if typ != "OK":
        raise UpstreamError(f"IMAP {what} failed: {data!r}"[:300])
    return data


def _open(address: str, port: int, timeout: float | None) -> socket.socket:
    if timeout is not None:
        return socket.create_connection((address, port), timeout)
    return socket.create_connection((address, port))


class _PinnedIMAP4(imaplib.IMAP4):
    """IMAP4 that connects to the checked address instead of resolving the name again (a DNS
    answer that changed between the check and the connection could not steer it elsewhere)."""

    def __init__(self, host: str, port: int, *, address: str | None, timeout: float) -> None:
        self._address = address  # before IMAP4.__init__, which connects
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return _open(self._address or self.host, self.port, timeout)


class _PinnedIMAP4SSL(imaplib.IMAP4_SSL):
    """IMAP4_SSL to the checked address; the certificate is checked against the host name."""

    def __init__(
        self, host: str, port: int, *, address: str | None, ssl_context: ssl.SSLContext,
        timeout: float,
    ) -> None:  # fmt: skip
        self._address = address
        super().__init__(host, port, ssl_context=ssl_context, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = _open(self._address or self.host, self.port, timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


class ImapMailbox:
    """A mailbox to poll; each ``poll`` uses its own connection."""

    def __init__(self, config: MailboxConfig, store: SeenStore | None = None) -> None:
        self.config = config
        self.store: SeenStore = store if store is not None else MemorySeenStore()

    @contextmanager
    def connect(self) -> Iterator[imaplib.IMAP4]:
        """A signed-in connection (closed afterwards); typed errors for network and login."""
        c = self.config
        try:
            if c.security == "ssl":
                imap: imaplib.IMAP4 = _PinnedIMAP4SSL(
                    c.host, c.port, address=c.address, ssl_context=ssl.create_default_context(),
                    timeout=c.timeout_seconds,
                )  # fmt: skip
            else:
                imap = _PinnedIMAP4(c.host, c.port, address=c.address, timeout=c.timeout_seconds)
                if c.security == "starttls":
                    imap.starttls(ssl_context=ssl.create_default_context())
            imap.login(c.username, c.password)
        except TimeoutError as exc:
            raise UpstreamTimeout(f"the IMAP server {c.host}:{c.port} did not answer") from exc
        except (OSError, imaplib.IMAP4.error) as exc:
            raise UpstreamError(f"cannot sign in to IMAP {c.host}:{c.port}: {exc}"[:300]) from exc
        try:
            yield imap
        finally:
            with suppress(OSError, imaplib.IMAP4.error):
                imap.logout()

    def poll(self, on_document: OnDocument) -> PollReport:
        """Go through the folder once (see the module docstring); returns what happened."""
        c = self.config
        with self.connect() as imap:
            for folder in (c.processed_folder, c.failed_folder):
                imap.create(_quote(folder))  # NO when it exists already: fine
            _check(*imap.select(_quote(c.folder)), f"SELECT {c.folder}")
            uidvalidity = int((imap.response("UIDVALIDITY")[1] or [b"0"])[0] or 0)  # type: ignore[arg-type]
            report = PollReport(folder=c.folder, uidvalidity=uidvalidity)
            uids = self._uids(imap)[: c.max_messages]
            for uid in uids:
                try:
                    report.messages.append(self._one(imap, uid, uidvalidity, on_document))
                except (OSError, imaplib.IMAP4.error) as exc:  # connection lost: next poll
                    raise UpstreamError(f"IMAP failed at UID {uid}: {exc}"[:300]) from exc
            return report

    @staticmethod
    def _uids(imap: imaplib.IMAP4) -> list[int]:
        data = _check(*imap.uid("SEARCH", "ALL"), "SEARCH")
        raw = data[0] if data and isinstance(data[0], bytes) else b""
        return sorted(int(u) for u in raw.split())

    def _fetch_head(self, imap: imaplib.IMAP4, uid: int) -> tuple[int, set[str]]:
        data = _check(*imap.uid("FETCH", str(uid), "(UID RFC822.SIZE FLAGS)"), "FETCH")
        size, flags = 0, set()
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if not isinstance(line, bytes):
                continue
            for m in _FETCH_ITEM.finditer(line):
                if m.group(2):
                    size = int(m.group(2))
                if m.group(3) is not None:
                    flags = {f.decode() for f in m.group(3).split()}
        return size, flags

    @staticmethod
    def _fetch_body(imap: imaplib.IMAP4, uid: int) -> bytes:
        data = _check(*imap.uid("FETCH", str(uid), "(BODY.PEEK[])"), "FETCH body")
        for item in data:
            if isinstance(item, tuple) and isinstance(item[1], bytes):
                return item[1]
        raise UpstreamError(f"the IMAP server returned no body for UID {uid}")

    def _move(self, imap: imaplib.IMAP4, uid: int, folder: str, flags: tuple[str, ...]) -> None:
        """Flag the message (done + reason), then move it; COPY + expunge of the UID if needed."""
        imap.uid("STORE", str(uid), "+FLAGS", f"({' '.join((FLAG_DONE, *flags))})")
        typ, _ = imap.uid("MOVE", str(uid), _quote(folder))
        if typ == "OK":
            return
        _check(*imap.uid("COPY", str(uid), _quote(folder)), f"COPY to {folder}")
        imap.uid("STORE", str(uid), "+FLAGS", "(\\Deleted)")
        _check(*imap.uid("EXPUNGE", str(uid)), "UID EXPUNGE")  # UIDPLUS: only this message

    def _fail(
        self, imap: imaplib.IMAP4, uid: int, report: MessageReport, code: str, reason: str
    ) -> MessageReport:
        self._move(imap, uid, self.config.failed_folder, (REASON_FLAGS[code],))
        self.store.put(f"msg:{report.message_key}", f"failed:{code}")
        report.outcome, report.reason = "failed", f"{code}: {reason}"
        log.info("mail %s filed as failed: %s", report.message_key, report.reason)
        return report

    def _one(
        self, imap: imaplib.IMAP4, uid: int, uidvalidity: int, on_document: OnDocument
    ) -> MessageReport:
        c = self.config
        size, flags = self._fetch_head(imap, uid)
        uid_key = f"uid:{uidvalidity}:{uid}"
        if size > c.max_message_bytes:
            report = MessageReport(uid, uid_key, None, "", "failed")
            return self._fail(
                imap, uid, report, "too_large", f"{size} bytes; the limit is {c.max_message_bytes}"
            )
        raw = self._fetch_body(imap, uid)
        msg = parse_message(raw)
        head = headers_of(msg)
        key = head.message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
        report = MessageReport(uid, key, head.sender, head.subject, "processed")
        done = self.store.get(f"msg:{key}") or self.store.get(f"msg:{uid_key}")
        if done or FLAG_DONE in flags:
            target = c.failed_folder if (done or "").startswith("failed") else c.processed_folder
            self._move(imap, uid, target, ())
            report.outcome, report.reason = "already_done", done or FLAG_DONE
            return report
        documents = documents_in(msg)
        if not documents:
            return self._fail(imap, uid, report, "no_documents", "no PDF, image or XML in it")
        meta = MessageMeta(
            uid, uidvalidity, key, head.message_id, head.sender, head.subject, head.date, c.folder
        )
        try:
            for doc in documents:
                doc_key = f"doc:{key}:{doc.sha256}"
                before = self.store.get(doc_key)
                if before is not None:
                    outcome, _, why = before.partition(":")
                    report.documents.append(
                        DocumentReport(doc.filename, doc.content_type, "skipped", why or outcome)
                    )
                    continue
                result = on_document(doc.data, doc.filename, doc.content_type, meta)
                state: Literal["accepted", "refused"] = (
                    "accepted" if isinstance(result, Accepted) else "refused"
                )
                why = result.note if isinstance(result, Accepted) else result.reason
                self.store.put(doc_key, f"{state}:{why}")
                report.documents.append(DocumentReport(doc.filename, doc.content_type, state, why))
        except Exception as exc:  # the callback could not decide: try again next poll
            attempts = int(self.store.get(f"try:{key}") or 0) + 1
            self.store.put(f"try:{key}", str(attempts))
            log.warning("mail %s: attempt %d failed: %s", key, attempts, exc)
            if attempts >= c.max_attempts:
                return self._fail(imap, uid, report, "error", f"{attempts} attempts: {exc}")
            report.outcome, report.reason = "retry", f"attempt {attempts}: {exc}"[:300]
            return report
        taken = [self.store.get(f"doc:{key}:{d.sha256}") or "" for d in documents]
        if not any(t.startswith("accepted") for t in taken):
            reasons = "; ".join(
                f"{d.filename}: {t.partition(':')[2]}"
                for d, t in zip(documents, taken, strict=True)
            )
            return self._fail(imap, uid, report, "refused", reasons)
        self._move(imap, uid, c.processed_folder, ())
        self.store.put(f"msg:{key}", "processed")
        self.store.put(f"msg:{uid_key}", "processed")
        return report
