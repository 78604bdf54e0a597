"""The monthly feature table (grain: one row per customer per month); see ``catalogue.py``."""
