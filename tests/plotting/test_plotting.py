"""Pictures: the figure functions draw what they claim and write valid image files."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from PIL import Image

import scratchnn as snn
from scratchnn import datasets, plotting
from scratchnn.plotting import animation


@pytest.fixture(autouse=True)
def close_pyplot_figures():
    """Figures join pyplot when another test imported it: close them after each test."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="module")
def moons_model():
    X, y = datasets.moons(n_samples=120, noise=0.2, random_state=0)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25,
                                                                 random_state=0)
    rng = np.random.default_rng(0)
    model = snn.mlp([2, 6, 1], "tanh", rng=rng)
    history = snn.fit(model, X_train, y_train, optimizer=snn.Adam(model.parameters(), lr=0.05),
                      epochs=30, rng=rng, validation_data=(X_test, y_test))
    return model, history, (X_train, X_test, y_train, y_test)


def _png_size(path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.verify()
        return image.size


def test_model_predict_proba_binary_is_the_sigmoid_of_the_logits(moons_model):
    model, _, (X, *_) = moons_model
    proba = plotting.model_predict_proba(model)(X)
    assert proba.shape == (X.shape[0],)
    np.testing.assert_allclose(proba, 1 / (1 + np.exp(-model.forward(X)[:, 0])), rtol=1e-12)


def test_model_predict_proba_multiclass_rows_sum_to_one_and_apply_the_transform():
    lift = datasets.FeatureLift(["x1", "x2", "x1^2", "x2^2"])
    model = snn.mlp([4, 5, 3], rng=0)
    X = np.random.default_rng(1).normal(size=(50, 2))
    proba = plotting.model_predict_proba(model, transform=lift)(X)
    assert proba.shape == (50, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    logits = model.forward(lift.transform(X))
    np.testing.assert_array_equal(proba.argmax(axis=1), logits.argmax(axis=1))


def test_probabilities_from_huge_logits_stay_finite():
    with np.errstate(all="raise"):
        binary = plotting.probabilities_from_logits(np.array([[-1000.0], [0.0], [1000.0]]))
        multi = plotting.probabilities_from_logits(np.array([[1000.0, -1000.0, 0.0]]))
    np.testing.assert_allclose(binary, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(multi, [[1.0, 0.0, 0.0]])


def test_decision_boundary_title_reports_the_accuracies(moons_model, tmp_path):
    model, _, (X_train, X_test, y_train, y_test) = moons_model
    ax = plotting.plot_decision_boundary(model, X_train, y_train, X_test, y_test, title="moons",
                                         resolution=40)
    assert isinstance(ax, Axes)
    predict = plotting.model_predict_proba(model)
    train_acc = np.mean((predict(X_train) >= 0.5) == y_train)
    test_acc = np.mean((predict(X_test) >= 0.5) == y_test)
    assert f"train accuracy {train_acc:.3f}" in ax.get_title()
    assert f"test accuracy {test_acc:.3f}" in ax.get_title()
    path = tmp_path / "boundary.png"
    plotting.save_figure(ax.figure, path, dpi=50)
    width, height = ax.figure.get_size_inches() * 50
    assert _png_size(path) == (round(width), round(height))


def test_misclassified_test_points_are_ringed():
    X_train = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    y_train = np.array([0, 1, 0])
    X_test = np.array([[0.2, 0.1], [0.9, 0.8], [0.5, 0.3], [0.1, 0.9]])
    y_test = np.array([0, 1, 1, 1])

    def always_zero(points):  # P(class 1) = 0.2 everywhere: the class-1 test points are wrong
        return np.full(points.shape[0], 0.2)

    ax = plotting.plot_decision_boundary(always_zero, X_train, y_train, X_test, y_test,
                                         resolution=10)
    assert "test accuracy 0.250" in ax.get_title()
    rings = [c for c in ax.collections if c.get_gid() == "misclassified"]
    assert rings, "no ring was drawn"
    for ring in rings:
        np.testing.assert_array_equal(ring.get_offsets(), X_test[y_test == 1])


def test_multiclass_decision_boundary_accepts_any_callable():
    X, y = datasets.spirals(n_samples=90, random_state=0)

    def by_angle(points):  # three wedges by angle: a fixed three-class "model"
        k = ((np.arctan2(points[:, 1], points[:, 0]) + np.pi) // (2 * np.pi / 3)).astype(int) % 3
        return np.eye(3)[k] * 0.8 + 0.2 / 3

    ax = plotting.plot_decision_boundary(by_angle, X, y, resolution=30, title="wedges")
    expected = np.mean(by_angle(X).argmax(axis=1) == y)
    assert f"train accuracy {expected:.3f}" in ax.get_title()


def test_decision_boundary_draws_into_a_given_axes():
    fig = Figure()
    ax = fig.add_subplot()
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    out = plotting.plot_decision_boundary(lambda p: p[:, 0], X, np.array([0, 1]), ax=ax,
                                          resolution=8, colorbar=False)
    assert out is ax


def test_decision_boundary_names_the_axes_after_the_columns():
    X = np.array([[1.0, 0.1], [7.0, 2.5]])  # a length and a width: different ranges
    by_column = plotting.plot_decision_boundary(lambda p: p[:, 1] > 1, X, np.array([0, 1]),
                                                resolution=8, feature_names=["length", "width"])
    assert (by_column.get_xlabel(), by_column.get_ylabel()) == ("length", "width")
    assert by_column.get_aspect() == "auto"  # different quantities: no common scale
    square = np.array([[0.0, 0.0], [1.0, 1.0]])
    default = plotting.plot_decision_boundary(lambda p: p[:, 0], square, np.array([0, 1]),
                                              resolution=8)
    assert (default.get_xlabel(), default.get_ylabel()) == ("$x_1$", "$x_2$")
    assert default.get_aspect() == 1.0
    with pytest.raises(ValueError, match="feature_names must name the 2 input columns, got 3"):
        plotting.plot_decision_boundary(lambda p: p[:, 0], square, np.array([0, 1]),
                                        feature_names=["a", "b", "c"])


def test_decision_boundary_refuses_points_it_cannot_place():
    with pytest.raises(ValueError, match="X_train contains NaN or infinite values"):
        plotting.plot_decision_boundary(lambda p: p[:, 0], np.array([[0.0, np.nan], [1, 1]]),
                                        np.array([0, 1]))
    far = np.array([[-1.5e308, 0.0], [1.5e308, 1.0]])
    with pytest.raises(ValueError, match="the points span too large a range to draw"):
        plotting.plot_decision_boundary(lambda p: p[:, 0] > 0, far, np.array([0, 1]))


def test_decision_boundary_rejects_points_that_are_not_2d():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plotting.plot_decision_boundary(lambda p: p[:, 0], np.zeros((4, 3)), np.zeros(4))


def test_plot_history_draws_loss_and_accuracy(moons_model):
    _, history, _ = moons_model
    fig = plotting.plot_history(history)
    assert isinstance(fig, Figure)
    loss_ax, acc_ax = fig.axes
    lines = {line.get_label(): line for line in loss_ax.get_lines()}
    np.testing.assert_allclose(lines["training"].get_ydata(), history.loss)
    np.testing.assert_allclose(lines["validation"].get_ydata(), history.val_loss)
    acc_lines = {line.get_label(): line for line in acc_ax.get_lines()}
    np.testing.assert_allclose(acc_lines["validation"].get_ydata(), history.val_accuracy)


def test_plot_history_accepts_a_dict_and_adds_a_learning_rate_panel():
    history = {"loss": [1.0, 0.5, 0.25], "accuracy": [0.5, 0.7, 0.9], "lr": [0.1, 0.05, 0.025]}
    fig = plotting.plot_history(history)
    assert len(fig.axes) == 3
    assert fig.axes[2].get_yscale() == "log"
    with pytest.raises(ValueError, match="no 'loss'"):
        plotting.plot_history({"accuracy": [0.5]})


def test_hidden_activations_are_the_first_layer_after_its_activation(moons_model):
    model, _, (X, *_) = moons_model
    first = model.dense_layers[0]
    np.testing.assert_allclose(plotting.hidden_activations(model, X),
                               np.tanh(X @ first.W + first.b))
    np.testing.assert_allclose(plotting.hidden_activations(model, X, pre_activation=True),
                               X @ first.W + first.b)
    with pytest.raises(ValueError, match="hidden layer"):
        plotting.hidden_activations(model, X, layer=1)


def test_hidden_activations_of_a_deeper_layer_pass_through_dropout_in_training_mode():
    rng = np.random.default_rng(0)
    model = snn.Sequential([snn.Dense(2, 5, rng=rng), snn.ReLU(), snn.Dropout(0.5, rng=rng),
                            snn.Dense(5, 3, rng=rng), snn.Tanh(), snn.Dense(3, 1, rng=rng)])
    X = rng.normal(size=(40, 2))
    first, second = model.dense_layers[:2]
    pre = np.maximum(X @ first.W + first.b, 0) @ second.W + second.b  # no dropout
    np.testing.assert_allclose(plotting.hidden_activations(model, X, layer=1), np.tanh(pre))
    np.testing.assert_allclose(plotting.hidden_activations(model, X, 1, pre_activation=True), pre)
    assert model.training  # the mode is restored


def test_plot_hidden_units_has_one_panel_per_unit_plus_the_output(moons_model, tmp_path):
    model, _, (X, _, y, _) = moons_model
    fig = plotting.plot_hidden_units(model, X, y, resolution=20)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 6 + 1
    plotting.save_figure(fig, tmp_path / "units.png", dpi=40)
    assert _png_size(tmp_path / "units.png")[0] > 0


def test_snapshot_epochs_are_sorted_unique_and_cover_the_run():
    epochs = plotting.snapshot_epochs(500, 40)
    assert len(epochs) == 40
    assert epochs == sorted(set(epochs))
    assert epochs[0] == 1 and epochs[-1] == 500
    assert plotting.snapshot_epochs(10, 40) == list(range(1, 11))


def test_recorder_keeps_the_run_that_fit_kept():
    X, y = datasets.moons(n_samples=60, random_state=1)
    rng = np.random.default_rng(3)
    model = snn.mlp([2, 3, 1], rng=rng)
    recorder = plotting.TrainingRecorder([2, 5])
    history = snn.fit(model, X, y, lr=0.5, epochs=5, n_init=3, rng=rng, callbacks=[recorder])
    assert len(recorder.runs) == 3
    kept = recorder.snapshots(history)
    assert [epoch for epoch, _ in kept] == [2, 5]
    expected = recorder.runs[history.best_restart]
    for (_, got), (_, want) in zip(kept, expected):
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_recorder_spreads_its_frames_over_a_run_of_unknown_length():
    X, y = datasets.xor(n_samples=40, random_state=0)
    model = snn.mlp([2, 3, 1], rng=0)
    recorder = plotting.TrainingRecorder(n_frames=12)
    most_held = 0

    def count(epoch, history, model):
        nonlocal most_held
        run = recorder._runs[-1]
        most_held = max(most_held, len(run.early) + len(run.rest) + 1)

    snn.fit(model, X, y, lr=0.1, epochs=1000, rng=0, callbacks=[recorder, count])
    epochs = [epoch for epoch, _ in recorder.snapshots()]
    assert len(epochs) == 12
    assert epochs[:3] == [1, 2, 3]  # n_frames // 4 early epochs, every one
    assert epochs == sorted(set(epochs)) and epochs[-1] == 1000
    gaps = np.diff(epochs[3:])
    assert gaps.max() <= 2 * gaps.min() + 1  # then about evenly spaced
    assert most_held <= 3 * 12  # thinned as it goes, not one copy per epoch


def test_recorder_with_early_stopping_ends_at_the_last_epoch_run():
    X, y = datasets.moons(n_samples=80, random_state=0)
    model = snn.mlp([2, 8, 1], rng=0)
    recorder = plotting.TrainingRecorder(n_frames=24)
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.05), epochs=500,
                      validation_split=0.25, early_stopping=True, patience=5, rng=0,
                      callbacks=[recorder])
    assert history.stopped_early and history.epochs >= 24
    epochs = [epoch for epoch, _ in recorder.snapshots(history)]
    assert len(epochs) == 24 and epochs[-1] == history.epochs


def test_animate_training_writes_a_gif_and_restores_the_weights(tmp_path):
    X, y = datasets.moons(n_samples=80, noise=0.2, random_state=0)
    rng = np.random.default_rng(0)
    model = snn.mlp([2, 4, 1], rng=rng)
    recorder = plotting.TrainingRecorder.for_epochs(30, n_frames=24)
    history = snn.fit(model, X, y, lr=0.5, epochs=30, rng=rng, callbacks=[recorder])
    before = model.get_weights()
    path = tmp_path / "training.gif"
    n_frames = plotting.animate_training(model, recorder, X, y, path, history=history,
                                         resolution=20, dpi=40)
    assert n_frames == 24
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 24
        assert gif.size == (round(8.6 * 40), round(4.0 * 40))
    for w_before, w_after in zip(before, model.get_weights()):
        np.testing.assert_array_equal(w_before, w_after)


def test_animate_training_names_the_classes_when_asked(tmp_path, monkeypatch):
    X, y = datasets.spirals(n_samples=60, random_state=0)
    model = snn.mlp([2, 4, 3], rng=0)
    rendered = []
    real_render = animation._render_rgb
    monkeypatch.setattr(animation, "_render_rgb",
                        lambda fig: rendered.append(fig) or real_render(fig))
    for names in (None, ["setosa", "versicolor", "virginica"]):
        plotting.animate_training(model, [(1, model.get_weights())], X, y, tmp_path / "a.gif",
                                  resolution=8, dpi=30, class_names=names)
    legends = [fig.axes[0].get_legend() for fig in rendered]
    assert legends[0] is None
    assert [t.get_text() for t in legends[1].get_texts()] == ["setosa", "versicolor",
                                                               "virginica"]


def test_animate_training_without_snapshots_says_what_to_do(tmp_path):
    model = snn.mlp([2, 1], rng=0)
    with pytest.raises(ValueError, match="TrainingRecorder"):
        plotting.animate_training(model, [], np.zeros((2, 2)), np.array([0, 1]),
                                  tmp_path / "a.gif")


def test_a_failed_save_leaves_the_old_file_alone(tmp_path):
    path = tmp_path / "figure.notaformat"
    path.write_bytes(b"old bytes")
    with pytest.raises(ValueError):
        plotting.save_figure(Figure(), path)
    assert path.read_bytes() == b"old bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["figure.notaformat"]


def test_new_figures_join_pyplot_when_it_is_in_use():
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    fig = plotting.plot_history({"loss": [1.0, 0.5]})
    try:
        assert set(plt.get_fignums()) - before == {fig.number}
    finally:
        plt.close(fig)


def test_a_missing_folder_is_reported_with_the_target_path(tmp_path):
    fig = Figure()
    fig.add_subplot()
    target = tmp_path / "no" / "such" / "folder" / "figure.png"
    with pytest.raises(FileNotFoundError, match=f"cannot write {target}: No such file"):
        plotting.save_figure(fig, target)


# --- regression: surface, curve, predicted against true ----------------------------------------


def _plane_predict(X: np.ndarray) -> np.ndarray:
    return 0.6 * X.sum(axis=1) + 0.05  # a known "model": plane's target, slightly off


def test_plot_regression_draws_the_predicted_surface_for_two_inputs():
    X, y = datasets.plane(n_samples=80, random_state=0)
    ax = plotting.plot_regression(_plane_predict, X[:60], y[:60], X[60:], y[60:],
                                  resolution=30, target_name="height")
    image = ax.images[0]
    surface = image.get_array()
    assert surface.shape == (30, 30)
    x0, x1, y0, y1 = image.get_extent()
    xs, ys = np.linspace(x0, x1, 30), np.linspace(y0, y1, 30)
    bottom_row, left_column = np.column_stack([xs, np.full(30, y0)]), np.column_stack(
        [np.full(30, x0), ys])
    np.testing.assert_allclose(surface[0], _plane_predict(bottom_row))
    np.testing.assert_allclose(surface[:, 0], _plane_predict(left_column))
    # The points carry their true values on the surface's colour scale.
    train, test = ax.collections[-2:]
    np.testing.assert_allclose(train.get_array(), y[:60])
    np.testing.assert_allclose(test.get_array(), y[60:])
    assert train.norm.vmin == image.norm.vmin and train.norm.vmax == image.norm.vmax
    assert "height" in ax.figure.axes[-1].get_ylabel()  # the colorbar
    assert "train R² 0.99" in ax.get_title() and "test R²" in ax.get_title()


def test_plot_regression_draws_a_curve_for_one_input():
    model = snn.mlp([1, 4, 1], rng=0)
    X, y = datasets.sine(n_samples=50, random_state=0)
    ax = plotting.plot_regression(model, X, y, feature_names=["angle"])
    curve = next(line for line in ax.get_lines() if line.get_label() == "prediction")
    xs = curve.get_xdata()
    assert xs.min() < X.min() and xs.max() > X.max()
    np.testing.assert_allclose(curve.get_ydata(), model.forward(xs.reshape(-1, 1))[:, 0])
    assert ax.get_xlabel() == "angle" and ax.get_ylabel() == "y"


def test_plot_regression_draws_predicted_against_true_for_more_inputs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X.sum(axis=1)
    ax = plotting.plot_regression(lambda X: X.sum(axis=1) * 0.9, X, y, target_name="price")
    points = ax.collections[0].get_offsets()
    np.testing.assert_allclose(points[:, 0], y)
    np.testing.assert_allclose(points[:, 1], 0.9 * y)
    diagonal = ax.get_lines()[0]
    assert list(diagonal.get_xdata()) == list(diagonal.get_ydata())
    assert ax.get_xlabel() == "true price" and ax.get_ylabel() == "predicted price"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"y_train": np.zeros(5)}, "expected X (n, d) and y (n,)"),
    ({"X_test": np.zeros((3, 2))}, "X_test was given without y_test"),
    ({"resolution": 1}, "resolution must be an integer >= 2"),
    ({"feature_names": ["a"]}, "must name the 2 input columns"),
])
def test_plot_regression_refuses_bad_input(kwargs, message):
    args = {"X_train": np.zeros((4, 2)), "y_train": np.arange(4.0), **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plotting.plot_regression(_plane_predict, **args)


def test_plot_history_shows_r2_for_a_regression_loss():
    X, y = datasets.sine(n_samples=80, random_state=0)
    model = snn.mlp([1, 8, 1], "tanh", rng=0)
    history = snn.fit(model, X, y, loss="mse", optimizer=snn.Adam(model.parameters(), lr=0.02),
                      epochs=20, rng=0, validation_split=0.25)
    fig = plotting.plot_history(history)
    _, r2_ax = fig.axes  # loss, then R²
    assert r2_ax.get_ylabel() == "R²"
    train, val = (line.get_ydata() for line in r2_ax.get_lines()[:2])
    np.testing.assert_allclose(train, history.r2)
    np.testing.assert_allclose(val, history.val_r2)
    assert r2_ax.get_ylim()[0] >= -1.02 and r2_ax.get_ylim()[1] == pytest.approx(1.02)
