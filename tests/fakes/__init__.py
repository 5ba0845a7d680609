"""Fake chat platform APIs served on loopback for tests."""
