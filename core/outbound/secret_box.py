"""Secrets stored for integrations (webhook signing secrets, mailbox passwords), encrypted at rest.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key derived by HKDF-SHA256 from
``Settings.secrets_key_material`` (``INVOICEFLOW_SECRETS_KEY``, else the HS256 JWT secret). The
database only ever holds the token; a dump of it without the key reveals no secret.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.config import Settings
from core.errors import ConfigurationError

_INFO = b"invoiceflow stored secrets v1"


class SecretBox:
    """Encrypts and decrypts short secrets with the installation's key."""

    def __init__(self, material: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            material.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """The box for ``settings``; ``ConfigurationError`` when no key is configured."""
        material = settings.secrets_key_material
        if not material:
            raise ConfigurationError(
                "no key to encrypt stored secrets: set INVOICEFLOW_SECRETS_KEY "
                "(openssl rand -hex 32)"
            )
        return cls(material)

    def encrypt(self, secret: str) -> str:
        """The token to store for ``secret``."""
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The secret behind ``token``; ``ConfigurationError`` when the key does not open it."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, ValueError) as exc:
            raise ConfigurationError(
                "a stored secret cannot be decrypted (INVOICEFLOW_SECRETS_KEY changed?); "
                "set the secret again"
            ) from exc
