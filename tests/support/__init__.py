"""Helpers shared by the web, monitoring and browser tests."""
