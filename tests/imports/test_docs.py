"""docs/imports.md is generated from the schemas, and its sample files import without a refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengqi.engine.lake import Lake
from zhengqi.imports.kinds import KINDS
from zhengqi.imports.schemas import as_markdown
from zhengqi.imports.services import import_file

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_page_lists_every_column_of_every_kind() -> None:
    page = (DOCS / "imports.md").read_text(encoding="utf-8")
    generated = page.split("<!-- BEGIN KINDS (generated from zhengqi.imports.schemas.as_markdown) -->\n")[1]
    assert generated.split("<!-- END KINDS -->")[0] == as_markdown(), "regenerate docs/imports.md's tables"


@pytest.mark.django_db
def test_the_sample_files_import_cleanly(tmp_path: Path) -> None:
    for kind in KINDS:  # customers first: the facts refer to them
        batch = import_file(kind, DOCS / "samples" / f"{kind}.csv", lake=Lake(tmp_path / "lake"))
        assert batch.status == "succeeded", batch.message
        assert batch.rejected == 0, list(batch.rejections.values_list("line", "reason"))
        assert batch.inserted > 0
