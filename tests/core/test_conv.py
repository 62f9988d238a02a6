"""Conv2D, Conv1D, MaxPool2D, AvgPool2D and Flatten: equal to PyTorch's layers (forward and every
gradient, float64, to 1e-10) on random shapes with strides, padding and odd sizes; checked by
finite differences; held to the textbook's convolution; clear errors for shapes that do not
fit; and a small CNN that learns the digits with ``fit``."""

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import textbook as tb
from scratchnn.gradcheck import check_layer

TOL = 1e-10
N_SHAPES = 15


def conv2d_cases():
    """15 random (n, C, F, H, W, kernel, stride, padding), kernel never larger than the input."""
    rng = np.random.default_rng(2024)
    cases = []
    while len(cases) < N_SHAPES:
        n, C, F = (int(v) for v in rng.integers(1, 5, 3))
        H, W = (int(v) for v in rng.integers(3, 12, 2))
        kernel = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        padding = (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
        if H + 2 * padding[0] >= kernel[0] and W + 2 * padding[1] >= kernel[1]:
            cases.append((n, C, F, H, W, kernel, stride, padding))
    return cases


def pool_cases():
    rng = np.random.default_rng(7)
    cases = []
    while len(cases) < N_SHAPES:
        n, C = (int(v) for v in rng.integers(1, 4, 2))
        H, W = (int(v) for v in rng.integers(2, 11, 2))
        kernel = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        stride = None if rng.random() < 0.3 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        if kernel[0] <= H and kernel[1] <= W:
            cases.append((n, C, H, W, kernel, stride))
    return cases


def torch_grads(module, x: np.ndarray, upstream: np.ndarray):
    """PyTorch's output, input gradient and parameter gradients for ``sum(module(x) * G)``."""
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    yt = module(xt)
    yt.backward(torch.tensor(upstream))
    return yt.detach().numpy(), xt.grad.numpy(), {name: p.grad.numpy()
                                                  for name, p in module.named_parameters()}


@pytest.mark.parametrize("case", conv2d_cases())
def test_conv2d_equals_pytorch(case):
    torch = pytest.importorskip("torch")
    n, C, F, H, W, kernel, stride, padding = case
    rng = np.random.default_rng(sum(map(hash, (n, C, F, H, W))) % 2**32)
    layer = snn.Conv2D(C, F, kernel, stride=stride, padding=padding, rng=rng)
    layer.b[:] = rng.standard_normal(F)
    theirs = torch.nn.Conv2d(C, F, kernel, stride=stride, padding=padding, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(layer.W))
        theirs.bias.copy_(torch.tensor(layer.b))
    x = rng.standard_normal((n, C, H, W))
    y = layer.forward(x)
    upstream = rng.standard_normal(y.shape)
    y_t, dx_t, grads = torch_grads(theirs, x, upstream)
    np.testing.assert_allclose(y, y_t, rtol=0, atol=TOL)
    np.testing.assert_allclose(layer.backward(upstream), dx_t, rtol=0, atol=TOL)
    np.testing.assert_allclose(layer.dW, grads["weight"], rtol=0, atol=TOL)
    np.testing.assert_allclose(layer.db, grads["bias"], rtol=0, atol=TOL)


@pytest.mark.parametrize("case", conv2d_cases())
def test_conv1d_equals_pytorch(case):
    torch = pytest.importorskip("torch")
    n, C, F, _, L, (_, k), (_, stride), (_, padding) = case
    rng = np.random.default_rng(L * 31 + k)
    layer = snn.Conv1D(C, F, k, stride=stride, padding=padding, rng=rng)
    layer.b[:] = rng.standard_normal(F)
    theirs = torch.nn.Conv1d(C, F, k, stride=stride, padding=padding, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(layer.W))
        theirs.bias.copy_(torch.tensor(layer.b))
    x = rng.standard_normal((n, C, L))
    y = layer.forward(x)
    assert y.shape == (n, F, (L + 2 * padding - k) // stride + 1)
    upstream = rng.standard_normal(y.shape)
    y_t, dx_t, grads = torch_grads(theirs, x, upstream)
    np.testing.assert_allclose(y, y_t, rtol=0, atol=TOL)
    np.testing.assert_allclose(layer.backward(upstream), dx_t, rtol=0, atol=TOL)
    np.testing.assert_allclose(layer.dW, grads["weight"], rtol=0, atol=TOL)
    np.testing.assert_allclose(layer.db, grads["bias"], rtol=0, atol=TOL)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", pool_cases())
def test_pooling_equals_pytorch(case, kind):
    torch = pytest.importorskip("torch")
    n, C, H, W, kernel, stride = case
    rng = np.random.default_rng(H * 100 + W)
    ours = (snn.MaxPool2D if kind == "max" else snn.AvgPool2D)(kernel, stride)
    theirs = (torch.nn.MaxPool2d if kind == "max" else torch.nn.AvgPool2d)(kernel, stride)
    x = rng.standard_normal((n, C, H, W))
    y = ours.forward(x)
    upstream = rng.standard_normal(y.shape)
    y_t, dx_t, _ = torch_grads(theirs, x, upstream)
    np.testing.assert_allclose(y, y_t, rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.backward(upstream), dx_t, rtol=0, atol=TOL)



def test_max_pooling_sends_a_tied_windows_gradient_to_its_first_largest_entry():
    x = np.array([[[[1.0, 1.0, 0.0, 2.0],
                    [1.0, 0.0, 2.0, 2.0],
                    [0.0, 0.0, 3.0, 1.0],
                    [0.0, 0.0, 1.0, 3.0]]]])
    pool = snn.MaxPool2D(2)
    np.testing.assert_array_equal(pool.forward(x), [[[[1.0, 2.0], [0.0, 3.0]]]])
    dx = pool.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    np.testing.assert_array_equal(dx, [[[[10, 0, 0, 20], [0, 0, 0, 0],
                                         [30, 0, 40, 0], [0, 0, 0, 0]]]])


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 2), (2, 1)])
def test_max_pooling_with_many_ties_equals_pytorch(kernel, stride):
    torch = pytest.importorskip("torch")
    x = np.maximum(np.random.default_rng(kernel + stride).integers(-2, 3, (3, 2, 9, 8)), 0.0)
    ours, theirs = snn.MaxPool2D(kernel, stride), torch.nn.MaxPool2d(kernel, stride)
    y = ours.forward(x)
    upstream = np.random.default_rng(0).standard_normal(y.shape)
    y_t, dx_t, _ = torch_grads(theirs, x, upstream)
    np.testing.assert_allclose(y, y_t, rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.backward(upstream), dx_t, rtol=0, atol=TOL)


