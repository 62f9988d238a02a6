"""``scratchnn.functional``: each function stable for any input (no overflow, no NaN) and equal
to SciPy's reference implementations to the last bits."""

import numpy as np
import pytest

from scratchnn.functional import log_sigmoid, log_softmax, sigmoid, softmax, softplus

special = pytest.importorskip("scipy.special")
rng = np.random.default_rng(0)
EXTREMES = np.array([-1e4, -800.0, -50.0, -1.0, 0.0, 1e-300, 1.0, 50.0, 800.0, 1e4])


@pytest.mark.parametrize(("ours", "reference"), [
    (sigmoid, special.expit),
    (log_sigmoid, special.log_expit),
    (softplus, lambda z: np.logaddexp(0, z)),
])
def test_elementwise_functions_match_the_reference_everywhere(ours, reference):
    z = np.concatenate([EXTREMES, rng.normal(scale=20, size=1000)])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = ours(z)
    np.testing.assert_allclose(got, reference(z), rtol=1e-14, atol=0)
    assert got.shape == z.shape and got is not z


@pytest.mark.parametrize(("ours", "reference"), [
    (softmax, special.softmax), (log_softmax, special.log_softmax)])
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 7), (6,)])
def test_softmax_and_its_log_along_the_last_axis(ours, reference, shape):
    z = rng.normal(scale=30, size=shape)
    z.flat[0] = 900.0  # would overflow e^z without the row maximum subtracted
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = ours(z)
    np.testing.assert_allclose(got, reference(z, axis=-1), rtol=1e-13, atol=1e-300)
    kept = z.copy()
    ours(z)
    np.testing.assert_array_equal(z, kept)  # the input is not written over


def test_probabilities_keep_their_tails():
    assert sigmoid(np.array(-50.0)) == pytest.approx(1.9287498479639178e-22, rel=1e-15)
    np.testing.assert_allclose(softmax(np.array([[0.0, -50.0]]))[0, 1], 1.9287498479639178e-22,
                               rtol=1e-14)
    assert log_sigmoid(np.array(-800.0)) == -800.0
