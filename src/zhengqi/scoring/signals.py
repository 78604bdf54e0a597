"""What the month run tells the apps above it, without importing them (they connect here; the
portal wires them at start-up, see ``zhengqi.portal.apps``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import Signal

# Sent by the month run after it has written the month's alerts back, with ``month`` (the first day).
# Each receiver returns the counts it adds to the run's record, e.g. {"tasks_created": 12}; an
# exception fails the run like any other step.
alerts_opened = Signal()


def announce_alerts(month: dt.date) -> dict[str, Any]:
    """Send ``alerts_opened`` for ``month`` and gather the receivers' counts."""
    counts: dict[str, Any] = {}
    for _receiver, reply in alerts_opened.send(sender=announce_alerts, month=month):
        if isinstance(reply, dict):
            counts.update(reply)
    return counts
