"""The same seed gives byte-identical exports; the output folder is only ever a complete export.

`generate_export` writes into a temporary ``.<name>.*`` folder beside ``out`` and renames it
into place at the end; a non-empty ``out`` is refused unless ``--force``.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from emis.cli import main
from ingestion.synthetic import export as export_module
from tests.integration.conftest import SEED, YEAR, GeneratedExport, generate


def files_of(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def assert_identical(left: Path, right: Path) -> None:
    names = sorted(path.name for path in left.iterdir())
    assert names == sorted(path.name for path in right.iterdir())
    assert {"manifest.json", "defects.csv"} <= set(names)
    _, mismatch, errors = filecmp.cmpfiles(left, right, names, shallow=False)
    assert (mismatch, errors) == ([], [])


def generate_args(out: Path, *extra: str) -> list[str]:
    return [
        "generate",
        "--scale",
        "tiny",
        "--seed",
        str(SEED),
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def test_same_seed_gives_identical_tiny_exports(tiny_export: GeneratedExport, tmp_path) -> None:
    assert_identical(tiny_export.path, generate("tiny", SEED, tmp_path / "again"))


def test_another_seed_gives_other_learners(tiny_export: GeneratedExport, tmp_path) -> None:
    other = generate("tiny", SEED + 1, tmp_path / "other")
    students = "students.csv"
    assert (other / students).read_bytes() != tiny_export.file(students).read_bytes()


@pytest.mark.slow
def test_same_seed_gives_identical_small_exports(small_export: GeneratedExport, tmp_path) -> None:
    assert_identical(small_export.path, generate("small", SEED, tmp_path / "again"))


def test_cli_refuses_a_non_empty_folder_and_leaves_it_untouched(tmp_path: Path) -> None:
    out = tmp_path / "export"
    out.mkdir()
    (out / "notes.txt").write_text("not an export")
    before = files_of(out)
    emis = Path(sys.executable).with_name("emis")
    result = subprocess.run(
        [str(emis), *generate_args(out)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("emis generate: error:") and "--force" in result.stderr
    assert files_of(out) == before
    assert list(tmp_path.iterdir()) == [out]  # no temporary folder left beside it


def test_cli_writes_an_export_and_leaves_no_temporary_folder(tmp_path: Path, capsys) -> None:
    out = tmp_path / "export"
    assert main(generate_args(out)) == 0
    assert "wrote" in capsys.readouterr().out
    assert (out / "manifest.json").is_file()
    assert list(tmp_path.iterdir()) == [out]


def test_cli_force_replaces_a_non_empty_folder(tmp_path: Path) -> None:
    out = tmp_path / "export"
    out.mkdir()
    (out / "notes.txt").write_text("not an export")
    assert main(generate_args(out, "--force")) == 0
    assert not (out / "notes.txt").exists()
    assert (out / "manifest.json").is_file()
    assert list(tmp_path.iterdir()) == [out]


def test_a_failure_midway_keeps_the_previous_export_and_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = generate("tiny", SEED, tmp_path / "export")
    before = files_of(out)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_module, "write_manifest", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        export_module.generate_export("tiny", SEED + 1, YEAR, out, force=True, progress=False)
    assert files_of(out) == before
    assert list(tmp_path.iterdir()) == [out]
