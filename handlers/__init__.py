"""mailtriage's product logic: each capability is a module with one entry point; no chat SDKs here."""
