"""The Exercises page stays true: its table of tasks is the task list's own, and the outputs it
shows are what ``check`` prints."""

from __future__ import annotations

import re
from pathlib import Path

from _exercisefiles import fill

from scratchnn import exercises

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "exercises.md"


def test_the_table_of_tasks_is_the_task_list():
    text = PAGE.read_text(encoding="utf-8")
    table = re.search(r"keeps it in step -->\n(.*?)\n<!-- end of the table -->", text, re.DOTALL)
    assert table, "docs/exercises.md lost its table markers"
    assert table[1] == exercises.task_markdown(), (
        "the table in docs/exercises.md is stale: replace it with the output of "
        "'scratchnn exercises list --markdown'")


def test_the_page_shows_what_check_prints(tmp_path):
    fences = re.findall(r"^```(\w*)\n(.*?)^```$", PAGE.read_text(encoding="utf-8"),
                        re.MULTILINE | re.DOTALL)
    blocks = [body for language, body in fences if not language]
    exercises.start(tmp_path)
    fill(tmp_path, "dense_forward", "return x @ W\n")
    wrong, _ = exercises.check(tmp_path, "dense_forward")
    assert wrong + "\n" in blocks
    (tmp_path / "01_layers.py").write_text(
        (tmp_path / "01_layers.py").read_text().replace("return x @ W\n", "return x @ W + b\n"))
    right, _ = exercises.check(tmp_path, "dense_forward")
    assert right + "\n" in blocks


def test_the_guides_name_the_command():
    assert "scratchnn exercises" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "scratchnn exercises start" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "Exercises: exercises.md" in nav and "Exercises: api/exercises.md" in nav
