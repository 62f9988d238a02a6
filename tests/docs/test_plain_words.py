"""The project speaks of itself alone: no words from how it was made in its documents,
docstrings, comments, tests or benchmark files (an issue number, "the seed's experiments",
benchmark codes such as T1 without a key), and one figure per measured fact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = {".py", ".md", ".json", ".js", ".css", ".html", ".ipynb", ".yml", ".toml"}
PLACES = ["README.md", "mkdocs.yml", "pyproject.toml", "Makefile", "train_circles.py",
          "train_moons.py", "docs", "src", "benchmarks", "tests"]

# Each pattern names what it catches; "scikit-learn's issue #9113" (a pointer to another
# project's tracker) is fine, "(issue 14)" is not.
FORBIDDEN = {
    r"\bseed's\b": "the seed's (say: the two classic experiments)",
    r"\bissues? \d+": "an issue number",
    r"\(issue\b": "(issue ...)",
    r"\b(?:the|this|that|an?) issue\b(?! #)": "the issue",
    r"\bgoals? of (?:the |this )?issue": "goals of an issue",
    r"(?-i:\bT[1-9]\b)": "a benchmark code without a key (say: moons 2-4-1, digits ...)",
    r"\b(?:this|that|earlier|previous|later|next) session's? (?:work|task|goal)": "a session",
    r"\bday (?:one|two)\b": "day one / day two",
}
PATTERN = re.compile("|".join(f"(?:{p})" for p in FORBIDDEN), re.IGNORECASE)


def _files() -> list[Path]:
    files = []
    for place in PLACES:
        path = ROOT / place
        found = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [f for f in found if f.is_file() and (f.suffix in SUFFIXES or f.name == "Makefile")
                  and f.resolve() != Path(__file__).resolve() and ".venv" not in f.parts
                  and "site" not in f.relative_to(ROOT).parts[:1]]
    return files


def _lines(path: Path) -> list[str]:
    """The file's lines; of a notebook, the lines of its cells and text outputs (not images)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".ipynb":
        return text.splitlines()
    lines = []
    for cell in json.loads(text)["cells"]:
        lines += "".join(cell["source"]).splitlines()
        for output in cell.get("outputs", []):
            lines += "".join(output.get("text", output.get("data", {}).get("text/plain", "")))\
                .splitlines()
    return lines


def _hits(text: str) -> list[str]:
    return [match.group(0) for match in PATTERN.finditer(text)]


def test_the_files_are_found():
    names = {f.relative_to(ROOT).as_posix() for f in _files()}
    assert {"README.md", "docs/speed.md", "benchmarks/bench.py", "benchmarks/results.json",
            "src/scratchnn/experiments.py", "docs/tutorials/02_lines_and_circles.ipynb"} <= names


def test_no_words_from_how_the_project_was_made():
    found = []
    for path in _files():
        for number, line in enumerate(_lines(path), 1):
            found += [f"{path.relative_to(ROOT)}:{number}: {hit!r} in {line.strip()[:120]!r}"
                      for hit in _hits(line)]
    assert not found, "say what it is instead:\n" + "\n".join(found)


@pytest.mark.parametrize("text", [
    "the seed's two experiments", "| goal (issue 14) |", "Goals of issue 16 first",
    "T1 core loop / hand-written NumPy", "as in the issue.", "within the second the issue allows",
    "left for the next session's work",
])
def test_the_words_are_caught(text):
    assert _hits(text)


@pytest.mark.parametrize("text", [
    "the two classic experiments", "A scratchnn addition (scikit-learn's issue #9113).",
    "moons: core loop / hand-written NumPy", "one training session per tab", "t1 = time()",
    "the session keeps at most one unsent frame",
])
def test_plain_words_pass(text):
    assert not _hits(text)


def _seconds(pattern: str, text: str) -> list[float]:
    return [float(value) for value in re.findall(pattern, text)]


def test_the_start_up_time_is_given_once_and_linked():
    """`scratchnn --help`'s start-up time: measured on the speed page (with its conditions),
    quoted in the README's table of measurements from the same run, and nowhere else."""
    speed = (ROOT / "docs" / "speed.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (measured,) = _seconds(r"\| `scratchnn --help` \| ([\d.]+) s \|", speed)
    (quoted,) = _seconds(r"\| `scratchnn --help`, `scratchnn datasets`[^|]*\| ([\d.]+) s", readme)
    assert round(measured, 2) == quoted
    assert "docs/speed.md#start-up" in readme and 'id="start-up"' in speed
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name != "speed.md":
            text = page.read_text(encoding="utf-8")
            assert not _seconds(r"`scratchnn --help`\D{0,20}?([\d.]+) s\b", text), page.name
