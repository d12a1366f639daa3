"""Example mapping files (package data)."""
