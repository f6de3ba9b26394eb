"""Audit: a tamper-evident, hash-chained log of every report event."""
