"""Audit: the tamper-evident hash chain and canonical hashing.

Imports nothing of ikou's; ``audit.chain`` uses only the standard library.
"""
