"""The `mailtriage` command line: one module per subcommand, each light to import."""
