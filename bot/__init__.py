"""mailtriage's runtime: configuration, CLI, chat adapters, renderers, store, scheduler and HTTP server."""
