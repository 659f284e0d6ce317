"""E-mail ingestion: invoice documents from mailboxes (IMAP)."""
