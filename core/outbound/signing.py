"""Standard Webhooks signing (https://www.standardwebhooks.com), with the ``standardwebhooks``
package: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">``, keyed with the endpoint's ``whsec_<base64>`` secret."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def message_id(event_id: str) -> str:
    """The ``webhook-id`` of an event: ``msg_`` and its id without dashes (stable on retries)."""
    return "msg_" + event_id.replace("-", "")


def signed_headers(secret: str, msg_id: str, body: str, at: dt.datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` sent at ``at`` (aware, UTC)."""
    at = at.astimezone(dt.timezone.utc)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