@pytest.mark.parametrize("shape", [(2, 3), (4, 1, 5), (3, 2, 4, 5), (1, 2, 3, 4, 2)] * 4)
def test_flatten_equals_pytorch(shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape)
    layer = snn.Flatten()
    y = layer.forward(x)
    upstream = rng.standard_normal(y.shape)
    y_t, dx_t, _ = torch_grads(torch.nn.Flatten(), x, upstream)
    np.testing.assert_array_equal(y, y_t)
    np.testing.assert_array_equal(layer.backward(upstream), dx_t)


# --- gradient checks and the textbook ------------------------------------------------------------


@pytest.mark.parametrize("case", conv2d_cases()[:6])
def test_conv2d_passes_the_gradient_check(case):
    n, C, F, H, W, kernel, stride, padding = case
    layer = snn.Conv2D(C, F, kernel, stride=stride, padding=padding, rng=0)
    layer.b[:] = 0.3
    x = np.random.default_rng(1).standard_normal((n, C, H, W))
    errors = check_layer(layer, x, rng=2)
    assert set(errors) == {"x", "param0", "param1"}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("make", [lambda: snn.Conv1D(2, 3, 3, stride=2, padding=1, rng=0),
                                  lambda: snn.MaxPool2D(2), lambda: snn.MaxPool2D(3, 2),
                                  lambda: snn.AvgPool2D((2, 3), 1), snn.Flatten])
