"""Jinja2 templates of the printable report (package data)."""
