"""Importing a file: read, check every row, keep the good ones, refuse the bad ones with their line,
column and reason, and record the batch. Safe to re-run: rows are matched on their natural key,
an unchanged row is counted as unchanged and not written, and lake months are replaced atomically.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import (
    Customer,
    Product,
)
from zhengqi.customers.versions import data_changed
from zhengqi.engine.lake import Lake

from . import spark_lake
from .kinds import KINDS, WRITERS
from .models import ImportBatch, ImportRejection
from .readers import SPARK_PREFIX, FileRefused, Source, open_source
from .schemas import Kind, Lookups, ParsedRow, Problem, map_header, missing_required, parse_row

Progress = Callable[[int], None]  # rows read so far

logger = logging.getLogger(__name__)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_lookups(kind: Kind) -> Lookups:
    lookups = Lookups()
    keys = {c.key for c in kind.columns}
    if "region" in keys:
        for pk, code, name in Region.objects.values_list("pk", "code", "name"):
            lookups.regions[code] = pk
            lookups.regions.setdefault(name, pk)
    if {"customer_code"} & keys:
        lookups.customers = set(Customer.objects.values_list("code", flat=True))
    if {"product_code", "products"} & keys:
        lookups.products = dict(Product.objects.values_list("code", "pk"))
    if "account_manager" in keys:
        lookups.managers = dict(
            User.objects.filter(role=User.Role.ACCOUNT_MANAGER, is_active=True).values_list("username", "pk")
        )
    return lookups


def import_file(
    kind_name: str,
    path: Path,
    *,
    by: User | None = None,
    dry_run: bool = False,
    lake: Lake | None = None,
    progress: Progress | None = None,
    filename: str | None = None,
    batch: ImportBatch | None = None,
) -> ImportBatch:
    """Import one file and return its batch record (counts, rejections, status). A batch made
    beforehand (by the upload page, which runs the import in the background) may be passed in."""
    kind = KINDS.get(kind_name)
    if kind is None:
        raise FileRefused(f"未知的导入类型“{kind_name}”，可选：{'、'.join(KINDS)}。")
    if batch is None:
        spark = str(path).startswith(SPARK_PREFIX)
        batch = ImportBatch.objects.create(
            kind=kind.name,
            filename=filename or (str(path) if spark else path.name),
            sha256=hashlib.sha256(str(path).encode()).hexdigest() if spark else file_sha256(path),
            size=0 if spark else path.stat().st_size,
            by=by,
            dry_run=dry_run,
        )
    lake = lake or Lake(settings.ZHENGQI_LAKE)
    try:
        if str(path).startswith(SPARK_PREFIX) and kind.name in spark_lake.ON_THE_CLUSTER:
            # Checked, merged and written on the cluster: only refused rows and counts come back.
            done = spark_lake.import_table(
                kind, spark_lake.table_of(path), lake=lake, lookups=load_lookups(kind), dry_run=dry_run,
                duplicate=duplicate_problem(kind), progress=progress,
            )  # fmt: skip
            batch.encoding, batch.header = "spark", [_storable(h)[:200] for h in done.header][:200]
            counts, problems, total = done.counts, done.problems, done.total
        else:
            rows, problems, total = _read(kind, path, batch, progress)
            writer = WRITERS[kind.name]
            counts = writer(kind, rows, problems, dry_run=dry_run, lake=lake, batch=batch)
    except FileRefused as err:
        batch.status, batch.message = ImportBatch.Status.FAILED, str(err)
        batch.finished_at = timezone.now()
        batch.save()
        return batch
    except Exception as err:  # recorded on the batch so that the page shows it, then re-raised
        batch.status, batch.message = ImportBatch.Status.FAILED, f"导入出错：{err}"
        batch.finished_at = timezone.now()
        batch.save()
        data_changed()  # whatever it wrote before the error
        raise
    _attach_cells(kind, path, problems)
    ImportRejection.objects.bulk_create(_rejections(batch, problems), batch_size=2000)
    batch.rows_total = total
    batch.rejected = len({p.line for p in problems})
    batch.inserted = counts.get("inserted", 0)
    batch.updated = counts.get("updated", 0)
    batch.unchanged = counts.get("unchanged", 0)
    batch.months = counts.get("months", [])
    batch.conflicts = counts.get("conflicts", [])
    batch.status = ImportBatch.Status.SUCCEEDED
    batch.finished_at = timezone.now()
    batch.save()
    if not dry_run:
        data_changed()  # imports write in bulk, past the signals that version each customer's page
    return batch


def _rejections(batch: ImportBatch, problems: list[Problem]) -> list[ImportRejection]:
    """One record per reason; the row's original cells on the first of its line."""
    made: list[ImportRejection] = []
    lines: set[int] = set()
    for p in sorted(problems, key=lambda p: p.line):
        first = p.line not in lines
        lines.add(p.line)
        made.append(
            ImportRejection(
                batch=batch,
                line=p.line,
                column=_storable(p.column)[:60],
                value=_storable(p.value)[:200],
                reason=_storable(p.reason)[:300],
                cells=[_storable(c)[:1000] for c in (p.cells or [])][:200] if first else [],
            )
        )
    return made


