"""The analytics engine: pure Python on Ibis (DuckDB by default, PySpark at scale).

It never imports Django; the web app calls it through a small interface.
"""
