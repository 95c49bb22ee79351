"""Shared fixtures: every test writes into its own temporary examples file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(ROOT))

import fine_tuning_capture as ftc  # noqa: E402


@pytest.fixture(autouse=True)
def output_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point capture at a file of the test's own, so no test touches the repository's file."""
    path = tmp_path / "examples.md"
    monkeypatch.setenv(ftc.OUTPUT_ENV_VAR, str(path))
    return path
