"""Contracts and checks: pandera row checks, keys, and reconciliation."""
