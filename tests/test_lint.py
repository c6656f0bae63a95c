"""The code base stays within its own style rules (ruff for Python, sqlfluff for dbt models)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.slow
def test_sqlfluff_finds_nothing_in_the_dbt_models():
    result = run(str(BIN / "sqlfluff"), "lint", "dbt_project/models")
    assert result.returncode == 0, result.stdout[-3000:]
    # a model dbt cannot compile without a warehouse is skipped with a warning, not linted
    assert "Skipped file" not in result.stdout + result.stderr, result.stdout[-3000:]
