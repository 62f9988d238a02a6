"""Every ```python block of README.md and of the pages under docs/ runs as written, on its own,
in a fresh interpreter, and prints what the text says it prints.

A block is checked against
- the plain ``` block right after it (only blank lines between): the output, line by line;
- a "Measured: `...`" in the paragraph right after it: a line the output must contain.
Numbers may differ by one unit in their last printed digit (BLAS libraries round differently);
everything else must match exactly. Blocks marked slow below take more than ~10 s.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
SRC = Path(importlib.util.find_spec("scratchnn").origin).parents[1]
# Blocks that take more than ~10 s, by a phrase they contain.
SLOW = ("GridSearchCV(", "animate_training(")
TIMEOUT = 600

FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass
class Example:
    page: Path
    line: int
    code: str
    output: str | None  # the expected output, when the page shows it
    measured: str | None  # the text after "Measured:", when the page claims one

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def extract(page: Path) -> list[Example]:
    """The ```python blocks of a Markdown page, each with what the page says it prints."""
    text = page.read_text(encoding="utf-8")
    fences = list(FENCE.finditer(text))
    examples = []
    for i, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        after = text[fence.end():]
        output = None
        following = fences[i + 1] if i + 1 < len(fences) else None
        if (following is not None and following.group(1) in ("", "text")
                and not text[fence.end() + 1:following.start()].strip()):
            output = following.group(2)
        paragraph = after.lstrip("\n").split("\n\n", 1)[0]
        claim = re.match(r"Measured: `([^`]+)`", paragraph)
        line = text.count("\n", 0, fence.start()) + 1
        examples.append(Example(page, line, fence.group(2), output,
                                claim.group(1) if claim else None))
    return examples


EXAMPLES = [example for page in PAGES for example in extract(page)]


def same_line(actual: str, expected: str) -> bool:
    """Equal, except that numbers may differ by one unit in the last digit shown."""
    if NUMBER.sub("#", actual.rstrip()) != NUMBER.sub("#", expected.rstrip()):
        return False
    for a, e in zip(NUMBER.findall(actual), NUMBER.findall(expected)):
        a, e = a.replace(",", ""), e.replace(",", "")
        if a == e:
            continue
        mantissa = e.lower().split("e")[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = int(e.lower().split("e")[1]) if "e" in e.lower() else 0
        if abs(float(a) - float(e)) > 1.0001 * 10.0 ** (exponent - decimals):
            return False
    return True


def run(example: Example, tmp_path: Path) -> str:
    # A fresh interpreter as a reader starts it, with none of our PYTHONPATH but the folder
    # holding the scratchnn under test (it may not be the one the environment installs).
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "PYTHONPATH": str(SRC)}
    result = subprocess.run([sys.executable, "-c", example.code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, (
        f"{example.id}: the block fails as written:\n{result.stderr[-3000:]}")
    return result.stdout


def params() -> list:
    return [pytest.param(example, id=example.id,
                         marks=[pytest.mark.slow] if any(s in example.code for s in SLOW) else [])
            for example in EXAMPLES]


def test_the_readme_and_the_pages_have_examples():
    """The README keeps one short example that shows its output; the guides hold the rest."""
    readme = [e for e in EXAMPLES if e.page.name == "README.md"]
    assert readme and all(e.output is not None or e.measured is not None for e in readme)
    guides = [e for e in EXAMPLES if e.page.name != "README.md"]
    assert len(guides) >= 10
    assert sum(e.output is not None or e.measured is not None for e in guides) >= 6


@pytest.mark.parametrize("example", params())
def test_example_runs_and_prints_what_the_text_says(example, tmp_path):
    out = run(example, tmp_path)
    if example.output is not None:
        actual, expected = out.rstrip("\n").splitlines(), example.output.rstrip("\n").splitlines()
        assert len(actual) == len(expected) and all(map(same_line, actual, expected)), (
            f"{example.id} printed\n{out}\nbut the page shows\n{example.output}")
    if example.measured is not None:
        assert any(same_line(line, example.measured) for line in out.splitlines()), (
            f"{example.id} printed\n{out}\nbut the page says it measured\n{example.measured}")


@pytest.mark.parametrize(("actual", "expected", "same"), [
    ("loss 0.2471", "loss 0.2471", True),
    ("loss 0.2472", "loss 0.2471", True),
    ("loss 0.2473", "loss 0.2471", False),
    ("accuracy 0.95", "accuracy 0.950", True),
    ("total: 9,610 parameters", "total: 9,610 parameters", True),
    ("epoch 500: loss", "epoch 501: loss", True),
    ("epoch 500: loss", "epoch 502: loss", False),
    ("error 5.1e-10 good", "error 5.2e-10 good", True),
    ("stopped", "stopped early", False),
])
def test_same_line_allows_one_unit_in_the_last_digit(actual, expected, same):
    assert same_line(actual, expected) is same
