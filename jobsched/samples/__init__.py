"""Deterministic, realistic sample payloads and a local HTTP server that serves them (demo and tests)."""
