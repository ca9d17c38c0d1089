"""Helpers shared by the test areas: layer checks and the loopback HTTP server."""
