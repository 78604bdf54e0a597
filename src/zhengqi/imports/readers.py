"""Reading an operator's export: CSV (UTF-8, GBK or both, line by line; UTF-16 as Excel's
“Unicode text” writes it; comma- or tab-separated; a line in no known encoding is refused alone),
Excel (xlsx; a header row is found under merged group titles) and Parquet.

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
    # Rows refused before their cells are read (a line in no known encoding, unbalanced quotes):
    # line → reason; filled as ``rows`` is read, before the row itself is yielded.
    refused: dict[int, str] = field(default_factory=dict)


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


# A field may be as long as a cell a user can type into a spreadsheet, and longer: the column's
# parser refuses what is too long for it, with the row, instead of the csv module failing the file.
csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "gb18030": "GBK/GB18030",
    "utf-8+gb18030": "UTF-8（部分行为 GBK）",
    "utf-16": "UTF-16",
    "xlsx": "Excel",
    "parquet": "Parquet",
    "spark": "Spark",
}


def decode_line(raw: bytes) -> tuple[str, str | None]:
    """One line of a text file as ``(text, encoding)``: UTF-8 when it decodes as UTF-8 (GBK text
    almost never does), else GB18030, so that a file exported from two systems still reads line by
    line. Neither: the text with replacement marks and ``None``; the row is refused, showing it."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace"), None


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a byte-order mark: a header that starts with two Latin letters or digits, each
    beside a NUL (no text file's header starts with NUL otherwise)."""
    head = data[:4]
    return len(head) == 4 and (
        (head[1] == head[3] == 0 and head[0] != 0 and head[2] != 0)
        or (head[0] == head[2] == 0 and head[1] != 0 and head[3] != 0)
    )


def _delimiter(first_lines: list[str]) -> str:
    """Comma, or tab for Excel's “Unicode text” and other tab-separated exports."""
    sample = "\n".join(first_lines)
    return "\t" if sample.count("\t") > sample.count(",") else ","


def _csv(path: Path, known: set[str]) -> Source:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith(UTF16_BOMS) or _looks_utf16(data):
        try:
            text_lines = data.decode("utf-16" if data.startswith(UTF16_BOMS) else _utf16_order(data)).split("\n")
        except UnicodeDecodeError as err:
            raise FileRefused(
                "文件看起来是 UTF-16 编码，但无法按 UTF-16 读取：请另存为“CSV UTF-8”后重新导入。"
            ) from err
        decoded: list[tuple[str, str | None]] = [(line, "utf-16") for line in text_lines]
    else:
        decoded = [decode_line(raw) for raw in data.split(b"\n")]
    used = {encoding for text, encoding in decoded if encoding and not text.isascii()}  # ASCII reads as both
    encoding = "utf-8+gb18030" if len(used) > 1 else (used.pop() if used else "utf-8")
    undecodable = {number for number, (_text, enc) in enumerate(decoded, start=1) if enc is None}
    source = Source([], 0, iter(()), encoding)

    def lines() -> Iterator[str]:
        for text, _enc in decoded:
            yield text.rstrip("\r") + "\n"

    delimiter = _delimiter([text for text, _enc in decoded[:HEADER_SEARCH_ROWS]])
    reader = csv.reader(lines(), delimiter=delimiter)
    previous = 0

    def next_row() -> tuple[int, list[str]] | None:
        """The next row and its last line, or None at the end; a line the csv module cannot read
        is refused alone and reading goes on."""
        nonlocal previous
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return None
            except csv.Error:  # a carriage return inside an unquoted field: read the line as a space
                previous = reader.line_num
                text = decoded[reader.line_num - 1][0].rstrip("\r").replace("\r", " ")
                try:
                    return reader.line_num, next(csv.reader([text], delimiter=delimiter), [])
                except csv.Error:
                    source.refused[reader.line_num] = "该行的引号或分隔符不成对，无法拆分成列。"
                    return reader.line_num, text.split(delimiter)
            first, previous = previous + 1, reader.line_num
            if any(n in undecodable for n in range(first, reader.line_num + 1)):
                label = ENCODING_LABELS.get(encoding, encoding)
                source.refused[reader.line_num] = f"该行既不是 UTF-8 也不是 GBK 编码（文件是 {label}），无法读取。"
            return reader.line_num, cells

    buffered: list[tuple[int, list[str]]] = []
    while len(buffered) < HEADER_SEARCH_ROWS and (row := next_row()) is not None:
        buffered.append(row)
    header_index = _find_header([cells for _line, cells in buffered], known)
    if header_index is None:
        raise FileRefused("找不到表头：前 10 行中没有一行包含本导入类型的列名。请对照 docs/imports.md 的样例文件。")
    header_line, header = buffered[header_index]

    def rows() -> Iterator[tuple[int, list[str]]]:
        yield from buffered[header_index + 1 :]
        while (row := next_row()) is not None:
            yield row

    source.header, source.header_line, source.rows = [h.strip() for h in header], header_line, rows()
    return source


def _utf16_order(data: bytes) -> str:
    return "utf-16-le" if data[1] == 0 else "utf-16-be"


def _find_header(candidates: list[list[str]], known: set[str]) -> int | None:
    best, best_hits = None, 0
    for index, cells in enumerate(candidates):
        hits = sum(1 for c in cells if str(c).strip().lower() in known)
        if hits > best_hits:
            best, best_hits = index, hits
    return best


def cell_text(value: object) -> str:
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
        head.append([cell_text(v) for v in values])
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    index = _find_header(head, known)
    if index is None:
        raise FileRefused("找不到表头：第一个工作表的前 10 行中没有本导入类型的列名。")

    def body() -> Iterator[tuple[int, list[str]]]:
        for number, cells in enumerate(head[index + 1 :], start=index + 2):
            yield number, cells
        for number, values in enumerate(rows, start=len(head) + 1):
            yield number, [cell_text(v) for v in values]
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
                yield number, [cell_text(v) for v in values]

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
        raise FileRefused(f"找不到 Spark 表“{table}”：{str(err).strip().splitlines()[0][:200]}") from err

    def body() -> Iterator[tuple[int, list[str]]]:
        for number, row in enumerate(frame.toLocalIterator(), start=2):
            yield number, [cell_text(v) for v in row]

    return Source(list(frame.columns), 1, body(), "spark")
