"""The tensor engine: every operation against centred finite differences and against PyTorch,
broadcasting summed back, indexing scattered back, the image operations (padding, windows,
convolution, pooling, normalisation), and the errors a learner may meet."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnn.autograd import Tensor, conv1d, conv2d, einsum, pad, windows
from scratchnn.gradcheck import numerical_gradient

ROWS = np.array([0, 2, 2, 1])
COLS = np.array([1, 0, 0, 2])

# name: (our function, PyTorch's where the names differ (None: the same function), input
# shapes). The functions take the inputs as Tensors (ours) or torch tensors (theirs) and return
# a tensor of any shape.
CASES = {
    "matmul": (lambda x, w: x @ w, None, [(4, 3), (3, 2)]),
    "add_broadcast_row": (lambda x, b: x + b, None, [(4, 3), (3,)]),
    "add_broadcast_column": (lambda x, b: x + b, None, [(4, 3), (4, 1)]),
    "sub_broadcast": (lambda x, b: b - x, None, [(2, 4, 3), (1, 3)]),
    "mul_broadcast": (lambda x, b: x * b, None, [(4, 3), (1, 3)]),
    "div_broadcast": (lambda x, b: x / (b * b + 1), None, [(4, 3), (3,)]),
    "numbers": (lambda x: 2.0 - 3.0 * x / 4.0 + 1.0 / (x * x + 1), None, [(3, 2)]),
    "neg_pow": (lambda x: (-x) ** 3 + (x * x + 1) ** 0.5, None, [(3, 2)]),
    "sum": (lambda x: x.sum(), None, [(4, 3)]),
    "sum_axis0": (lambda x: x.sum(axis=0), None, [(4, 3)]),
    "sum_axis_keepdims": (lambda x: x.sum(axis=-1, keepdims=True), None, [(2, 4, 3)]),
    "sum_axes": (lambda x: x.sum(axis=(0, 2)), None, [(2, 4, 3)]),
    "mean": (lambda x: x.mean(), None, [(4, 3)]),
    "mean_axis": (lambda x: x.mean(axis=1), None, [(4, 3)]),
    "mean_axis_keepdims": (lambda x: x.mean(axis=0, keepdims=True), None, [(4, 3)]),
    "exp": (lambda x: x.exp(), None, [(4, 3)]),
    "log": (lambda x: (x * x + 0.5).log(), None, [(4, 3)]),
    "tanh": (lambda x: x.tanh(), None, [(4, 3)]),
    "relu": (lambda x: x.relu(), None, [(4, 3)]),
    "sigmoid": (lambda x: x.sigmoid(), None, [(4, 3)]),
    "abs": (lambda x: x.abs(), None, [(4, 3)]),
    "maximum_tensor": (lambda x, y: x.maximum(y), None, [(4, 3), (3,)]),
    "maximum_number": (lambda x: x.maximum(0.1), lambda x: x.clamp(min=0.1), [(4, 3)]),
    "log_softmax": (lambda x: x.log_softmax(), lambda x: x.log_softmax(-1), [(4, 3)]),
    "log_softmax_axis0": (lambda x: x.log_softmax(axis=0), lambda x: x.log_softmax(0),
                          [(4, 3)]),
    "index_rows_cols": (lambda x: x[ROWS, COLS], None, [(3, 3)]),
    "index_slices": (lambda x: x[1:3, ::2] * x[0, :2], None, [(4, 3)]),
    "index_column": (lambda x: x[:, 1], None, [(4, 3)]),
    "reshape": (lambda x: x.reshape(2, 6) * np.arange(12.0).reshape(2, 6),
                lambda x: x.reshape(2, 6) * torch_tensor(np.arange(12.0).reshape(2, 6)),
                [(4, 3)]),
    "transpose": (lambda x, w: x.T @ w, None, [(4, 3), (4, 2)]),
    "transpose_axes": (lambda x: x.transpose(2, 0, 1)[0] * np.arange(8.0).reshape(2, 4),
                       lambda x: x.permute(2, 0, 1)[0] * torch_tensor(np.arange(8.0)
                                                                       .reshape(2, 4)),
                       [(2, 4, 3)]),
    "layer": (lambda x, w, b: (x @ w + b).tanh().mean(), None, [(5, 3), (3, 2), (2,)]),
    # reductions and functions that normalisation and pooling use
    "var": (lambda x: x.var(), lambda x: x.var(correction=0), [(4, 3)]),
    "var_axis": (lambda x: x.var(axis=0), lambda x: x.var(0, correction=0), [(4, 3)]),
    "var_axes_keepdims": (lambda x: x.var(axis=(0, 2), keepdims=True),
                          lambda x: x.var((0, 2), keepdim=True, correction=0), [(3, 2, 4)]),
    "sqrt": (lambda x: (x * x + 0.5).sqrt(), None, [(4, 3)]),
    "max": (lambda x: x.max(), lambda x: x.amax(), [(4, 3)]),
    "max_axis": (lambda x: x.max(axis=1), lambda x: x.amax(1), [(4, 3)]),
    "max_negative_axis": (lambda x: x.max(axis=-1), lambda x: x.amax(-1), [(2, 4, 3)]),
    "max_axes_keepdims": (lambda x: x.max(axis=(0, 2), keepdims=True),
                          lambda x: x.amax((0, 2), keepdim=True), [(3, 2, 4)]),
    "einsum_matmul": (lambda x, w: einsum("ik,kj->ij", x, w),
                      lambda x, w: torch_module().einsum("ik,kj->ij", x, w), [(4, 3), (3, 2)]),
    "einsum_outer_per_row": (lambda x, y: einsum("bi,bj->bij", x, y),
                             lambda x, y: torch_module().einsum("bi,bj->bij", x, y),
                             [(3, 2), (3, 4)]),
    "einsum_to_a_number": (lambda x, y: einsum("ij,ij->", x, y),
                           lambda x, y: torch_module().einsum("ij,ij->", x, y), [(3, 2), (3, 2)]),
    # the image operations
    "pad": (lambda x: pad(x, ((0, 0), (1, 0), (2, 1))) * 1.5,
            lambda x: functional().pad(x, (2, 1, 1, 0)) * 1.5, [(2, 3, 4)]),
    "windows": (lambda x: windows(x, (2, 3), (1, 2)),
                lambda x: x.unfold(2, 2, 1).unfold(3, 3, 2), [(2, 3, 5, 7)]),
    "windows_overlapping": (lambda x: windows(x, (3, 3), (1, 1)),
                            lambda x: x.unfold(2, 3, 1).unfold(3, 3, 1), [(1, 2, 5, 6)]),
    "windows_stride_past_kernel": (lambda x: windows(x, (2, 2), (3, 3)),
                                   lambda x: x.unfold(2, 2, 3).unfold(3, 2, 3), [(2, 1, 8, 7)]),
    "conv2d": (lambda x, w, b: conv2d(x, w, b),
               lambda x, w, b: functional().conv2d(x, w, b), [(2, 3, 6, 5), (4, 3, 3, 3), (4,)]),
    "conv2d_stride_padding": (
        lambda x, w, b: conv2d(x, w, b, stride=(2, 1), padding=(1, 2)),
        lambda x, w, b: functional().conv2d(x, w, b, stride=(2, 1), padding=(1, 2)),
        [(2, 2, 7, 6), (3, 2, 3, 2), (3,)]),
    "conv2d_no_bias": (lambda x, w: conv2d(x, w, stride=2, padding=1),
                       lambda x, w: functional().conv2d(x, w, stride=2, padding=1),
                       [(1, 2, 5, 5), (2, 2, 2, 2)]),
    "conv1d": (lambda x, w, b: conv1d(x, w, b, stride=2, padding=1),
               lambda x, w, b: functional().conv1d(x, w, b, stride=2, padding=1),
               [(2, 3, 9), (4, 3, 3), (4,)]),
    "max_pool": (lambda x: windows(x, (2, 2), (2, 2)).max(axis=(4, 5)),
                 lambda x: functional().max_pool2d(x, 2), [(2, 3, 6, 5)]),
    "max_pool_overlapping": (lambda x: windows(x, (3, 3), (2, 2)).max(axis=(4, 5)),
                             lambda x: functional().max_pool2d(x, 3, 2), [(2, 2, 7, 7)]),
    "avg_pool": (lambda x: windows(x, (2, 2), (2, 2)).mean(axis=(4, 5)),
                 lambda x: functional().avg_pool2d(x, 2), [(2, 3, 6, 5)]),
    "avg_pool_overlapping": (lambda x: windows(x, (3, 2), (1, 2)).mean(axis=(4, 5)),
                             lambda x: functional().avg_pool2d(x, (3, 2), (1, 2)),
                             [(2, 2, 5, 6)]),
    "batch_norm": (lambda x: (x - x.mean(axis=(0, 2, 3), keepdims=True))
                   / (x.var(axis=(0, 2, 3), keepdims=True) + 1e-5).sqrt(),
                   lambda x: functional().batch_norm(x, None, None, training=True, eps=1e-5),
                   [(3, 2, 4, 3)]),
}


def torch_module():
    import torch

    return torch


def functional():
    import torch.nn.functional

    return torch.nn.functional


def torch_tensor(array):
    torch = torch_module()
    return torch.tensor(array, dtype=torch.float64)


def inputs_for(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for shape in shapes]


def weights_for(out: np.ndarray) -> np.ndarray:
    """Fixed weights that turn any output into a scalar, so each output entry counts."""
    return np.linspace(-1.0, 2.0, num=out.size).reshape(out.shape)


def ours(name, arrays):
    """The inputs as Tensors, our output, and the gradients of sum(output * weights)."""
    fn = CASES[name][0]
    tensors = [Tensor(a) for a in arrays]
    out = fn(*tensors)
    (out * weights_for(out.data)).sum().backward()
    return out.data, [t.grad for t in tensors]


@pytest.mark.parametrize("name", CASES)
def test_each_operation_matches_finite_differences(name):
    arrays = inputs_for(CASES[name][2])
    _, grads = ours(name, arrays)
    fn = CASES[name][0]

    def scalar():
        out = fn(*[Tensor(a, requires_grad=False) for a in arrays]).data
        return float(np.sum(out * weights_for(out)))

    for array, grad in zip(arrays, grads):
        expected = numerical_gradient(scalar, array)
        np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", CASES)
def test_each_operation_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    ours_fn, theirs_fn, shapes = CASES[name]
    arrays = inputs_for(shapes, seed=1)
    out, grads = ours(name, arrays)
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    expected = (theirs_fn or ours_fn)(*tensors)  # most operations have the same names
    (expected * torch_tensor(weights_for(out))).sum().backward()
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    for grad, tensor in zip(grads, tensors):
        np.testing.assert_allclose(grad, tensor.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_broadcast_gradient_has_the_parameter_shape():
    x, b = Tensor(np.ones((5, 3))), Tensor(np.zeros(3))
    (x + b).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_array_equal(b.grad, [5.0, 5.0, 5.0])


def test_indexing_adds_up_where_an_entry_is_picked_twice():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    x[np.array([0, 0, 1]), np.array([1, 1, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 2, 0], [0, 0, 1]])


def test_maximum_splits_the_gradient_where_the_two_tie():
    x, y = Tensor([1.0, 2.0, 3.0]), Tensor([1.0, 5.0, 0.0])
    x.maximum(y).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(y.grad, [0.5, 1.0, 0.0])


def test_max_sends_the_gradient_to_the_first_largest_entry_on_a_tie():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])
    y = Tensor([[0.0, 5.0], [5.0, 5.0]])
    y.max().backward()  # the first in row-major order over all the axes reduced
    np.testing.assert_array_equal(y.grad, [[0, 1], [0, 0]])


def test_max_pooling_with_ties_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).integers(0, 3, size=(2, 2, 7, 7)).astype(float)  # many ties
    ours_x = Tensor(x)
    pooled = windows(ours_x, (3, 3), (2, 2)).max(axis=(4, 5))
    upstream = weights_for(pooled.data)
    (pooled * upstream).sum().backward()
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = torch.nn.functional.max_pool2d(theirs_x, 3, 2)
    (theirs * torch_tensor(upstream)).sum().backward()
    np.testing.assert_array_equal(pooled.data, theirs.detach().numpy())
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-12, atol=0)


def test_windows_adds_up_the_gradient_of_a_pixel_shared_by_windows():
    x = Tensor(np.zeros((1, 1, 3, 3)))
    windows(x, (2, 2), (1, 1)).sum().backward()  # four windows; the centre is in all four
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_pad_passes_back_the_slice_where_its_input_sits():
    x = Tensor(np.ones((2, 2)))
    padded = pad(x, ((1, 2), (0, 1)))
    assert padded.shape == (5, 3)
    padded.backward(np.arange(15.0).reshape(5, 3))
    np.testing.assert_array_equal(x.grad, [[3, 4], [6, 7]])


def test_numpy_arrays_and_numbers_mix_in_on_either_side():
    x = Tensor([1.0, 2.0])
    out = np.array([3.0, 4.0]) * x + np.array([1.0, 1.0]) - 2 * x / 4
    out.sum().backward()
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(x.grad, [2.5, 3.5])


def test_a_leaf_copies_its_array_and_integers_become_floats():
    array = np.array([[1, 2], [3, 4]])
    x = Tensor(array)
    array[0, 0] = 100
    assert x.data[0, 0] == 1.0 and x.data.dtype == np.float64


def test_constants_inside_a_graph_pass_nothing_back():
    z, y = Tensor([1.0, -2.0]), np.array([0.5, 0.5])
    (z - y).abs().sum().backward()  # -y is a constant node: no gradient to pass
    np.testing.assert_array_equal(z.grad, [1.0, -1.0])


def test_requires_grad_false_keeps_no_gradient():
    x, w = Tensor(np.ones((2, 3)), requires_grad=False), Tensor(np.ones((3, 1)))
    (x @ w).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(w.grad, [[2.0], [2.0], [2.0]])


def test_backward_accumulates_into_leaves_only():
    w = Tensor([1.0, 2.0])
    loss = (w * 3.0).sum()
    loss.backward()
    loss.backward()
    np.testing.assert_array_equal(w.grad, [6.0, 6.0])
    w.zero_grad()
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])


def test_backward_with_a_gradient_for_a_non_scalar_result():
    x = Tensor([1.0, 2.0, 3.0])
    (x * x).backward(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 12.0])


@pytest.mark.parametrize("call, message", [
    (lambda: (Tensor(np.ones(3)) * 2).backward(), "needs a scalar result, this Tensor has "
                                                  r"shape \(3,\); call .sum\(\) first"),
    (lambda: Tensor(np.ones(3)).backward(np.ones(2)), r"needs grad of shape \(3,\), got \(2,\)"),
    (lambda: (Tensor(1.0, requires_grad=False) * 2).backward(), "needs no gradient"),
    (lambda: Tensor(np.ones(3)) @ Tensor(np.ones(3)), "two 2-D operands"),
    (lambda: Tensor(np.ones(3)) ** Tensor(2.0), "takes a number"),
    (lambda: einsum("ii,i->i", np.ones((2, 2)), np.ones(2)), "each index once per operand"),
    (lambda: einsum("ij,j->j", np.ones((2, 2)), np.ones(2)), "found in the other operand"),
    (lambda: einsum("ij,jk", np.ones((2, 2)), np.ones(2)), "written 'ab,bc->ac'"),
    (lambda: pad(np.ones((2, 2)), ((1, 1),)), r"one \(before, after\) pair .* per axis"),
    (lambda: pad(np.ones((2, 2)), ((1, 1), (0, -1))), "integers >= 0"),
    (lambda: windows(np.ones((1, 1, 2, 4)), (3, 3), (1, 1)),
     r"a 3x3 kernel with stride 1x1 does not fit an input of shape \(1, 1, 2, 4\)"),
])
def test_mistakes_get_one_line_messages(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
