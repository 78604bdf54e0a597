#!/usr/bin/env python
"""Django's manage.py; the same as the ``zhengqi`` command."""

from zhengqi.cli import main

if __name__ == "__main__":
    main()
