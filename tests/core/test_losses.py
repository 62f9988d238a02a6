"""Losses: gradient checks, closed forms, and stability at huge logits."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scratchnn as snn
from scratchnn.gradcheck import check_loss


def bce_closed_form(z: np.ndarray, y: np.ndarray) -> float:
    """log(1 + e^z) - y z, evaluated with logaddexp (an independent stable formula)."""
    return float(np.mean(np.logaddexp(0, z) - y * z))


def softmax_closed_form(z: np.ndarray, y: np.ndarray) -> float:
    """Cross-entropy with log-sum-exp from np.logaddexp.reduce (independent of the library)."""
    lse = np.logaddexp.reduce(z, axis=1)
    return float(np.mean(lse - z[np.arange(len(y)), y]))


@pytest.mark.parametrize("shape", [(7,), (7, 1)])
def test_bce_gradcheck_and_value(shape):
    rng = np.random.default_rng(0)
    z = 3 * rng.standard_normal(shape)
    y = rng.integers(0, 2, size=shape).astype(float)
    loss = snn.BinaryCrossEntropy()
    assert loss.forward(z, y) == pytest.approx(bce_closed_form(z, y), rel=1e-12)
    assert check_loss(loss, z, y) < 1e-7
    p = 1 / (1 + np.exp(-z))
    loss.forward(z, y)  # check_loss left the state of a nudged input behind
    np.testing.assert_allclose(loss.backward(), (p - y) / z.size, rtol=1e-12)


def test_bce_accepts_labels_of_shape_n_with_logits_of_shape_n_1():
    z = np.array([[0.3], [-1.2], [2.0]])
    y = np.array([1, 0, 1])
    assert snn.BinaryCrossEntropy().forward(z, y) == pytest.approx(
        bce_closed_form(z[:, 0], y), rel=1e-12)


def test_softmax_cross_entropy_gradcheck_and_value():
    rng = np.random.default_rng(1)
    z = 2 * rng.standard_normal((6, 4))
    y = rng.integers(0, 4, size=6)
    loss = snn.SoftmaxCrossEntropy()
    assert loss.forward(z, y) == pytest.approx(softmax_closed_form(z, y), rel=1e-12)
    assert check_loss(loss, z, y) < 1e-7
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = probs.copy()
    expected[np.arange(6), y] -= 1
    loss.forward(z, y)
    np.testing.assert_allclose(loss.backward(), expected / 6, rtol=1e-10, atol=1e-15)


def test_mse_is_a_mean_over_all_elements():
    rng = np.random.default_rng(2)
    z, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    loss = snn.MeanSquaredError()
    assert loss.forward(z, y) == pytest.approx(np.mean((z - y) ** 2), rel=1e-12)
    assert check_loss(loss, z, y) < 1e-7
    loss.forward(z, y)
    np.testing.assert_allclose(loss.backward(), 2 * (z - y) / 15)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 9), k=st.integers(2, 5), scale=st.floats(0.01, 30.0),
       seed=st.integers(0, 2**32 - 1))
def test_losses_gradcheck_on_generated_inputs(n, k, scale, seed):
    rng = np.random.default_rng(seed)
    z1 = scale * rng.standard_normal((n, 1))
    y1 = rng.integers(0, 2, size=(n, 1)).astype(float)
    assert check_loss(snn.BinaryCrossEntropy(), z1, y1) < 1e-6
    zk = scale * rng.standard_normal((n, k))
    yk = rng.integers(0, k, size=n)
    assert check_loss(snn.SoftmaxCrossEntropy(), zk, yk) < 1e-6
    assert check_loss(snn.MeanSquaredError(), zk, rng.standard_normal((n, k))) < 1e-6


@pytest.mark.parametrize("big", [800.0, 1e4])
def test_bce_is_finite_and_exact_at_huge_logits(big):
    z = np.array([[big], [-big], [big], [-big]])
    y = np.array([[1.0], [0.0], [0.0], [1.0]])
    loss = snn.BinaryCrossEntropy()
    with np.errstate(all="raise", under="ignore"):
        value = loss.forward(z, y)
        grad = loss.backward()
    # Two samples right with certainty (loss 0), two wrong by |z| each.
    assert value == (0 + 0 + big + big) / 4
    np.testing.assert_array_equal(grad, np.array([[0.0], [0.0], [1.0], [-1.0]]) / 4)


@pytest.mark.parametrize("big", [800.0, 1e4])
def test_softmax_cross_entropy_is_finite_and_exact_at_huge_logits(big):
    z = np.array([[big, -big, 0.0], [-big, big, 0.0]])
    y = np.array([0, 2])
    loss = snn.SoftmaxCrossEntropy()
    with np.errstate(all="raise", under="ignore"):
        value = loss.forward(z, y)
        grad = loss.backward()
    # Sample 0 is right with certainty (loss 0); sample 1 puts its mass on class 1 (loss big).
    assert value == big / 2
    expected = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, -1.0]]) / 2
    np.testing.assert_array_equal(grad, expected)


def test_losses_are_finite_in_float32_at_huge_logits():
    z = np.array([[1e4], [-1e4]], dtype=np.float32)
    y = np.array([[0.0], [0.0]], dtype=np.float32)
    loss = snn.BinaryCrossEntropy()
    with np.errstate(all="raise", under="ignore"):
        assert loss.forward(z, y) == pytest.approx(5000.0)
        assert loss.backward().dtype == np.float32


def test_loss_by_name_and_bad_name():
    assert isinstance(snn.losses.get_loss("bce"), snn.BinaryCrossEntropy)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        snn.losses.get_loss("hinge")


def test_bce_with_soft_targets_matches_the_closed_form():
    rng = np.random.default_rng(5)
    z = 4 * rng.standard_normal((9, 1))
    y = rng.uniform(0, 1, size=(9, 1))  # soft targets, as BCEWithLogitsLoss accepts
    loss = snn.BinaryCrossEntropy()
    assert loss.forward(z, y) == pytest.approx(bce_closed_form(z, y), rel=1e-12)
    np.testing.assert_allclose(loss.backward(), (1 / (1 + np.exp(-z)) - y) / 9, rtol=1e-10)
    assert check_loss(loss, z, y) < 1e-7


def test_bce_reads_fresh_targets_from_a_reused_buffer():
    # A target buffer refilled in place (as a mini-batch loop might do) must not be cached.
    z = np.array([[2.0], [-1.0]])
    y = np.array([[1.0], [0.0]])
    loss = snn.BinaryCrossEntropy()
    first = loss.forward(z, y)
    y[:] = 1 - y
    assert loss.forward(z, y) == pytest.approx(bce_closed_form(z, y), rel=1e-12) != first


# --- the teaching API explains itself: one test per message -------------------------------------


def test_bce_refuses_a_label_outside_0_1_instead_of_a_silent_loss():
    with pytest.raises(ValueError, match=r"^BinaryCrossEntropy: got labels 0\.\.2, need 0 or 1 "
                                         r"\(soft targets in \[0, 1\]\); found 2 in 1 row; "):
        snn.BinaryCrossEntropy().forward(np.zeros((3, 1)), np.array([0, 1, 2]))


def test_bce_refuses_negative_and_nan_targets():
    loss = snn.BinaryCrossEntropy()
    with pytest.raises(ValueError, match=r"got labels -0\.5\.\.1, need 0 or 1 .*found -0\.5 in "):
        loss.forward(np.zeros(2), np.array([1.0, -0.5]))
    with pytest.raises(ValueError, match=r"got labels 1\.\.1, need 0 or 1 .*found nan in 1 row"):
        loss.forward(np.zeros(2), np.array([1.0, np.nan]))


def test_bce_checks_a_new_targets_array_even_after_a_good_one():
    loss = snn.BinaryCrossEntropy()
    z = np.zeros((3, 1))
    loss.forward(z, np.array([[0.0], [1.0], [1.0]]))
    with pytest.raises(ValueError, match="found 3 in 1 row"):
        loss.forward(z, np.array([[0.0], [1.0], [3.0]]))


def test_bce_refuses_several_logits_per_sample():
    with pytest.raises(ValueError, match=r"BinaryCrossEntropy takes one logit per sample, of "
                                         r"shape \(n,\) or \(n, 1\), got \(4, 3\); for several "
                                         "classes use SoftmaxCrossEntropy"):
        snn.BinaryCrossEntropy().forward(np.zeros((4, 3)), np.zeros(4))


def test_bce_refuses_targets_of_another_length():
    with pytest.raises(ValueError, match=r"BinaryCrossEntropy got logits of shape \(4, 1\) but "
                                         r"targets of shape \(3,\); give one target per logit"):
        snn.BinaryCrossEntropy().forward(np.zeros((4, 1)), np.zeros(3))


def test_softmax_cross_entropy_names_a_label_out_of_range():
    with pytest.raises(ValueError, match=r"^SoftmaxCrossEntropy: got labels 0\.\.3, need 0\.\.2; "
                                         r"found 3 in 1 row \("):
        snn.SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0, 3]))


def test_softmax_cross_entropy_names_the_range_the_offending_labels_and_their_rows():
    labels = np.array([1, 2, 3, 3, 3, 1])  # classes numbered from 1, as a spreadsheet would
    with pytest.raises(ValueError, match=r"^SoftmaxCrossEntropy: got labels 1\.\.3, need "
                                         r"0\.\.2; found 3 in 3 rows "):
        snn.SoftmaxCrossEntropy().forward(np.zeros((6, 3)), labels)
    with pytest.raises(ValueError, match=r"got labels -2\.\.9, need 0\.\.2; found -2, -1, 5, 9 "
                                         r"in 4 rows"):
        snn.SoftmaxCrossEntropy().forward(np.zeros((5, 3)), np.array([-1, 9, 0, 5, -2]))


def test_softmax_cross_entropy_refuses_negative_labels_instead_of_wrapping_around():
    with pytest.raises(ValueError, match=r"need 0\.\.2; found -1 in 1 row"):
        snn.SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0, -1]))


def test_softmax_cross_entropy_recognises_one_hot_labels():
    with pytest.raises(ValueError, match=r"SoftmaxCrossEntropy takes integer class labels of "
                                         r"shape \(2,\), got shape \(2, 3\); if these are one-hot "
                                         r"rows, pass y.argmax\(axis=1\)"):
        snn.SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.eye(3)[[0, 2]])


def test_softmax_cross_entropy_refuses_float_labels():
    with pytest.raises(ValueError, match=r"needs integer class labels 0..2, got an array of dtype "
                                         r"float64; convert with y.astype\(int\)"):
        snn.SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_softmax_cross_entropy_refuses_labels_of_another_length():
    with pytest.raises(ValueError, match=r"got logits for 2 samples but 3 labels"):
        snn.SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0, 1, 2]))


def test_softmax_cross_entropy_refuses_1d_logits():
    with pytest.raises(ValueError, match=r"SoftmaxCrossEntropy takes logits of shape \(n, k\), "
                                         r"one column per class, got \(4,\)"):
        snn.SoftmaxCrossEntropy().forward(np.zeros(4), np.zeros(4, dtype=int))


def test_mse_refuses_targets_of_another_size():
    with pytest.raises(ValueError, match=r"MeanSquaredError got logits of shape \(4, 2\) but "
                                         r"targets of shape \(4,\)"):
        snn.MeanSquaredError().forward(np.zeros((4, 2)), np.zeros(4))


@pytest.mark.parametrize("loss", [snn.BinaryCrossEntropy(), snn.SoftmaxCrossEntropy(),
                                  snn.MeanSquaredError()], ids=repr)
def test_loss_backward_before_forward_is_a_runtime_error(loss):
    with pytest.raises(RuntimeError, match=rf"^{type(loss).__name__}.backward called before "
                                           r"forward: call forward\(logits, y\) first"):
        loss.backward()


def test_sample_weight_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="sample_weight has 2 values for 3 samples"):
        snn.BinaryCrossEntropy().forward(np.zeros(3), np.zeros(3), sample_weight=[1.0, 2.0])


def test_bce_gradient_is_sigmoid_minus_y_for_labels_given_as_booleans_and_integers():
    z = np.array([[0.5], [-2.0], [3.0]])
    expected = (1 / (1 + np.exp(-z)) - np.array([[1], [0], [1]])) / 3
    for y in (np.array([True, False, True]), np.array([1, 0, 1])):
        loss = snn.BinaryCrossEntropy()
        assert loss.forward(z, y) == pytest.approx(bce_closed_form(z[:, 0], y), rel=1e-12)
        np.testing.assert_allclose(loss.backward(), expected, rtol=1e-12)


def test_bce_keeps_a_right_large_logits_tiny_loss_through_the_mean():
    """softplus(z) - y z is about 1e-17 for z = 39 and y = 1: taken per sample before the mean,
    it is not lost to the rounding of the other terms (finite differences then agree)."""
    z, y = np.array([[-7.78080194], [39.155005]]), np.array([[0.0], [1.0]])
    assert check_loss(snn.BinaryCrossEntropy(), z, y) < 1e-9
