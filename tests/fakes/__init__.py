"""Fake platform servers for end-to-end channel tests."""