def _storable(text: str) -> str:
    """NUL as the replacement mark: no database text (nor PostgreSQL's JSON) can hold it."""
    return text.replace("\x00", "\ufffd")


def _attach_cells(kind: Kind, path: Path, problems: list[Problem]) -> None:
    """Writers refuse rows by line (a credit code taken, a loop of parents): read those lines' cells
    again from the file, so that the report shows every refused row as it was."""
    wanted = {p.line for p in problems if p.cells is None}
    if not wanted or str(path).startswith(SPARK_PREFIX):
        return
    found: dict[int, list[str]] = {}
    source = open_source(path, [name for c in kind.columns for name in c.names()])
    for line, cells in source.rows:
        if line in wanted:
            found[line] = cells
            if len(found) == len(wanted):
                break
    for p in problems:
        if p.cells is None:
            p.cells = found.get(p.line)


def _rows_or_refuse(source: Source) -> Iterator[tuple[int, list[str]]]:
    """The source's rows; a file that breaks off part-way (a damaged workbook, a truncated Parquet
    file) is refused as a whole, in Chinese, before anything is written."""
    line = source.header_line
    try:
        for line, cells in source.rows:
            yield line, cells
    except FileRefused:
        raise
    except Exception as err:  # each reader's library raises its own kinds for a damaged file
        logger.warning("import: the file breaks off after line %s: %r", line, err)
        if source.encoding == "spark":  # not a damaged file: Spark failed (memory, a lost executor)
            reason = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
            raise FileRefused(
                f"读取 Spark 表时在第 {line} 行之后出错，没有导入任何一行：{reason}。"
                "请检查集群（如驱动进程内存 spark.driver.memory）后重新导入。"
            ) from err
        raise FileRefused(
            f"文件在第 {line} 行之后已损坏，无法继续读取（可能是传输不完整）。没有导入任何一行：请重新导出后再导入。"
        ) from err


def duplicate_problem(kind: Kind) -> Callable[[int, tuple[Any, ...], int, list[str]], Problem]:
    """How a row whose natural key an earlier row holds is refused (the first is kept)."""
    label = "、".join(kind.column(k).label for k in kind.key)

    def problem(line: int, key: tuple[Any, ...], first: int, cells: list[str]) -> Problem:
        return Problem(line, label, " ".join(map(str, key))[:200], f"与第 {first} 行的{label}重复。", cells)

    return problem


def _read(
    kind: Kind, path: Path, batch: ImportBatch, progress: Progress | None
) -> tuple[list[ParsedRow], list[Problem], int]:
    source = open_source(path, [name for c in kind.columns for name in c.names()])
    batch.encoding = source.encoding
    batch.header = [_storable(h)[:200] for h in source.header][:200]
    positions = map_header(kind, source.header)
    missing = missing_required(kind, positions)
    if missing:
        raise FileRefused("文件缺少必填列：" + "、".join(missing) + "。没有导入任何一行。")
    lookups = load_lookups(kind)
    rows: list[ParsedRow] = []
    problems: list[Problem] = []
    seen: dict[tuple[Any, ...], int] = {}
    duplicate = duplicate_problem(kind)
    total = 0
    for line, cells in _rows_or_refuse(source):
        refused = source.refused.get(line)
        if not refused and not any(c.strip() for c in cells):
            continue
        total += 1
        if progress and total % 10000 == 0:
            progress(total)
        if refused:
            problems.append(Problem(line, "", "", refused, cells))
            continue
        parsed = parse_row(kind, positions, line, cells, lookups)
        if isinstance(parsed, list):
            problems.extend(parsed)
            continue
        key = tuple(parsed.values[k] for k in kind.key)
        if key in seen:
            problems.append(duplicate(line, key, seen[key], cells))
            continue
        seen[key] = line
        rows.append(parsed)
    if progress:
        progress(total)
    return rows, problems, total


# --- writers: one per kind --------------------------------------------------------------------


SUFFIXES = (".csv", ".txt", ".xlsx", ".parquet")


def may_import(user: User) -> bool:
    return bool(user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN)


def import_start(*, by: User, kind_name: str, name: str, chunks: Iterable[bytes], dry_run: bool = False) -> ImportBatch:
    """Save an uploaded file and queue its import (run by ``zhengqi db_worker``); the batch shows
    its progress. Only the provincial admin imports."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from .jobs import import_task

    if not may_import(by):
        raise PermissionDenied("只有省公司管理员可以导入数据。")
    if kind_name not in KINDS:
        raise ValidationError(f"未知的导入类型“{kind_name}”，可选：{'、'.join(KINDS)}。")
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationError(f"不支持的文件类型“{suffix or name}”：请上传 CSV、Excel（.xlsx）或 Parquet 文件。")
    folder = Path(settings.VAR_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as f:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            f.write(chunk)
    batch = ImportBatch.objects.create(
        kind=kind_name, filename=Path(name).name[:255], sha256=digest.hexdigest(), size=size, by=by, dry_run=dry_run
    )
    # The database backend stores the task in the same transaction as the batch: no race.
    import_task.enqueue(batch.pk, str(path))
    batch.refresh_from_db()
    return batch
