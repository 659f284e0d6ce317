"""Outbound integrations: where InvoiceFlow connects to (webhook receivers, IMAP servers), safely.

``targets`` decides which hosts may be reached (no private, loopback or special addresses unless
allowed), ``secret_box`` encrypts the secrets stored for them, ``signing`` signs webhook messages
(Standard Webhooks), ``webhook_sender`` posts one signed message to a checked address.
"""
