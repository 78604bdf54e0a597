"""Zhengqi (政企): marketing management for a telecom operator's group customers."""

__version__ = "0.1.0"
