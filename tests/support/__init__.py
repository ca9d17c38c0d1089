"""Helpers shared by the test areas: layer checks, shared models and the loopback HTTP server."""
