"""The regression target's standardisation: a target whose values differ is learned however
small they are; a constant one is refused."""

from __future__ import annotations

import numpy as np
import pytest


def write_table(path, y):
    x = np.linspace(-1, 1, len(y))
    with open(path, "w") as f:
        f.write("x1,x2,y\n")
        for a, b, c in zip(x, x[::-1], y):
            f.write(f"{float(a)!r},{float(b)!r},{float(c)!r}\n")


@pytest.mark.parametrize("scale", [1e-310, 1e-320, 1e-300, 1.0])
def test_a_varying_target_is_learned_however_small_its_values(scale, tmp_path,
                                                                run_cli_inprocess):
    data, model = tmp_path / "tiny.csv", tmp_path / "m.npz"
    write_table(data, (np.linspace(-1, 1, 40) + 2) * scale)  # subnormal for 1e-310, 1e-320
    code, _, err = run_cli_inprocess("train", "--data", str(data), "--target", "y", "--task",
                                     "regression", "--epochs", "2", "--quiet", "--save",
                                     str(model))
    assert code == 0, err
    assert model.exists()


@pytest.mark.parametrize("value", [5e-310, 3.5])
def test_a_constant_target_is_still_refused(value, tmp_path, run_cli_inprocess):
    data = tmp_path / "constant.csv"
    write_table(data, [value] * 20)
    code, _, err = run_cli_inprocess("train", "--data", str(data), "--target", "y", "--task",
                                     "regression", "--quiet", "--save", str(tmp_path / "m.npz"))
    assert code == 1
    assert "has the same value" in err and "in every training row" in err
