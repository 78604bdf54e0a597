"""The analytics engine never imports Django (SPEC: architecture). import-linter checks the
static imports; this test also checks what importing the engine actually loads."""

import subprocess
import sys
from pathlib import Path


def test_import_linter_contract_holds() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--no-cache"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def test_importing_the_engine_loads_no_django() -> None:
    code = (
        "import sys, pkgutil, importlib, zhengqi.engine as e\n"
        "for m in pkgutil.walk_packages(e.__path__, 'zhengqi.engine.'): importlib.import_module(m.name)\n"
        "import zhengqi.engine.lake as lake; lake.Lake('/tmp').connect\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'ninja')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
