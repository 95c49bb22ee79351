"""The project's promises about itself: the README's two commands and what CI runs."""

from __future__ import annotations

import ast
import re
import sys

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
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        # Every import statement counts, guarded or late ones too.
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        imported -= {"fine_tuning_capture"}
        assert imported, module
        assert imported <= sys.stdlib_module_names, (module, imported - sys.stdlib_module_names)


def test_ci_installs_every_tool_it_runs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    extra = re.search(r'pip install -e "\.\[(\w+)\]"', ci).group(1)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    installed = re.search(rf"^{extra} = \[(.*)\]$", pyproject, re.M).group(1)
    tools = set(re.findall(r"python -m (\w+)", ci)) - {"pip"}
    assert tools >= {"pytest", "ruff"}
    assert all(f'"{tool}' in installed for tool in tools), (tools, installed)
