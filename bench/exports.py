"""Benchmark of list exports (issue 23: 40k rows within 10 s): the whole province's customer list
as the provincial admin downloads it, Excel and CSV, through the page's own view (filters, the
audit record, the file), timed to the last byte.

    ZHENGQI_VAR=var-bench .venv/bin/python bench/exports.py

ZHENGQI_VAR must hold a generated province (``zhengqi demo --size province``).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    if "ZHENGQI_VAR" not in os.environ:
        raise SystemExit("set ZHENGQI_VAR to a folder holding a generated province")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.test import Client

    from zhengqi.accounts.models import User

    admin = User.objects.get(username="admin")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    print(f"{'export':<28}{'rows':>8}{'bytes':>12}{'seconds':>9}")
    for label, url, params in [
        ("customers, xlsx", "/customers/export.xlsx", {}),
        ("customers, xlsx (again)", "/customers/export.xlsx", {}),
        ("customers, csv", "/customers/export.csv", {}),
        ("customers in service, xlsx", "/customers/export.xlsx", {"status": "active"}),
    ]:
        started = time.perf_counter()
        response: Any = client.get(url, params)
        size = sum(len(c) for c in response.streaming_content) if response.streaming else len(response.content)
        seconds = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        from zhengqi.accounts.models import ExportRecord

        record = ExportRecord.objects.order_by("-pk").first()
        rows = record.rows if record else 0
        print(f"{label:<28}{rows:>8,}{size:>12,}{seconds:>9.2f}")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB; target: 40k rows within 10 s")


if __name__ == "__main__":
    main()
