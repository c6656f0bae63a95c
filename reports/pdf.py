"""A PDF beside the workbook, when LibreOffice is installed (optional)."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)
OFFICE_COMMANDS = ("soffice", "libreoffice")


def find_office() -> str | None:
    """The LibreOffice command on PATH, if any."""
    for name in OFFICE_COMMANDS:
        found = shutil.which(name)
        if found:
            return found
    return None


def to_pdf(xlsx: Path, timeout: float = 180) -> Path | None:
    """Convert ``xlsx`` to a PDF next to it; None when LibreOffice is missing or fails.

    A profile of its own in a temporary folder, so a LibreOffice the user has open (or the
    first-run wizard) never blocks the conversion.
    """
    office = find_office()
    if office is None:
        return None
    with tempfile.TemporaryDirectory(prefix="emis-office-") as profile:
        command = [
            office, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
            "--convert-to", "pdf", "--outdir", str(xlsx.parent), str(xlsx),
        ]  # fmt: skip
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=timeout)
        except (subprocess.SubprocessError, OSError) as error:
            log.warning("PDF conversion failed: %s", error)
            return None
    pdf = xlsx.with_suffix(".pdf")
    return pdf if pdf.exists() else None
