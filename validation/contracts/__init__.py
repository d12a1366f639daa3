"""Example contract files (package data)."""
