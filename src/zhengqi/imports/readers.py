"""Reading an operator's export: CSV (UTF-8 or GBK, detected; a line in the wrong encoding is
refused alone), Excel (xlsx; a header row is found under merged group titles) and Parquet.

A reader yields ``(line number, cells)``: the line a user sees in a spreadsheet or text editor
(the header is line 1 in a plain file), so that every refusal points at the right place.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HEADER_SEARCH_ROWS = 10


class FileRefused(Exception):
    """The file as a whole cannot be read (not a row of it): the message says why, in Chinese."""


@dataclass
class Source:
    header: list[str]
    header_line: int
    rows: Iterator[tuple[int, list[str]]]
    encoding: str
    bad_lines: list[tuple[int, str]] = field(default_factory=list)  # lines refused before parsing


SPARK_PREFIX = "spark:"


def open_source(path: Path, known: Iterable[str]) -> Source:
    """Open a CSV, xlsx or Parquet file, or a Spark/Hive table named ``spark:db.table``. ``known``
    are the header names (and aliases) of the import's columns: the header is the first row among
    the first ten that holds the most of them."""
    known_set = {k.strip().lower() for k in known}
    if str(path).startswith(SPARK_PREFIX):
        return _spark(str(path).removeprefix(SPARK_PREFIX))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _csv(path, known_set)
    if suffix == ".xlsx":
        return _xlsx(path, known_set)
    if suffix == ".parquet":
        return _parquet(path)
    raise FileRefused(f"不支持的文件类型“{path.suffix}”：请使用 CSV、Excel（.xlsx）或 Parquet。")


def detect_encoding(data: bytes) -> str:
    """UTF-8 when the file is (mostly) UTF-8, else GB18030 (a superset of GBK and GB2312)."""
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    sample = lines[: min(len(lines), 2000)]
    bad = sum(1 for line in sample if not _decodes(line, "utf-8"))
    return "utf-8" if bad * 10 < len(sample) else "gb18030"


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def _csv(path: Path, known: set[str]) -> Source:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    encoding = detect_encoding(data)
    bad: list[tuple[int, str]] = []
    label = "UTF-8" if encoding == "utf-8" else "GBK/GB18030"

    def lines() -> Iterator[str]:
        # A line that is not in the file's encoding is replaced by an empty one (so that the csv
        # module's line count stays right) and refused on its own.
        for number, raw in enumerate(data.split(b"\n"), start=1):
            try:
                yield raw.decode(encoding).rstrip("\r") + "\n"
            except UnicodeDecodeError:
                bad.append((number, f"该行不是 {label} 编码（文件其余部分是），无法读取。"))
                yield "\n"

    reader = csv.reader(lines())
    header: list[str] | None = None
    header_line = 0
    buffered: list[tuple[int, list[str]]] = []
    for cells in reader:
        buffered.append((reader.line_num, cells))
        if len(buffered) >= HEADER_SEARCH_ROWS:
            break
    header_index = _find_header([cells for _line, cells in buffered], known)
    if header_index is None:
        raise FileRefused("找不到表头：前 10 行中没有一行包含本导入类型的列名。请对照 docs/imports.md 的样例文件。")
    header_line, header = buffered[header_index]

    def rows() -> Iterator[tuple[int, list[str]]]:
        yield from buffered[header_index + 1 :]
        for cells in reader:
            yield reader.line_num, cells

    return Source([h.strip() for h in header], header_line, rows(), encoding, bad)


def _find_header(candidates: list[list[str]], known: set[str]) -> int | None:
    best, best_hits = None, 0
    for index, cells in enumerate(candidates):
        hits = sum(1 for c in cells if str(c).strip().lower() in known)
        if hits > best_hits:
            best, best_hits = index, hits
    return best


def _cell(value: object) -> str:
    """An Excel cell as the text a user typed: no ``.0`` on whole numbers, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _xlsx(path: Path, known: set[str]) -> Source:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a damaged file
        raise FileRefused(f"无法打开 Excel 文件：{err}") from err
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    head: list[list[str]] = []
    for values in rows:
        head.append([_cell(v) for v in values])
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    index = _find_header(head, known)
    if index is None:
        raise FileRefused("找不到表头：第一个工作表的前 10 行中没有本导入类型的列名。")

    def body() -> Iterator[tuple[int, list[str]]]:
        for number, cells in enumerate(head[index + 1 :], start=index + 2):
            yield number, cells
        for number, values in enumerate(rows, start=len(head) + 1):
            yield number, [_cell(v) for v in values]
        book.close()

    return Source([h.strip() for h in head[index]], index + 1, body(), "xlsx")


def _parquet(path: Path) -> Source:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as err:
        raise FileRefused(f"无法读取 Parquet 文件：{err}") from err
    header = parquet.schema_arrow.names

    def body() -> Iterator[tuple[int, list[str]]]:
        number = 1
        for batch in parquet.iter_batches(batch_size=65536):
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for values in zip(*columns, strict=True):
                number += 1
                yield number, [_cell(v) for v in values]

    return Source(header, 1, body(), "parquet")


def _spark(table: str) -> Source:
    """A table of the cluster's metastore (or a temporary view), read through the same schemas:
    Spark streams it to this process partition by partition."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:  # pragma: no cover - pyspark is a dev dependency here
        raise FileRefused("导入 Spark 表需要安装 pyspark。") from err
    spark = SparkSession.builder.appName("zhengqi-import").getOrCreate()
    try:
        frame = spark.table(table)
    except Exception as err:
        raise FileRefused(f"找不到 Spark 表“{table}”：{err}") from err

    def body() -> Iterator[tuple[int, list[str]]]:
        for number, row in enumerate(frame.toLocalIterator(), start=2):
            yield number, [_cell(v) for v in row]

    return Source(list(frame.columns), 1, body(), "spark")
