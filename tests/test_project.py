"""The project's promises about itself: the README's two commands and what CI runs."""

from __future__ import annotations

import re

from conftest import ROOT


def test_ci_runs_exactly_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.+?)\n```", readme.split("## The two commands", 1)[1].split("\n## ", 1)[0])
    assert commands[0] == "python app.py"
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_runtime_needs_only_the_standard_library():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "dependencies = []" in pyproject
    for module in ("fine_tuning_capture.py", "app.py"):
        source = (ROOT / module).read_text(encoding="utf-8")
        imported = set(re.findall(r"^(?:import|from) (\w+)", source, re.MULTILINE))
        assert imported <= {
            "__future__", "argparse", "contextlib", "dataclasses", "datetime", "fcntl", "functools", "hashlib",
            "hmac", "http", "ipaddress", "json", "logging", "math", "os", "re", "socket", "sqlite3", "statistics",
            "sys", "tempfile", "threading", "unicodedata", "urllib", "uuid", "collections", "pathlib", "typing",
            "fine_tuning_capture"}, imported
