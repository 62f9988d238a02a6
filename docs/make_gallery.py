"""Regenerate the pictures in docs/images/ (``make gallery``; under a minute).

    python docs/make_gallery.py [--out docs/images]

Every figure is made by the library's own plotting functions from a network trained here with
a fixed seed, so the pictures are reproducible and show what a user of the library gets.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import scratchnn as snn
from scratchnn import datasets, plotting

HERE = Path(__file__).resolve().parent


def split(name: str, seed: int, **kwargs):
    X, y = datasets.load(name, random_state=seed, **kwargs)
    return datasets.train_test_split(X, y, test_size=0.25, random_state=seed)


def test_accuracy(model, X, y) -> float:
    proba = plotting.model_predict_proba(model)(X)
    predicted = proba.argmax(axis=1) if proba.ndim == 2 else (proba >= 0.5).astype(int)
    return float(np.mean(predicted == y))


def spirals(out: Path) -> None:
    """Three noisy spiral arms, 2-16-16-3 ReLU, mini-batch Adam with an exponentially
    decaying learning rate: the boundary and the curves."""
    X_train, X_test, y_train, y_test = split("spirals", seed=0, n_samples=600, noise=0.3)
    rng = np.random.default_rng(0)
    model = snn.mlp([2, 16, 16, 3], "relu", rng=rng)
    optimizer = snn.Adam(model.parameters(), lr=0.01)
    schedule = snn.ExponentialLR(optimizer, gamma=0.99)  # lr 0.01 * 0.99^epoch: calm at the end
    history = snn.fit(model, X_train, y_train, optimizer=optimizer, schedule=schedule,
                      epochs=300, batch_size=32, rng=rng, validation_data=(X_test, y_test))
    ax = plotting.plot_decision_boundary(
        model, X_train, y_train, X_test, y_test,
        title="Three spirals: 2 → 16 → 16 → 3 ReLU, softmax, mini-batch Adam")
    plotting.save_figure(ax.figure, out / "spirals_boundary.png", dpi=110)
    fig = plotting.plot_history(history, title="Three spirals: training curves (validation = "
                                "the held-out 25%; Adam, lr 0.01 × 0.99 per epoch)")
    plotting.save_figure(fig, out / "spirals_history.png", dpi=110)
    print(f"spirals: test accuracy {test_accuracy(model, X_test, y_test):.4f}")


def hidden_units(out: Path) -> None:
    """Concentric circles with one hidden layer of 6 ReLU units: each unit is a half-plane,
    and the output combines them into a polygon around the inner circle."""
    X_train, X_test, y_train, y_test = split("circles", seed=0, n_samples=600, noise=0.08)
    rng = np.random.default_rng(0)
    model = snn.mlp([2, 6, 1], "relu", rng=rng)
    snn.fit(model, X_train, y_train, optimizer=snn.Adam(model.parameters(), lr=0.02),
            epochs=400, batch_size=32, rng=rng, n_init=3)
    fig = plotting.plot_hidden_units(
        model, X_train, y_train, resolution=120,
        title="Circles, 2 → 6 ReLU → 1: each hidden unit is on (orange) in a half-plane;\n"
              "the output weighs and adds them: a polygon around the inner circle")
    plotting.save_figure(fig, out / "hidden_units.png", dpi=110)
    print(f"circles (6 hidden units): test accuracy {test_accuracy(model, X_test, y_test):.4f}")


def moons_animation(out: Path) -> None:
    """Two moons, 2-8-8-1 tanh, full-batch gradient descent: 40 frames of training."""
    X_train, X_test, y_train, y_test = split("moons", seed=2, n_samples=400, noise=0.2)
    rng = np.random.default_rng(2)
    model = snn.mlp([2, 8, 8, 1], "tanh", rng=rng)
    epochs = 600
    recorder = plotting.TrainingRecorder(n_frames=40)
    history = snn.fit(model, X_train, y_train, lr=0.3, epochs=epochs, rng=rng,
                      validation_data=(X_test, y_test), callbacks=[recorder])
    n = plotting.animate_training(model, recorder, X_train, y_train, out / "moons_training.gif",
                                  history=history, X_test=X_test, y_test=y_test, fps=8,
                                  title="Two moons, 2 → 8 → 8 → 1 tanh, gradient descent")
    size = (out / "moons_training.gif").stat().st_size
    print(f"moons animation: {n} frames, {size / 1e6:.2f} MB, "
          f"test accuracy {test_accuracy(model, X_test, y_test):.4f}")


def minibatch_adam(out: Path) -> None:
    """docs/training.md's mini-batch example, drawn: two moons, 2-16-16-1 ReLU, Adam on
    mini-batches of 32, early stopping on a 20% validation split (the same code and seeds)."""
    X, y = datasets.moons(1000, noise=0.2, random_state=0)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25,
                                                                 random_state=0)
    model = snn.mlp([2, 16, 16, 1], "relu", rng=0)
    optimizer = snn.Adam(model.parameters(), lr=0.01)
    history = snn.fit(model, X_train, y_train, optimizer=optimizer, epochs=200, batch_size=32,
                      validation_split=0.2, early_stopping=True, patience=20, rng=0)
    fig = Figure(figsize=(13, 4.8), layout="constrained")
    ax_boundary, ax_loss, ax_acc = fig.subplots(1, 3, width_ratios=[1.6, 1, 1])
    plotting.plot_decision_boundary(model, X_train, y_train, X_test, y_test, ax=ax_boundary,
                                    colorbar=False)
    plotting.plot_history(history, ax=[ax_loss, ax_acc])
    stop = (f"stopped at epoch {history.epochs}, kept epoch {history.best_epoch}"
            if history.stopped_early else f"{history.epochs} epochs")
    fig.suptitle(f"Two moons, 2 → 16 → 16 → 1 ReLU: Adam (lr 0.01), mini-batches of 32, early "
                 f"stopping ({stop})", fontsize=12)
    plotting.save_figure(fig, out / "minibatch_adam.png", dpi=110)
    print(f"moons (mini-batch Adam): {stop}, test accuracy "
          f"{test_accuracy(model, X_test, y_test):.4f}")


def spirals_multiclass(out: Path) -> None:
    """docs/training.md's multiclass example, drawn: 900 spiral points, 2-64-64-3 ReLU, Adam with
    the rate halved every 50 epochs (the same code and seeds)."""
    X, y = datasets.spirals(900, noise=0.2, n_classes=3, random_state=0)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25,
                                                                 random_state=0)
    model = snn.mlp([2, 64, 64, 3], "relu", rng=0)
    optimizer = snn.Adam(model.parameters(), lr=0.01)
    schedule = snn.StepLR(optimizer, step_size=50, gamma=0.5)
    snn.fit(model, X_train, y_train, loss="cross_entropy", optimizer=optimizer,
            schedule=schedule, epochs=150, batch_size=32, rng=0)
    ax = plotting.plot_decision_boundary(
        model, X_train, y_train, X_test, y_test,
        title="Three spirals: 2 → 64 → 64 → 3 ReLU, Adam with StepLR")
    plotting.save_figure(ax.figure, out / "spirals.png", dpi=110)
    print(f"spirals (2-64-64-3): test accuracy {test_accuracy(model, X_test, y_test):.4f}")


def regression_surface(out: Path) -> None:
    """Regression: Playground's six bumps (multi_gaussian), 2-16-16-1 ReLU with an identity
    output, squared error, Adam on mini-batches; the predicted surface with the points (what
    ``scratchnn train --task regression --plot`` draws)."""
    X, y = datasets.multi_gaussian(800, random_state=0)
    X_train, X_test, y_train, y_test = datasets.train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=False)
    model = snn.mlp([2, 16, 16, 1], "relu", rng=0)
    snn.fit(model, X_train, y_train, loss="mse", optimizer=snn.Adam(model.parameters(), lr=0.01),
            epochs=300, batch_size=32, rng=0)
    ax = plotting.plot_regression(
        model, X_train, y_train, X_test, y_test,
        title="Six bumps (multi_gaussian): 2 → 16 → 16 → 1 ReLU, squared error, Adam")
    plotting.save_figure(ax.figure, out / "regression_surface.png", dpi=110)
    predicted = model.forward(X_test)[:, 0]
    r2 = 1 - np.sum((predicted - y_test) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
    print(f"multi_gaussian regression: test R² {r2:.4f}")


def diagnostics(out: Path) -> None:
    """docs/training.md's ten sigmoid layers, watched by a TrainingDoctor (the same code and
    seeds), drawn by plot_diagnostics (epochs on a log scale, one legend beside the panels, the
    finding named)."""
    X, y = datasets.moons(1000, noise=0.2, random_state=0)
    model = snn.mlp([2] + [16] * 9 + [1], "sigmoid", rng=0)
    doctor = snn.TrainingDoctor(stream=None)
    history = snn.fit(model, X, y, lr=0.5, epochs=200, callbacks=[doctor])
    fig = plotting.plot_diagnostics(
        doctor, title="Ten sigmoid layers on two moons, gradient descent at lr 0.5: "
                      "what the training doctor measured")
    fig.set_size_inches(10.5, 4.2)
    plotting.save_figure(fig, out / "diagnostics.png", dpi=110)
    print(f"diagnostics: findings {doctor.kinds}, final loss {history.loss[-1]:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "images",
                        help="folder for the images (default docs/images)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for make in (spirals, hidden_units, moons_animation, minibatch_adam, spirals_multiclass,
                 diagnostics, regression_surface):
        make(args.out)
    print(f"gallery written to {args.out} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
