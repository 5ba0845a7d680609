"""`python -m bot` runs the same command line as `mailtriage`."""

from bot.cli.main import main

raise SystemExit(main())
