"""Helpers the test suites share: import them as ``tests.helpers.<module>``."""
