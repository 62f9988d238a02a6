"""``python -m scratchnn.exercises ...``: the same as ``scratchnn exercises ...``."""

from __future__ import annotations

import sys

from scratchnn.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["exercises", *sys.argv[1:]]))
