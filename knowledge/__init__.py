"""Facts about mail as data files with a typed loader; imports nothing else of ours."""
