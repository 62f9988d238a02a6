"""scratchnn -> ONNX, checked by onnx.checker and run by onnxruntime; skl2onnx pipelines."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import bridges
from scratchnn.datasets import FeatureLift

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ACTIVATIONS = ["relu", "leaky_relu", "tanh", "logistic", "identity"]
TOL = 1e-5  # the bound for float32 (ONNX Runtime computes in float32)
# float64 graphs compute what scratchnn computes (LeakyReLU as max(x, slope * x) with a float64
# slope: ONNX's LeakyRelu holds its slope as a float32), so only the order of sums differs
TOLERANCE = {np.float32: TOL, np.float64: 1e-12}


def session(proto):
    onnx.checker.check_model(proto, full_check=True)
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def run(proto, X) -> list[np.ndarray]:
    return session(proto).run(None, {"X": X})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_sequential_runs_in_onnxruntime_with_the_same_outputs(activation, dtype):
    rng = np.random.default_rng(ACTIVATIONS.index(activation))
    model = snn.mlp([5, 9, 7, 3], activation, rng=rng, dtype=dtype)
    for layer in model.dense_layers:
        layer.b[...] = rng.normal(size=layer.b.shape)
    X = rng.normal(size=(100, 5)).astype(dtype)
    proto = bridges.to_onnx(model)
    ops = [node.op_type for node in proto.graph.node]
    assert ops.count("MatMul") == 3 and ops.count("Add") == 3
    (out,) = run(proto, X)
    assert out.dtype == dtype and out.shape == (100, 3)
    np.testing.assert_allclose(out, model.forward(X), rtol=0, atol=TOLERANCE[dtype])


def fitted(activation: str, dtype, n_classes: int, labels=None) -> tuple:
    rng = np.random.default_rng(n_classes)
    X = rng.normal(size=(150, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) if n_classes == 2 else np.digitize(
        X[:, 0] + X[:, 2], [-0.5, 0.5])
    if labels is not None:
        y = np.asarray(labels)[y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short fit: a ConvergenceWarning is expected
        clf = snn.MLPClassifier((6, 5), activation, max_iter=40, random_state=0,
                                dtype=dtype).fit(X, y)
    X_test = rng.normal(size=(300, 4)) * 2
    return clf, X_test.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_classifier_gives_label_and_probabilities_like_predict(activation, n_classes, dtype):
    clf, X = fitted(activation, dtype, n_classes)
    proto = bridges.to_onnx(clf)
    assert [o.name for o in proto.graph.output] == ["label", "probabilities"]
    label, proba = run(proto, X)
    assert label.dtype == np.int64 and proba.dtype == dtype
    np.testing.assert_array_equal(label, clf.predict(X))
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_float64_classifier_exported_as_float32_agrees_at_float32_tolerance(n_classes):
    clf, X = fitted("tanh", np.float64, n_classes)
    proto = bridges.to_onnx(clf, dtype=np.float32)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    label, proba = run(proto, X.astype(np.float32))
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=TOL)
    expected = clf.predict_proba(X)
    top = np.sort(expected, axis=1)
    clear = top[:, -1] - top[:, -2] > 2 * TOL  # rows not on a boundary at float32 precision
    np.testing.assert_array_equal(label[clear], clf.predict(X)[clear])
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got float16"):
        bridges.to_onnx(clf, dtype=np.float16)


def test_a_float32_network_exported_as_float64_keeps_its_values():
    model = snn.mlp([3, 5, 2], "tanh", rng=0, dtype=np.float32)
    X = np.random.default_rng(0).normal(size=(20, 3))
    (output,) = run(bridges.to_onnx(model, dtype="float64"), X)
    assert output.dtype == np.float64
    np.testing.assert_allclose(output, model.forward(X.astype(np.float32)), rtol=0, atol=1e-6)


def test_string_labels_and_a_sequential_with_classes():
    clf, X = fitted("tanh", np.float64, 3, labels=["cat", "dog", "eel"])
    label, proba = run(bridges.to_onnx(clf), X)
    assert label.dtype == object
    np.testing.assert_array_equal(label, clf.predict(X))
    label, proba2 = run(bridges.to_onnx(clf.model_, classes=[10, 20, 30]), X)
    np.testing.assert_array_equal(label, np.array([10, 20, 30])[clf.predict_proba(X).argmax(1)])
    np.testing.assert_allclose(proba2, proba, rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="2 classes for a network with 3 outputs"):
        bridges.to_onnx(clf.model_, classes=[0, 1])
    with pytest.raises(ValueError, match="integers or strings"):
        bridges.to_onnx(clf.model_, classes=[0.5, 1.5, 2.5])


def test_dropout_leaves_no_node_and_the_graph_is_the_eval_network():
    rng = np.random.default_rng(0)
    model = snn.Sequential([snn.Dense(3, 6, rng=rng), snn.ReLU(), snn.Dropout(0.5),
                            snn.Dense(6, 2, rng=rng)])
    proto = bridges.to_onnx(model)
    assert "Dropout" not in [node.op_type for node in proto.graph.node]
    X = rng.normal(size=(40, 3))
    np.testing.assert_allclose(run(proto, X)[0], model.eval().forward(X), rtol=0, atol=1e-12)


def test_preprocessing_in_the_graph():
    rng = np.random.default_rng(0)
    features = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
    model = snn.mlp([7, 5, 1], "tanh", rng=rng)
    mean, scale = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    proto = bridges.to_onnx(model, standardize=(mean, scale), features=features,
                            classes=["no", "yes"], feature_names=["a", "b"])
    assert {p.key: p.value for p in proto.metadata_props} == {"feature_names": "a,b"}
    X = rng.normal(size=(60, 2)) * 3
    Z = FeatureLift(features).fit(X).transform((X - mean) / scale)
    label, proba = run(proto, X)
    p = 1 / (1 + np.exp(-model.forward(Z)[:, 0]))
    np.testing.assert_allclose(proba[:, 1], p, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(label, np.where(model.forward(Z)[:, 0] > 0, "yes", "no"))


def test_the_file_is_written_and_reads_back(tmp_path):
    model = snn.mlp([2, 3, 1], rng=0)
    path = tmp_path / "m.onnx"
    proto = bridges.to_onnx(model, path, opset=13)
    assert onnx.load(str(path)) == proto
    assert proto.opset_import[0].version == 13
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temporary file left
    with pytest.raises(FileNotFoundError, match="does not exist"):
        bridges.to_onnx(model, tmp_path / "missing" / "m.onnx")


def test_bad_requests_are_refused_with_the_reason():
    model = snn.mlp([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match="opset must be an integer from 13"):
        bridges.to_onnx(model, opset=9)
    with pytest.raises(ValueError, match="not fitted yet"):
        bridges.to_onnx(snn.MLPClassifier())
    with pytest.raises(TypeError, match="expected a scratchnn Sequential"):
        bridges.to_onnx("model.npz")

    class Square(snn.Layer):
        def forward(self, x):
            return x * x

    with pytest.raises(TypeError, match=r"layer 1 \(Square\)"):
        bridges.to_onnx(snn.Sequential([snn.Dense(2, 2, rng=0), Square()]))


def test_without_onnx_one_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"to_onnx needs .*pip install \"scratchnn\[onnx\]\""):
        bridges.to_onnx(snn.mlp([2, 1], rng=0))
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match=r"register_skl2onnx needs .*skl2onnx"):
        bridges.register_skl2onnx()


# --- skl2onnx: a Pipeline with a StandardScaler ------------------------------------------------


@pytest.mark.parametrize("model_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("labels", [None, ["setosa", "versicolor", "virginica"]])
def test_skl2onnx_converts_a_pipeline_and_predicts_as_python(model_dtype, labels):
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.datasets import load_iris
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    bridges.register_skl2onnx()
    X, y = load_iris(return_X_y=True)
    if labels is not None:
        y = np.asarray(labels)[y]
    pipe = make_pipeline(StandardScaler(), snn.MLPClassifier(
        (16,), max_iter=300, random_state=0, dtype=model_dtype)).fit(X, y)
    X32 = X.astype(np.float32)

    plain = skl2onnx.to_onnx(pipe, X32[:1], options={id(pipe[-1]): {"zipmap": False}})
    label, proba = run(plain, X32)
    np.testing.assert_array_equal(label, pipe.predict(X32))
    np.testing.assert_allclose(proba, pipe.predict_proba(X32), rtol=0, atol=TOL)

    zipped = skl2onnx.to_onnx(pipe, X32[:1])  # skl2onnx's default: probabilities as maps
    label, maps = run(zipped, X32)
    np.testing.assert_array_equal(label, pipe.predict(X32))
    assert list(maps[0]) == list(pipe.classes_)

    double = skl2onnx.to_onnx(pipe, X[:1], options={id(pipe[-1]): {"zipmap": False}})
    label, proba = run(double, X)
    assert proba.dtype == np.float64
    np.testing.assert_array_equal(label, pipe.predict(X))
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0,
                               atol=TOLERANCE[np.dtype(model_dtype).type])


def test_skl2onnx_binary_classifier_and_nocl_option():
    skl2onnx = pytest.importorskip("skl2onnx")
    bridges.register_skl2onnx()
    clf, X = fitted("relu", np.float32, 2, labels=["no", "yes"])
    proto = skl2onnx.to_onnx(clf, X[:1], options={id(clf): {"zipmap": False, "nocl": True}})
    label, proba = run(proto, X)
    np.testing.assert_array_equal(label, (clf.predict(X) == "yes").astype(np.int64))
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=TOL)


# --- requests the graph could not honour: refused before a file is written ---------------------


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"features": ["x1", "x2", "x1^2"]}, r"features lists 3 columns but layer 0 \(Dense\) takes "
                                         r"2 inputs"),
    ({"standardize": ([0.0, 0.0, 0.0], [1.0, 1.0, 1.0])},
     r"standardize's mean has shape \(3,\), but the graph's input has 2 columns \(the 2 inputs "
     r"of layer 0 \(Dense\)\)"),
    ({"standardize": ([0.0, 0.0], [1.0])}, r"standardize's scale has shape \(1,\)"),
    ({"standardize": ([0.0, 0.0], [1.0, 0.0])}, r"scale is 0 for column 1"),
    ({"classes": ["a", "a"]}, r"class 'a' is given more than once"),
    ({"classes": [1, 2, 3]}, r"3 classes for a network with 1 outputs \(from layer 2, Dense; "
                             r"expected 2 classes\)"),
])
def test_a_request_that_would_give_a_broken_graph_is_refused(kwargs, message, tmp_path):
    model = snn.mlp([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match=message):
        bridges.to_onnx(model, tmp_path / "m.onnx", **kwargs)
    assert not list(tmp_path.iterdir())  # nothing written


def test_standardize_before_features_has_the_raw_columns_length():
    model = snn.mlp([3, 4, 1], rng=0)
    with pytest.raises(ValueError, match=r"input has 2 columns \(the 2 raw columns"):
        bridges.to_onnx(model, features=["x1", "x2", "x1*x2"],
                        standardize=([0.0, 0.0, 0.0], [1.0, 1.0, 1.0]))


def test_a_network_without_a_dense_layer_is_refused_naming_its_layers():
    with pytest.raises(ValueError, match=r"no Dense layer \(layer 0 \(ReLU\)\)"):
        bridges.to_onnx(snn.Sequential([snn.ReLU()]))


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_a_fitted_regressor_converts_and_predicts_as_python(loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = np.exp(0.3 * X[:, 0]) if loss == "poisson" else X @ [1.0, -2.0, 0.5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = snn.MLPRegressor(loss=loss, hidden_layer_sizes=(5,), max_iter=30,
                               random_state=0).fit(X, y)
    proto = bridges.to_onnx(reg)
    assert [o.name for o in proto.graph.output] == ["variable"]
    (out,) = run(proto, X)
    assert out.shape == (80, 1)
    np.testing.assert_allclose(out[:, 0], reg.predict(X), rtol=1e-12)
