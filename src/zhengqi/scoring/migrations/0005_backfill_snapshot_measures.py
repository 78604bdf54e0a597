"""Fill the measure columns of snapshots written before they existed, from the features each
snapshot kept. The features added with the columns (year to date, last month, arrears age, "三无"
clean-up) are not in old snapshots: re-run those months (``zhengqi run-month --last N``) to get them."""

from decimal import Decimal

from typing import Any

from django.db import migrations

FROM_FEATURES = ("revenue", "revenue_info", "revenue_line", "arrears", "members_active", "members_idle", "product_count")
MONEY = {"revenue", "revenue_info", "revenue_line", "arrears"}


def backfill(apps: Any, schema_editor: Any) -> None:
    Snapshot = apps.get_model("scoring", "CustomerSnapshot")
    batch = []
    for snap in Snapshot.objects.filter(revenue=0, members_active=0).only("id", "features").iterator(chunk_size=2000):
        feats = snap.features or {}
        if not any(feats.get(name) for name in FROM_FEATURES):
            continue
        for name in FROM_FEATURES:
            value = feats.get(name) or 0
            setattr(snap, name, Decimal(str(round(float(value), 2))) if name in MONEY else int(value))
        batch.append(snap)
        if len(batch) >= 2000:
            Snapshot.objects.bulk_update(batch, FROM_FEATURES)
            batch = []
    if batch:
        Snapshot.objects.bulk_update(batch, FROM_FEATURES)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0004_snapshot_measures")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
