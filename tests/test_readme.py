"""The README's Python examples run as written, and its commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert len(blocks) >= 2
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102


def test_quickstart_is_two_commands_and_ci_runs_the_test_command():
    commands = re.findall(r"## Quickstart.*?```bash\n(.*?)```.*?```bash\n(.*?)```", README,
                          flags=re.S)[0]
    main_job, test_command = (c.strip() for c in commands)
    assert main_job.count("\n") == 0 and "cvxdual tour" in main_job
    assert test_command.count("\n") == 0 and "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci
