"""Staging: one module per source table; rename, cast and clean, nothing more.

Months become ``month_idx`` (year × 12 + month − 1), an integer that every engine compares and
subtracts the same way.
"""
