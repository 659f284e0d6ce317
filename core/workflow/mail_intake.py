"""From a mailbox to invoices: the ``on_document`` callback that uploads what the mail brought.

``upload_callback(services=..., user=..., client_id=...)`` returns the callback that
``core.ingestion.imap_mailbox.ImapMailbox.poll`` calls per document: it uploads the document
exactly as the API does (``uploads.upload_files``: sniffed, limited, stored once per client,
queued for extraction) as ``user``, in a batch named after the message. An accepted file and a
duplicate of an earlier upload are both ``Accepted`` (the document is in the product); a file
the upload refuses is ``Refused`` with the upload's code and message. A caller without the right
to upload raises, so the message stays in the mailbox until that is fixed (see the adapter). Which
principal polls each client's mailbox comes with the service principals.
"""

from __future__ import annotations

import uuid

from core.auth.models import CurrentUser
from core.ingestion.imap_mailbox import Accepted, MessageMeta, OnDocument, Outcome, Refused
from core.workflow import uploads
from core.workflow.services import Services

MAX_BATCH_NAME = 200


def batch_name(meta: MessageMeta) -> str:
    """``E-mail from <sender>: <subject>``, at most 200 characters."""
    name = f"E-mail from {meta.sender or 'unknown sender'}: {meta.subject or '(no subject)'}"
    return name[:MAX_BATCH_NAME]


def upload_callback(*, services: Services, user: CurrentUser, client_id: uuid.UUID) -> OnDocument:
    """The callback that uploads each mailed document for ``client_id`` as ``user``."""

    def on_document(data: bytes, filename: str, content_type: str, meta: MessageMeta) -> Outcome:
        result = uploads.upload_files(
            services=services,
            user=user,
            client_id=client_id,
            files=[uploads.UploadFile(filename, data)],
            batch_name=batch_name(meta),
        )
        outcome = result.files[0]
        if outcome.status == "accepted":
            return Accepted(f"invoice {outcome.invoice_id}")
        if outcome.status == "duplicate":
            return Accepted(f"already uploaded as invoice {outcome.invoice_id}")
        return Refused(f"{outcome.error_code}: {outcome.error}")

    return on_document
