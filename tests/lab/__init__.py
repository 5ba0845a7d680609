"""Real servers on loopback for the lab tests (DNS, blocklists, SMTP, IMAP/POP3, PostgreSQL)."""