def test_the_other_layers_pass_the_gradient_check(make):
    layer = make()
    shape = (3, 2, 9) if isinstance(layer, snn.Conv1D) else (3, 2, 7, 6)
    errors = check_layer(layer, np.random.default_rng(3).standard_normal(shape), rng=4)
    assert max(errors.values()) < 1e-7, errors


def test_check_model_on_a_small_cnn_with_stride_and_padding():
    rng = np.random.default_rng(0)
    model = snn.Sequential([
        snn.Conv2D(2, 3, 3, stride=2, padding=1, rng=rng), snn.Tanh(), snn.MaxPool2D(2),
        snn.Conv2D(3, 4, (2, 1), padding=(1, 0), rng=rng), snn.AvgPool2D(2, 1), snn.Flatten(),
        snn.Dense(4 * 2 * 1, 3, rng=rng)])
    report = snn.check_model(model, snn.SoftmaxCrossEntropy(), rng.standard_normal((4, 2, 9, 7)),
                             np.array([0, 1, 2, 1]))
    assert report.ok, str(report)
    assert list(report)[:3] == ["X", "Conv2D (layer 0) W", "Conv2D (layer 0) b"]


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (3, 2)])
def test_conv2d_computes_the_textbooks_convolution(stride, padding):
    rng = np.random.default_rng(stride)
    layer = snn.Conv2D(3, 4, 3, stride=stride, padding=padding, rng=rng)
    layer.b[:] = rng.standard_normal(4)
    x = rng.standard_normal((2, 3, 8, 7))
    y = layer.forward(x)
    np.testing.assert_allclose(y, tb.conv2d(x, layer.W, layer.b, stride, padding), atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dx, dW, db = tb.conv2d_backward(x, layer.W, dy, stride, padding)
    np.testing.assert_allclose(layer.backward(dy), dx, atol=1e-12)
    np.testing.assert_allclose(layer.dW, dW, atol=1e-12)
    np.testing.assert_allclose(layer.db, db, atol=1e-12)


# --- the contract: shapes, errors, parameters ----------------------------------------------------


def test_weights_have_pytorchs_layout_and_gradients_are_written_in_place():
    layer = snn.Conv2D(3, 8, (5, 3), rng=0)
    assert layer.W.shape == (8, 3, 5, 3) and layer.b.shape == (8,)
    assert snn.Conv1D(2, 4, 3).W.shape == (4, 2, 3)
    dW, db = layer.dW, layer.db
    y = layer.forward(np.ones((2, 3, 6, 6)))
    layer.backward(np.ones_like(y))
    assert layer.dW is dW and layer.db is db
    assert [name for name, _ in layer.named_parameters()] == ["W", "b"]
    assert layer.parameters()[0][0] is layer.W
    assert np.std(layer.W) == pytest.approx(np.sqrt(2 / (3 * 5 * 3)), rel=0.2)  # He, fan-in 45


def test_a_shape_mismatch_names_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"Conv2D\(3, 8, 3\) expects input of shape "
                                         r"\(n, 3, H, W\), got \(10, 1, 28, 28\)"):
        snn.Conv2D(3, 8, 3).forward(np.zeros((10, 1, 28, 28)))
    with pytest.raises(ValueError, match=r"for n one-channel samples use x\[:, np.newaxis\]"):
        snn.Conv2D(1, 8, 3).forward(np.zeros((10, 28, 28)))
    with pytest.raises(ValueError, match=r"Conv1D\(2, 4, 3\) expects input of shape \(n, 2, L\)"):
        snn.Conv1D(2, 4, 3).forward(np.zeros((5, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"MaxPool2D\(2\) expects input of shape \(n, C, H, W\)"):
        snn.MaxPool2D(2).forward(np.zeros((5, 4)))


def test_a_kernel_larger_than_the_padded_input_is_a_clear_error():
    with pytest.raises(ValueError, match=r"Conv2D\(1, 8, 5, padding=1\): its 5x5 kernel is "
                                         r"larger than its input of size 2x4 \(padded: 4x6\)"):
        snn.Conv2D(1, 8, 5, padding=1).forward(np.zeros((2, 1, 2, 4)))
    with pytest.raises(ValueError, match="kernel is larger than its input"):
        snn.MaxPool2D(4).forward(np.zeros((1, 1, 3, 3)))
    model = snn.Sequential([snn.Conv2D(1, 2, 3), snn.MaxPool2D(2), snn.Conv2D(2, 2, 3)])
    with pytest.raises(ValueError, match=r"layer 2: Conv2D\(2, 2, 3\): its 3x3 kernel is larger"):
        model.predict_logits(np.zeros((1, 1, 7, 7)))


@pytest.mark.parametrize("bad", [
    dict(in_channels=0), dict(kernel_size=0), dict(kernel_size=(2, 2, 2)), dict(stride=0),
    dict(padding=-1), dict(kernel_size=True)])
def test_bad_settings_are_refused(bad):
    settings = {"in_channels": 2, "out_channels": 3, "kernel_size": 3, **bad}
    with pytest.raises(ValueError, match="Conv2D: "):
        snn.Conv2D(settings.pop("in_channels"), settings.pop("out_channels"), **settings)


def test_backward_before_forward_or_with_a_wrong_gradient():
    layer = snn.Conv2D(1, 2, 3)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.zeros((1, 2, 2, 2)))
    layer.forward(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"expects a gradient of shape \(1, 2, 2, 2\)"):
        layer.backward(np.zeros((1, 2, 3, 3)))
    pool = snn.MaxPool2D(2)
    with pytest.raises(RuntimeError, match="before forward"):
        pool.backward(np.zeros((1, 1, 1, 1)))


def test_release_drops_the_windows():
    layer = snn.Conv2D(1, 2, 3)
    layer.forward(np.zeros((4, 1, 6, 6)))
    assert layer.cols is not None
    layer.release()
    assert layer.cols is None


def test_reprs():
    assert repr(snn.Conv2D(3, 8, 3)) == "Conv2D(3, 8, 3)"
    assert repr(snn.Conv2D(3, 8, (3, 1), stride=2, padding=1)) == (
        "Conv2D(3, 8, (3, 1), stride=2, padding=1)")
    assert repr(snn.Conv1D(2, 4, 5, stride=2, dtype=np.float32)) == (
        "Conv1D(2, 4, 5, stride=2, dtype=float32)")
    assert repr(snn.MaxPool2D(2)) == "MaxPool2D(2)"
    assert repr(snn.AvgPool2D(3, 1)) == "AvgPool2D(3, stride=1)"


def test_float32_stays_float32():
    layer = snn.Conv2D(1, 2, 3, rng=0, dtype=np.float32)
    y = layer.forward(np.ones((2, 1, 5, 5), np.float32))
    assert y.dtype == np.float32
    assert layer.backward(np.ones_like(y)).dtype == np.float32


# --- in a network ---------------------------------------------------------------------------------


def small_cnn(rng=0):
    rng = np.random.default_rng(rng)
    return snn.Sequential([
        snn.Conv2D(1, 8, 3, padding=1, rng=rng), snn.ReLU(), snn.MaxPool2D(2),
        snn.Flatten(), snn.Dense(8 * 4 * 4, 10, rng=rng)])


def test_summary_shows_each_layers_output_shape_and_parameters():
    model = small_cnn()
    lines = []
    model.summary(print_fn=lines.append, input_shape=(1, 8, 8))
    table = lines[0].splitlines()
    assert table[2].split() == ["Conv2D(1,", "8,", "3,", "padding=1)", "(n,", "8,", "8,", "8)",
                                "80"]
    assert table[4].split()[-5:] == ["(n,", "8,", "4,", "4)", "0"]
    assert table[5].split()[-3:] == ["(n,", "128)", "0"]
    assert table[6].split()[-3:] == ["(n,", "10)", "1,290"]
    assert table[-1] == ("total: 1,370 parameters (float64); input shape (n, 1, 8, 8), "
                         "n = number of samples")
    model.summary(print_fn=lines.append)  # without the image size: height and width unknown
    assert "(n, 8, ?, ?)" in lines[1] and "input shape (n, 1, ?, ?)" in lines[1]
    with pytest.raises(ValueError, match=r"layer 4: Dense\(128, 10\) expects input of shape "
                                         r"\(n, 128\), got \(n, 200\)"):
        model.summary(print_fn=lines.append, input_shape=(1, 10, 10))


def test_a_cnn_predicts_on_images_and_names_the_layer_on_a_mismatch():
    model = small_cnn()
    assert not model.takes_rows and model.input_shape == (1, None, None)
    X = np.random.default_rng(0).standard_normal((300, 1, 8, 8))
    proba = model.predict_proba(X)
    assert proba.shape == (300, 10)
    np.testing.assert_allclose(model.predict_logits(X, chunk_rows=64),
                               model.predict_logits(X), atol=1e-12)
    with pytest.raises(ValueError, match=r"layer 0: Conv2D\(1, 8, 3, padding=1\) expects input "
                                         r"of shape \(n, 1, H, W\), got \(n, 3, 8, 8\)"):
        model.predict(np.zeros((2, 3, 8, 8)))
    features = model[:3]  # conv, ReLU, pooling: any image size
    assert features.chunk_rows(sample_shape=(1, 8, 8)) > features.chunk_rows(
        sample_shape=(1, 80, 80))
    # per sample: the three outputs, and the widest temporary (the windows, 9 per position)
    assert features.bytes_per_sample((1, 8, 8)) == 8 * (512 + 512 + 128 + 64 * 9)


def test_fit_refuses_mismatched_images_and_an_oversized_network_up_front(monkeypatch):
    model = small_cnn()
    with pytest.raises(ValueError, match=r"X of shape \(4, 1, 10, 10\) does not fit the model: "
                                         r"layer 4: Dense\(128, 10\)"):
        snn.fit(model, np.zeros((4, 1, 10, 10)), np.zeros(4, int), epochs=1)
    huge = snn.Sequential([snn.Conv2D(3, 256, 3, padding=1, rng=0), snn.ReLU(), snn.Flatten(),
                           snn.Dense(256 * 64 * 64, 2, rng=0)])
    X = np.zeros((16, 3, 64, 64))
    import scratchnn._memory as memory

    monkeypatch.setattr(memory, "available_bytes", lambda: 100 * 2**20)  # a 100 MB machine
    with pytest.raises(ValueError, match=r"this run would need about .* GB of memory .*"
                                         r"but about 104.9 MB is available; use a smaller "
                                         r"batch_size"):
        snn.fit(huge, X, np.zeros(16, int), epochs=1)


def test_a_small_cnn_learns_the_digits_with_fit():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = (digits.images / 16.0).reshape(-1, 1, 8, 8)  # (1797, 1, 8, 8): one channel, 8x8 pixels
    X_train, X_test, y_train, y_test = train_test_split(X, digits.target, test_size=0.25,
                                                        random_state=0, stratify=digits.target)
    model = small_cnn(rng=0)
    history = snn.fit(model, X_train, y_train, optimizer=snn.Adam(model.parameters(), lr=0.01),
                      epochs=20, batch_size=32, rng=0)
    assert history.loss[-1] < history.loss[0] / 5
    accuracy = float(np.mean(model.predict(X_test) == y_test))
    assert accuracy > 0.97, accuracy  # measured 0.987 (2 s)
