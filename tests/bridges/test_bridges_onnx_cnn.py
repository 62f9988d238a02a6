"""scratchnn -> ONNX for networks on images and sequences: Conv, MaxPool, AveragePool,
BatchNormalization (running statistics), LayerNormalization (or its formula before opset 17),
Flatten and residual Add, run by onnxruntime with the outputs of scratchnn (1e-6 in float32,
relative to the size of the outputs) for any batch size."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import bridges

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOL = 1e-6


def assert_close(actual, expected):
    bound = TOL * max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=bound)


def run(proto, X) -> np.ndarray:
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"X": X})[0]


def small_cnn() -> snn.Sequential:
    """Every layer kind, float32, running statistics and biases away from their start."""
    rng = np.random.default_rng(0)
    dtype = np.float32
    model = snn.Sequential([
        snn.Conv2D(2, 4, 3, stride=2, padding=2, rng=rng, dtype=dtype),
        snn.BatchNorm2D(4, dtype=dtype), snn.ReLU(),
        snn.Residual(snn.Sequential([snn.Conv2D(4, 4, (3, 1), padding=(1, 0), rng=rng,
                                                dtype=dtype), snn.Tanh()])),
        snn.MaxPool2D(2), snn.AvgPool2D(2, stride=1), snn.Flatten(),
        snn.Dense(16, 6, rng=rng, dtype=dtype), snn.BatchNorm1D(6, dtype=dtype),
        snn.LayerNorm(6, dtype=dtype), snn.LeakyReLU(0.1), snn.Dropout(0.5),
        snn.Dense(6, 3, rng=rng, dtype=dtype)])
    for layer in [model[0], model[3].block[0], model[7], model[12]]:
        layer.b[...] = rng.normal(size=layer.b.shape)
    for norm in [model[1], model[8], model[9]]:
        norm.gamma[...] = rng.uniform(0.5, 2, norm.gamma.shape)
        norm.beta[...] = rng.normal(size=norm.beta.shape)
    model[11].p = 0.0  # training forwards below without random drops
    for seed in range(3):
        model.forward(images(seed + 10))
    model[11].p = 0.5
    return model


def images(seed: int, n: int = 8) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 2, 9, 9)).astype(np.float32)


@pytest.mark.parametrize("opset", [13, 17])
def test_a_cnn_runs_in_onnxruntime_with_the_same_outputs(opset):
    model = small_cnn()
    proto = bridges.to_onnx(model, input_shape=(2, 9, 9), opset=opset)
    ops = {node.op_type for node in proto.graph.node}
    assert {"Conv", "MaxPool", "AveragePool", "BatchNormalization", "Flatten"} <= ops
    assert ("LayerNormalization" in ops) == (opset >= 17)
    expected = model.predict_logits(images(1, 20))
    for n in (1, 20):  # the batch dimension is open
        assert_close(run(proto, images(1, n)), expected[:n])
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value if d.HasField("dim_value") else None for d in dims] == [None, 2, 9, 9]


def test_height_and_width_stay_open_without_input_shape():
    model = snn.Sequential([snn.Conv2D(1, 2, 3, padding=1, rng=0, dtype=np.float32),
                            snn.ReLU(), snn.MaxPool2D(2)])
    proto = bridges.to_onnx(model)
    for size in (4, 6):
        X = np.random.default_rng(size).normal(size=(3, 1, size, size)).astype(np.float32)
        assert_close(run(proto, X), model.forward(X))


def test_conv1d_and_a_classifier_head_on_a_cnn():
    rng = np.random.default_rng(5)
    model = snn.Sequential([snn.Conv1D(2, 3, 3, stride=2, padding=1, rng=rng, dtype=np.float32),
                            snn.Tanh(), snn.Flatten(), snn.Dense(12, 4, rng=rng, dtype=np.float32)])
    X = rng.normal(size=(6, 2, 7)).astype(np.float32)
    assert_close(run(bridges.to_onnx(model, input_shape=(2, 7)), X), model.forward(X))
    proto = bridges.to_onnx(model, input_shape=(2, 7), classes=[0, 1, 2, 3])
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    label, proba = sess.run(None, {"X": X})
    np.testing.assert_array_equal(label, model.predict(X))
    assert_close(proba, model.predict_proba(X))


def test_float64_graphs_are_valid_and_keep_the_dtype():
    model = snn.Sequential([snn.Conv2D(1, 2, 3, rng=0), snn.BatchNorm2D(2), snn.Flatten(),
                            snn.LayerNorm(8), snn.Dense(8, 1, rng=1)])
    proto = bridges.to_onnx(model, input_shape=(1, 4, 4), opset=13)
    onnx.checker.check_model(proto, full_check=True)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert {init.data_type for init in proto.graph.initializer} == {onnx.TensorProto.DOUBLE}


def test_bad_requests_for_image_networks_are_refused():
    model = snn.Sequential([snn.Conv2D(1, 2, 3, rng=0, dtype=np.float32), snn.Flatten(),
                            snn.Dense(8, 1, rng=0, dtype=np.float32)])
    with pytest.raises(ValueError, match="standardize and features apply to a network on rows"):
        bridges.to_onnx(model, features=["x1", "x2"])
    with pytest.raises(ValueError, match=r"layer 2: .*Dense"):
        bridges.to_onnx(model, input_shape=(1, 5, 5))  # 2 * 3 * 3 = 18 values, not 8
    with pytest.raises(ValueError, match="give one sample's shape"):
        bridges.to_onnx(snn.Sequential([snn.Flatten(), snn.Dense(4, 1, rng=0)]))

    class Square(snn.Layer):
        def forward(self, x):
            return x * x

    nested = snn.Sequential([snn.Conv2D(1, 1, 1, rng=0), snn.Residual(snn.Sequential([Square()]))])
    with pytest.raises(TypeError, match=r"layer 1\.block\.0 \(Square\)"):
        bridges.to_onnx(nested)
