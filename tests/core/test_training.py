"""``fit``: batches, validation, early stopping, restarts, L2, dropout, callbacks, Ctrl-C,
divergence, input checks, determinism and the progress bar."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scratchnn as snn
from scratchnn import datasets
from scratchnn.training import Batches, Patience, add_l2_penalty, stratified_split, train_epochs


@pytest.fixture(scope="module")
def moons():
    return datasets.moons(120, noise=0.3, random_state=0)


def net(sizes=(2, 8, 1), seed=0, dtype=np.float64, activation="relu"):
    return snn.mlp(list(sizes), activation, rng=seed, dtype=dtype)


class Recorder(snn.Layer):
    """Passes its input through and keeps a copy of every batch it sees in training mode
    (``batches``) and in evaluation mode (``evaluated``)."""

    def __init__(self):
        super().__init__()
        self.batches, self.evaluated = [], []

    def forward(self, x):
        (self.batches if self.training else self.evaluated).append(x.copy())
        return x

    def backward(self, grad):
        return grad


def record_weights(store):
    """A callback that keeps a copy of the weights at the end of every epoch."""

    def callback(epoch, history, model):
        assert epoch == len(history.loss) == len(store) + 1
        store.append(model.get_weights())

    return callback


def assert_weights_equal(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


# --- the basic loop ------------------------------------------------------------------------------


def test_full_batch_fit_is_the_teaching_loop(moons):
    X, y = moons
    model, reference = net(), net()
    history = snn.fit(model, X, y, lr=0.5, epochs=5)
    loss, opt = snn.BinaryCrossEntropy(), snn.SGD(reference.parameters(), lr=0.5)
    values = []
    for _ in range(5):
        values.append(loss.forward(reference.forward(X), y))
        reference.backward(loss.backward())
        opt.step()
    assert history.loss == values
    assert_weights_equal(model.get_weights(), reference.get_weights())
    assert history.epochs == 5 and history.lr == [0.5] * 5
    assert not history.stopped_early and not history.interrupted


@pytest.mark.parametrize(("n", "batch_size", "sizes"), [(10, 4, [4, 4, 2]), (9, 3, [3, 3, 3]),
                                                         (7, 10, [7])])
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_sample_is_seen_exactly_once_per_epoch(n, batch_size, sizes, shuffle):
    X = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])  # column 0 identifies the row
    y = np.arange(n) % 2
    recorder = Recorder()
    model = snn.Sequential([recorder, snn.Dense(2, 1, rng=0)])
    snn.fit(model, X, y, lr=0.01, epochs=3, batch_size=batch_size, shuffle=shuffle, rng=0)
    per_epoch = len(sizes)
    assert len(recorder.batches) == 3 * per_epoch
    for epoch in range(3):
        batches = recorder.batches[epoch * per_epoch:(epoch + 1) * per_epoch]
        assert [len(b) for b in batches] == sizes  # the last, short batch is used
        rows = np.concatenate([b[:, 0] for b in batches])
        np.testing.assert_array_equal(np.sort(rows), np.arange(n))
        if not shuffle:
            np.testing.assert_array_equal(rows, np.arange(n))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 60), batch_size=st.integers(1, 70), shuffle=st.booleans())
def test_batches_cover_the_data_for_any_sizes(n, batch_size, shuffle):
    X = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    recorder = Recorder()
    model = snn.Sequential([recorder, snn.Dense(2, 1, rng=0)])
    snn.fit(model, X, np.arange(n) % 2, lr=0.01, epochs=1, batch_size=batch_size,
            shuffle=shuffle, rng=0)
    sizes = [len(b) for b in recorder.batches]
    assert sizes == [min(batch_size, n)] * (n // min(batch_size, n)) + (
        [n % batch_size] if batch_size < n and n % batch_size else [])
    np.testing.assert_array_equal(np.sort(np.concatenate([b[:, 0] for b in recorder.batches])),
                                  np.arange(n))


def test_shuffling_changes_the_batches_between_epochs():
    n = 40
    X = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    recorder = Recorder()
    model = snn.Sequential([recorder, snn.Dense(2, 1, rng=0)])
    snn.fit(model, X, np.arange(n) % 2, lr=0.01, epochs=2, batch_size=8, rng=0)
    first = np.concatenate([b[:, 0] for b in recorder.batches[:5]])
    second = np.concatenate([b[:, 0] for b in recorder.batches[5:]])
    assert not np.array_equal(first, second)


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    # With a tiny learning rate the weights barely move, so the epoch's loss is the full-data loss.
    X, y = datasets.moons(50, random_state=1)
    model = net()
    before = snn.BinaryCrossEntropy().forward(model.forward(X), y)
    history = snn.fit(model, X, y, lr=1e-12, epochs=1, batch_size=16, rng=0)  # batches 16,16,16,2
    assert history.loss[0] == pytest.approx(before, rel=1e-9)


# --- validation ----------------------------------------------------------------------------------


def test_validation_data_gives_val_loss_and_is_monitored(moons):
    X, y = moons
    X_val, y_val = datasets.moons(60, noise=0.3, random_state=1)
    model = net()
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.01), epochs=6,
                      batch_size=32, rng=0, validation_data=(X_val, y_val))
    assert len(history.val_loss) == len(history.val_accuracy) == 6
    assert history.monitor is history.val_loss
    model.eval()
    logits = model.forward(X_val)
    assert history.val_loss[-1] == pytest.approx(snn.BinaryCrossEntropy().forward(logits, y_val))
    assert history.val_accuracy[-1] == pytest.approx(np.mean((logits[:, 0] > 0) == y_val))


def test_stratified_split_holds_out_the_fraction_of_every_class():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    train, held = stratified_split(y, 0.2, np.random.default_rng(0))
    assert np.intersect1d(train, held).size == 0
    np.testing.assert_array_equal(np.union1d(train, held), np.arange(100))
    assert np.bincount(y[held]).tolist() == [12, 6, 2]


def test_validation_split_is_stratified_end_to_end():
    n = 100
    y = np.r_[np.zeros(80, int), np.ones(20, int)]
    X = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])  # column 0 identifies the row
    recorder = Recorder()
    model = snn.Sequential([recorder, snn.Dense(2, 1, rng=0)])
    history = snn.fit(model, X, y, lr=1e-3, epochs=2, validation_split=0.25, rng=0)
    validation_rows = recorder.evaluated[0][:, 0].astype(int)  # the first evaluation: epoch 1
    assert np.bincount(y[validation_rows]).tolist() == [20, 5]
    training_rows = recorder.batches[0][:, 0].astype(int)
    assert np.intersect1d(training_rows, validation_rows).size == 0
    assert training_rows.size + validation_rows.size == n
    assert len(history.val_loss) == 2


# --- early stopping ------------------------------------------------------------------------------


def overfitting_problem():
    """Few noisy training samples and a big network trained fast: the validation loss falls,
    then rises."""
    X, y = datasets.moons(40, noise=0.5, random_state=3)
    X_val, y_val = datasets.moons(200, noise=0.5, random_state=4)
    return X, y, (X_val, y_val)


def test_early_stopping_restores_exactly_the_best_epochs_weights():
    X, y, val = overfitting_problem()
    model = net((2, 64, 64, 1))
    weights = []
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.03), epochs=300,
                      validation_data=val, early_stopping=True, patience=5, rng=0,
                      callbacks=[record_weights(weights)])
    assert history.stopped_early and history.restored_best
    best = int(np.argmin(history.val_loss)) + 1
    assert history.best_epoch == best and history.best_loss == min(history.val_loss)
    assert history.epochs == best + 5  # patience epochs without improvement, then stop
    assert_weights_equal(model.get_weights(), weights[best - 1])
    # The restore mattered: the last epoch's weights were different.
    assert not np.array_equal(weights[-1][0], weights[best - 1][0])


def test_without_restore_best_the_last_weights_are_kept():
    X, y, val = overfitting_problem()
    model = net((2, 64, 64, 1))
    weights = []
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.03), epochs=300,
                      validation_data=val, early_stopping=True, patience=5, restore_best=False,
                      rng=0, callbacks=[record_weights(weights)])
    assert history.stopped_early and not history.restored_best
    assert_weights_equal(model.get_weights(), weights[-1])


def test_min_delta_decides_what_counts_as_an_improvement(moons):
    X, y = moons
    # No epoch can improve on the first by 100: training stops after 1 + patience epochs.
    history = snn.fit(net(), X, y, lr=0.1, epochs=100, early_stopping=True, patience=3,
                      min_delta=100.0)
    assert history.epochs == 4 and history.stopped_early
    # With min_delta 0 the (steadily falling) full-batch loss never stalls at this rate.
    history = snn.fit(net(), X, y, lr=0.1, epochs=20, early_stopping=True, patience=3)
    assert history.epochs == 20 and not history.stopped_early


# --- restarts ------------------------------------------------------------------------------------


def test_restarts_keep_the_run_with_the_lowest_loss():
    X, y = datasets.moons(200, noise=0.2, random_state=0)
    model = net((2, 4, 1))
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.05), epochs=30,
                      batch_size=50, n_init=5, rng=0)
    scores = history.restart_scores
    assert len(scores) == 5 and len(set(scores)) == 5  # five different runs
    assert history.best_restart == int(np.argmin(scores))
    assert history.final_loss == min(scores)
    model.eval()
    kept = snn.BinaryCrossEntropy().forward(model.forward(X), y)
    assert kept == pytest.approx(min(scores), rel=1e-12)
    assert history.epochs == 30  # the history describes the kept run


def test_restarts_score_by_validation_loss_when_there_is_validation():
    X, y = datasets.moons(100, noise=0.2, random_state=0)
    X_val, y_val = datasets.moons(100, noise=0.2, random_state=1)
    model = net((2, 4, 1))
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.05), epochs=20,
                      n_init=3, validation_data=(X_val, y_val), rng=0)
    model.eval()
    kept = snn.BinaryCrossEntropy().forward(model.forward(X_val), y_val)
    assert kept == pytest.approx(min(history.restart_scores), rel=1e-12)


def test_restarts_keep_the_best_runs_batch_norm_statistics_and_start_each_run_afresh():
    # A BatchNorm's running statistics are buffers, not parameters, and evaluation mode uses
    # them: the kept model has the best run's, not the last run's. Each restart starts from
    # fresh weights, normalisations included (gamma 1, beta 0, fresh statistics), so the best
    # run, rerun alone from the same start, ends exactly where it did.
    X, y = datasets.moons(200, noise=0.2, random_state=0)

    def bn_net():
        return snn.Sequential([snn.Dense(2, 8, rng=0), snn.BatchNorm1D(8), snn.ReLU(),
                               snn.Dense(8, 1, rng=1)])

    model = bn_net()
    history = snn.fit(model, X, y, lr=0.3, epochs=15, n_init=3, shuffle=False, rng=4)
    assert history.best_restart == 1  # neither the model's own start nor the last run
    alone = bn_net()
    alone.reset_parameters(np.random.default_rng(4))  # the start fit drew for the second run
    snn.fit(alone, X, y, lr=0.3, epochs=15, shuffle=False)
    kept, rerun = model.state_dict(), alone.state_dict()
    assert {"1.running_mean", "1.running_var"} <= set(kept)
    assert list(kept) == list(rerun)
    for key in kept:
        np.testing.assert_allclose(kept[key], rerun[key], rtol=1e-12, atol=0, err_msg=key)
    model.eval()
    kept_loss = snn.BinaryCrossEntropy().forward(model.forward(X), y)
    assert kept_loss == pytest.approx(min(history.restart_scores), rel=1e-12)


def test_a_single_run_reuses_the_epochs_losses_instead_of_a_pass_over_the_data():
    # history.loss is the mean of the batch losses measured during each epoch; after training,
    # fit evaluates only one batch (a check that the final weights give a finite loss), not
    # the whole training set again.
    X, y = datasets.moons(100, noise=0.2, random_state=0)
    recorder = Recorder()
    model = snn.Sequential([recorder, *net((2, 4, 1)).layers])
    history = snn.fit(model, X, y, lr=0.3, epochs=3, batch_size=30, rng=0)
    assert [len(b) for b in recorder.evaluated] == [30]
    assert history.final_loss == history.loss[-1]
    losses = []  # the same epoch by hand: the mean over batches of each batch's loss
    check = snn.Sequential([Recorder(), *net((2, 4, 1)).layers])
    loss, opt = snn.BinaryCrossEntropy(), snn.SGD(check.parameters(), lr=0.3)
    order = np.random.default_rng(0).permutation(100)
    for start in range(0, 100, 30):
        rows = order[start:start + 30]
        losses.append(loss.forward(check.forward(X[rows]), y[rows].reshape(-1, 1)) * len(rows))
        check.backward(loss.backward())
        opt.step()
    assert history.loss[0] == pytest.approx(sum(losses) / 100, rel=1e-12)


def test_final_loss_with_validation_is_the_kept_epochs_validation_loss():
    X, y, val = overfitting_problem()
    recorder = Recorder()
    model = snn.Sequential([recorder, *net((2, 64, 64, 1)).layers])
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.03), epochs=300,
                      validation_data=val, early_stopping=True, patience=5, rng=0)
    assert history.restored_best
    assert history.final_loss == history.val_loss[history.best_epoch - 1]
    assert len(recorder.evaluated) == history.epochs  # one validation pass per epoch, no more
    model.eval()
    kept = snn.BinaryCrossEntropy().forward(model.forward(val[0]), val[1])
    assert kept == pytest.approx(history.final_loss, rel=1e-12)


def test_restored_weights_without_validation_are_scored_on_the_training_data():
    X, y = datasets.moons(100, noise=0.2, random_state=0)
    model = net((2, 4, 1))
    history = snn.fit(model, X, y, lr=0.5, epochs=20, batch_size=25, early_stopping=True,
                      patience=3, rng=0)
    assert history.restored_best
    model.eval()
    kept = snn.BinaryCrossEntropy().forward(model.forward(X), y)
    assert history.final_loss == pytest.approx(kept, rel=1e-12)


# --- L2 penalty ----------------------------------------------------------------------------------


def test_l2_penalty_adds_the_documented_term_to_weights_only():
    rng = np.random.default_rng(0)
    model = net((3, 5, 2))
    X, y = rng.standard_normal((7, 3)), rng.integers(0, 2, 7)
    loss = snn.SoftmaxCrossEntropy()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    dW = [d.dW.copy() for d in model.dense_layers]
    db = [d.db.copy() for d in model.dense_layers]
    alpha, n = 0.3, 7
    penalty = add_l2_penalty(model, alpha, n)
    W = [d.W for d in model.dense_layers]
    assert penalty == pytest.approx(0.5 * alpha * sum(np.sum(w**2) for w in W) / n, rel=1e-14)
    for layer, g, gb in zip(model.dense_layers, dW, db):
        np.testing.assert_allclose(layer.dW, g + alpha * layer.W / n, rtol=1e-14)
        np.testing.assert_array_equal(layer.db, gb)  # biases are not penalised


def test_fit_with_alpha_matches_a_hand_computed_step(moons):
    X, y = moons
    alpha, lr, n = 0.5, 0.1, len(X)
    model, reference = net(), net()
    history = snn.fit(model, X, y, lr=lr, epochs=1, alpha=alpha)
    loss = snn.BinaryCrossEntropy()
    data_loss = loss.forward(reference.forward(X), y)
    reference.backward(loss.backward())
    W = [d.W for d in reference.dense_layers]
    assert history.loss[0] == pytest.approx(
        data_loss + 0.5 * alpha * sum(np.sum(w**2) for w in W) / n, rel=1e-12)
    for got, layer in zip(model.dense_layers, reference.dense_layers):
        np.testing.assert_allclose(got.W, layer.W - lr * (layer.dW + alpha * layer.W / n),
                                   rtol=1e-12)
        np.testing.assert_allclose(got.b, layer.b - lr * layer.db, rtol=1e-12)


# --- dropout -------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout_keeps_the_expected_activation(p, dtype):
    n, c = 200_000, 1.5
    layer = snn.Dropout(p, rng=0)
    out = layer.forward(np.full((n // 100, 100), c, dtype=dtype))
    assert out.dtype == dtype
    kept = out != 0
    # Survivors are scaled by 1 / (1 - p) ...
    np.testing.assert_allclose(out[kept], c / (1 - p), rtol=1e-6)
    # ... and each unit is dropped with probability p: a binomial proportion.
    assert abs(1 - kept.mean() - p) < 5 * math.sqrt(p * (1 - p) / n)
    # The mean of n values c/(1-p) w.p. 1-p, else 0, has standard deviation c sqrt(p/((1-p) n)).
    assert abs(out.mean() - c) < 5 * c * math.sqrt(p / ((1 - p) * n))


def test_dropout_backward_uses_the_same_mask():
    layer = snn.Dropout(0.5, rng=1)
    x = np.arange(1.0, 41.0).reshape(4, 10)
    out = layer.forward(x).copy()
    grad = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(grad, out / x)


def test_dropout_is_the_identity_in_eval_mode():
    rng = np.random.default_rng(0)
    dense = snn.Dense(4, 6, rng=0)
    model = snn.Sequential([dense, snn.ReLU(), snn.Dropout(0.5, rng=0), snn.Dense(6, 1, rng=1)])
    plain = snn.Sequential([dense, snn.ReLU(), model.layers[3]])
    X = rng.standard_normal((30, 4))
    model.eval()
    assert all(not layer.training for layer in model.layers)
    np.testing.assert_array_equal(model.forward(X), plain.forward(X))
    np.testing.assert_array_equal(model.forward(X), model.forward(X))
    model.train()
    assert not np.array_equal(model.forward(X), plain.forward(X))
    x = rng.standard_normal((3, 3))
    np.testing.assert_array_equal(snn.Dropout(0.9).eval().forward(x), x)


def test_fit_trains_with_dropout_and_evaluates_without_it(moons):
    X, y = moons
    model = snn.Sequential([snn.Dense(2, 16, rng=0), snn.ReLU(), snn.Dropout(0.3, rng=0),
                            snn.Dense(16, 1, rng=1)])
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.01), epochs=5,
                      validation_data=(X, y), rng=0)
    assert model.training  # fit leaves the model in training mode
    model.eval()
    # The validation loss is measured in eval mode, so it is reproducible from the weights.
    assert history.val_loss[-1] == pytest.approx(
        snn.BinaryCrossEntropy().forward(model.forward(X), y), rel=1e-12)


# --- callbacks, Ctrl-C, schedules ----------------------------------------------------------------


def test_a_callback_can_stop_training(moons):
    X, y = moons
    seen = []

    def stop_at_three(epoch, history, model):
        seen.append(epoch)
        return epoch == 3

    history = snn.fit(net(), X, y, epochs=50, callbacks=[stop_at_three])
    assert seen == [1, 2, 3] and history.epochs == 3 and history.stopped_early


def test_ctrl_c_stops_cleanly_and_keeps_the_best_weights():
    X, y, val = overfitting_problem()
    model = net((2, 64, 64, 1))
    weights = []

    def interrupt_at_12(epoch, history, model):
        if epoch == 12:
            raise KeyboardInterrupt

    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.03), epochs=300,
                      validation_data=val, rng=0,
                      callbacks=[record_weights(weights), interrupt_at_12])
    assert history.interrupted and history.restored_best and history.epochs == 12
    best = int(np.argmin(history.val_loss)) + 1
    assert best < 12  # so keeping the best is not the same as keeping the last
    assert_weights_equal(model.get_weights(), weights[best - 1])


def test_ctrl_c_during_a_restart_keeps_the_best_run_so_far(moons):
    X, y = moons
    model = net((2, 4, 1))
    runs = []

    def interrupt_second_run(epoch, history, model):
        if epoch == 1:
            runs.append(history)
            if len(runs) == 2:
                raise KeyboardInterrupt

    history = snn.fit(model, X, y, lr=0.5, epochs=30, n_init=3, rng=0,
                      callbacks=[interrupt_second_run])
    assert history.interrupted and len(history.restart_scores) == 2
    model.eval()
    kept = snn.BinaryCrossEntropy().forward(model.forward(X), y)
    assert kept == pytest.approx(min(history.restart_scores), rel=1e-12)


def test_schedule_sets_the_rate_of_each_epoch(moons):
    X, y = moons
    model = net()
    opt = snn.SGD(model.parameters(), lr=0.4)
    history = snn.fit(model, X, y, optimizer=opt, epochs=7,
                      schedule=snn.StepLR(opt, step_size=3, gamma=0.5))
    assert history.lr == pytest.approx([0.4] * 3 + [0.2] * 3 + [0.1])


def test_reduce_on_plateau_can_end_training(moons):
    X, y = moons
    model = net()
    opt = snn.SGD(model.parameters(), lr=0.1)
    schedule = snn.ReduceLROnPlateau(opt, factor=0.1, patience=0, min_delta=10.0, min_lr=1e-3)
    history = snn.fit(model, X, y, optimizer=opt, epochs=100, schedule=schedule)
    # Epoch 1 sets the best; epochs 2 and 3 each divide the rate by 10, reaching min_lr.
    assert history.epochs == 3 and history.stopped_early
    assert history.lr == pytest.approx([0.1, 0.1, 0.01])


# --- divergence ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_too_high_learning_rate_raises_training_diverged(dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    y = X @ np.array([1.0, -2.0, 3.0])
    model = snn.mlp([3, 1], rng=0, dtype=dtype)
    message = r"learning rate \(5\) is probably too high"
    with pytest.raises(snn.TrainingDivergedError, match=message):
        snn.fit(model, X, y, loss="mse", lr=5.0, epochs=500)
    # The model is left usable: finite weights from the best epoch.
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert issubclass(snn.TrainingDivergedError, FloatingPointError)


def test_divergence_on_the_very_last_step_is_caught():
    # One full-batch step on huge features sends the weight to about -2e300: the loss of that
    # epoch (measured before the step) is finite, the model's loss afterwards is not.
    X, y = np.full((4, 1), 1e150), np.zeros(4)
    model = snn.Sequential([snn.Dense(1, 1, rng=0)])
    model.dense_layers[0].W[...] = 1.0
    with pytest.raises(snn.TrainingDivergedError, match="the learning rate"):
        snn.fit(model, X, y, loss="mse", lr=1.0, epochs=1)


MOONS_X, MOONS_Y = datasets.moons(n_samples=300, noise=0.2, random_state=0)


@pytest.mark.parametrize(("scale", "lr", "batch_size"), [
    (1.0, 1000.0, None),   # the loss reaches 1e18 in 3 epochs, then settles at chance
    (1.0, 1000.0, 32),     # 1e6 within the first epoch
    (1e200, 0.1, 32),      # a loss near 1e199 from the first batch
])
def test_a_loss_grown_far_beyond_its_start_raises_training_diverged(scale, lr, batch_size):
    model = snn.mlp([2, 16, 16, 1], rng=0)
    with pytest.raises(snn.TrainingDivergedError, match=rf"learning rate \({lr:g}\)") as caught:
        snn.fit(model, MOONS_X * scale, MOONS_Y, lr=lr, epochs=50, batch_size=batch_size, rng=0)
    assert caught.value.cause == "learning rate"


@pytest.mark.parametrize(("alpha", "lr", "batch_size"), [(1e6, 0.1, None), (1e3, 0.1, 32),
                                                         (100.0, 1.0, 32)])
def test_divergence_from_a_too_large_alpha_names_alpha(alpha, lr, batch_size):
    # lr * alpha / batch > 2: the L2 term's own step overshoots zero and the weights grow.
    model = snn.mlp([2, 16, 16, 1], rng=0)
    with pytest.raises(snn.TrainingDivergedError) as caught:
        snn.fit(model, MOONS_X, MOONS_Y, lr=lr, alpha=alpha, epochs=50, batch_size=batch_size,
                rng=0)
    assert caught.value.cause == "alpha"
    assert f"alpha ({alpha:g}) is too large" in str(caught.value)
    assert "learning rate" not in str(caught.value)


def test_a_large_alpha_that_shrinks_the_weights_is_not_divergence():
    # A huge L2 term that only goes down (Adam moves each weight by at most about lr).
    model = snn.mlp([2, 16, 16, 1], rng=0)
    opt = snn.Adam(model.parameters(), lr=0.01)
    history = snn.fit(model, MOONS_X, MOONS_Y, optimizer=opt, alpha=1e4, epochs=20,
                      batch_size=32, rng=0)
    assert history.loss[0] > 1e3 and history.loss[-1] < history.loss[0]


def test_a_regression_loss_that_starts_large_is_not_divergence():
    model = snn.mlp([2, 8, 1], rng=0)
    opt = snn.Adam(model.parameters(), lr=0.01)
    history = snn.fit(model, MOONS_X, MOONS_Y * 1e5, optimizer=opt, loss="mse", epochs=5)
    assert history.loss[0] > 1e9 and math.isfinite(history.loss[-1])


def test_complex_X_is_refused_like_the_estimator_does():
    model = snn.mlp([2, 4, 1], rng=0)
    with pytest.raises(ValueError, match="X holds complex numbers"):
        snn.fit(model, MOONS_X + 1j, MOONS_Y, epochs=2)
    with pytest.raises(ValueError, match="X_val holds complex numbers"):
        snn.fit(model, MOONS_X, MOONS_Y, epochs=2, validation_data=(MOONS_X * 1j, MOONS_Y))
    with pytest.raises(ValueError, match="Complex data not supported"):
        snn.MLPClassifier((4,), max_iter=2).fit(MOONS_X + 1j, MOONS_Y)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("batch_size", [None, 32])
def test_sparse_X_trains_to_the_dense_result(fmt, batch_size):
    sparse = pytest.importorskip("scipy.sparse")
    X = np.where(np.abs(MOONS_X) < 0.3, 0.0, MOONS_X)  # some zeros to leave out
    histories, weights = [], []
    for data in (X, sparse.random(1, 1, format=fmt).__class__(X)):
        model = snn.mlp([2, 8, 1], rng=0)
        histories.append(snn.fit(model, data, MOONS_Y, lr=0.5, epochs=20,
                                 batch_size=batch_size, validation_split=0.2, rng=0))
        weights.append(model.get_weights())
    assert histories[1].loss == pytest.approx(histories[0].loss, rel=1e-10)
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_sparse_X_with_nan_is_refused():
    sparse = pytest.importorskip("scipy.sparse")
    X = sparse.csr_matrix(np.where(MOONS_X > 0, np.nan, MOONS_X))
    with pytest.raises(ValueError, match="X contains NaN or infinite values"):
        snn.fit(snn.mlp([2, 4, 1], rng=0), X, MOONS_Y, epochs=2)


# --- bad input -----------------------------------------------------------------------------------


def bad_inputs():
    X, y = datasets.moons(20, random_state=0)
    X_nan, X_inf = X.copy(), X.copy()
    X_nan[3, 1], X_inf[5, 0] = np.nan, np.inf
    return [
        ("nan", dict(X=X_nan), r"X contains NaN or infinite values \(first at row 3, column 1\)"),
        ("inf", dict(X=X_inf), "X contains NaN or infinite values"),
        ("length", dict(y=y[:-1]), "X and y have different lengths: 20 samples but 19 labels"),
        ("1-D", dict(X=X[:, 0]), r"X must be a 2-D array .* X.reshape\(-1, 1\)"),
        ("3-D", dict(X=X[:, :, None]), "X must be a 2-D array"),
        ("empty", dict(X=X[:0], y=y[:0]), "X has no samples"),
        ("strings", dict(X=np.full((20, 2), "a")), "X must be numeric"),
        ("labels 1/2", dict(y=y + 1), "binary cross-entropy needs labels 0/1"),
        ("labels -1/1", dict(y=2 * y - 1), "binary cross-entropy needs labels 0/1"),
        ("labels named", dict(y=y + 1), r"needs labels 0/1, got labels 1\.\.2; found 2 in 10 rows"),
        ("features", dict(X=np.hstack([X, X])), "X has 4 features, but the model expects 2"),
        ("lr 0", dict(lr=0), "lr must be a positive number"),
        ("lr < 0", dict(lr=-0.1), "lr must be a positive number"),
        ("lr nan", dict(lr=math.nan), "lr must be a positive number"),
        ("epochs 0", dict(epochs=0), "epochs must be a positive integer"),
        ("epochs float", dict(epochs=2.5), "epochs must be a positive integer"),
        ("batch 0", dict(batch_size=0), "batch_size must be a positive integer"),
        ("batch < 0", dict(batch_size=-8), "batch_size must be a positive integer"),
        ("n_init", dict(n_init=0), "n_init must be a positive integer"),
        ("patience", dict(patience=0), "patience must be a positive integer"),
        ("split", dict(validation_split=1.0), r"validation_split must be in \[0, 1\)"),
        ("alpha", dict(alpha=-1.0), "alpha must be >= 0"),
        ("alpha nan", dict(alpha=math.nan), "alpha must be >= 0"),
        ("min_delta", dict(min_delta=-0.1), "min_delta must be >= 0"),
        ("scalar y", dict(y=np.int64(1)), "y must hold one label"),
        ("val features", dict(validation_data=(X[:, :1], y)), "X_val must be a 2-D|X_val has 1"),
        ("val labels", dict(validation_data=(X, y + 2)), "needs labels 0/1"),
        ("loss name", dict(loss="hinge"), "unknown loss 'hinge'"),
    ]


@pytest.mark.parametrize(("change", "message"), [case[1:] for case in bad_inputs()],
                         ids=[case[0] for case in bad_inputs()])
def test_bad_input_is_refused_before_training(change, message):
    X, y = datasets.moons(20, random_state=0)
    model = net()
    before = model.get_weights()
    called = []
    kwargs = dict(X=X, y=y, epochs=3, callbacks=[lambda *args: called.append(1)])
    kwargs.update(change)
    with pytest.raises(ValueError, match=message):
        snn.fit(model, kwargs.pop("X"), kwargs.pop("y"), **kwargs)
    assert not called
    assert_weights_equal(model.get_weights(), before)


def test_softmax_labels_out_of_range_are_named_with_their_rows():
    X, y = datasets.moons(20, random_state=0)
    labels = np.where(np.arange(20) < 4, 3, y + 1)  # numbered 1..3, as a spreadsheet would
    with pytest.raises(ValueError, match=r"needs integer labels 0\.\.2, got labels 1\.\.3; "
                                         r"found 3 in 4 rows; number the classes from 0"):
        snn.fit(snn.mlp([2, 4, 3], rng=0), X, labels, epochs=1)


def test_numpy_scalars_are_fine_as_learning_rate(moons):
    X, y = moons
    for lr in (np.float32(0.1), np.float64(0.1)):
        assert snn.fit(net(), X, y, lr=lr, epochs=1).lr == [float(lr)]


def test_a_validation_split_must_leave_training_data():
    X = np.arange(4.0).reshape(2, 2)
    with pytest.raises(ValueError, match="cannot hold out 90% of 2 samples"):
        snn.fit(net((2, 1)), X, np.array([0.5, 1.0]), loss="mse", validation_split=0.9)


def test_optimizer_and_schedule_must_belong_to_the_model(moons):
    X, y = moons
    model, other = net(), net()
    with pytest.raises(ValueError, match="parameters that are not this model's"):
        snn.fit(model, X, y, optimizer=snn.Adam(other.parameters()))
    opt = snn.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="the schedule wraps another optimizer"):
        snn.fit(model, X, y, schedule=snn.StepLR(opt, step_size=2))  # fit's own SGD, not opt
    # Optimising part of the model (the last layer only) is fine.
    last = model.dense_layers[-1]
    first_before = model.dense_layers[0].W.copy()
    snn.fit(model, X, y, optimizer=snn.SGD(last.parameters(), lr=0.1), epochs=2)
    np.testing.assert_array_equal(model.dense_layers[0].W, first_before)


def test_softmax_labels_must_be_class_indices():
    X = np.zeros((4, 2))
    model = net((2, 3, 3))
    for y, span, bad in (([0, 1, 2, 3], "0..3", "3"), ([0, 1, -1, 2], "-1..2", "-1"),
                         ([0.5, 1, 2, 0], "0..2", "0.5")):
        message = f"integer labels 0..2, got labels {span}; found {bad} in 1 row;"
        with pytest.raises(ValueError, match=re.escape(message)):
            snn.fit(model, X, np.array(y), epochs=1)
    with pytest.raises(ValueError, match=r"integer labels 0..2 of shape \(n,\), got shape "):
        snn.fit(model, X, np.zeros((4, 3)), epochs=1)


def test_model_must_be_a_sequential(moons):
    X, y = moons
    with pytest.raises(TypeError, match="model must be a Sequential"):
        snn.fit(snn.Dense(2, 1), X, y)


# --- determinism and dtypes ----------------------------------------------------------------------


def spirals_net(seed, dtype, dropout=True):
    dropout = [snn.Dropout(0.2, rng=seed)] if dropout else []
    return snn.Sequential([snn.Dense(2, 16, rng=seed, dtype=dtype), snn.ReLU(), *dropout,
                           snn.Dense(16, 3, rng=seed + 1, dtype=dtype)])


def train_spirals(seed, dtype, dropout=True):
    X, y = datasets.spirals(150, random_state=0)
    model = spirals_net(seed, dtype, dropout)
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.01), epochs=8,
                      batch_size=32, validation_split=0.2, n_init=2, alpha=1e-3, rng=seed)
    return model, history


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_seed_gives_the_same_bits(dtype):
    model_a, history_a = train_spirals(7, dtype)
    model_b, history_b = train_spirals(7, dtype)
    assert_weights_equal(model_a.get_weights(), model_b.get_weights())
    assert history_a == history_b  # every list, bit for bit
    _, history_c = train_spirals(8, dtype)
    assert history_c.loss != history_a.loss


def test_float32_stays_float32():
    model, history = train_spirals(0, np.float32)
    assert all(p.dtype == np.float32 for p, _ in model.parameters())
    assert all(g.dtype == np.float32 for _, g in model.parameters())
    X, _ = datasets.spirals(10, random_state=1)
    model.eval()
    assert model.forward(X.astype(np.float32)).dtype == np.float32
    assert all(isinstance(v, float) and math.isfinite(v) for v in history.loss)


def test_float32_and_float64_agree_closely():
    # (Without dropout: its random masks are drawn in the model's dtype, so they differ.)
    _, history32 = train_spirals(0, np.float32, dropout=False)
    _, history64 = train_spirals(0, np.float64, dropout=False)
    np.testing.assert_allclose(history32.loss, history64.loss, rtol=1e-3)


# --- progress bar --------------------------------------------------------------------------------


def test_progress_bar_only_with_verbose(moons, capsys):
    X, y = moons
    snn.fit(net(), X, y, epochs=3)
    assert capsys.readouterr().err == ""
    snn.fit(net(), X, y, epochs=3, verbose=True, validation_data=(X, y))
    err = capsys.readouterr().err
    assert "training" in err and "3/3" in err and "epoch" in err
    assert "val_loss" in err


def test_history_rows_for_a_csv(moons):
    X, y = moons
    history = snn.fit(net(), X, y, epochs=2, validation_data=(X, y))
    rows = history.rows()
    assert [row["epoch"] for row in rows] == [1, 2]
    assert set(rows[0]) == {"epoch", "loss", "val_loss", "accuracy", "val_accuracy", "lr"}
    assert rows[1]["val_loss"] == history.val_loss[1]


def test_l1_penalty_value_and_gradient_match_finite_differences():
    from scratchnn.training import add_l1_penalty

    rng = np.random.default_rng(3)
    model = snn.mlp([3, 5, 2], rng=rng)
    for layer in model.dense_layers:
        layer.dW[...] = 0
    value = add_l1_penalty(model, 0.3, 10)
    expected = 0.3 * sum(np.abs(d.W).sum() for d in model.dense_layers) / 10
    assert value == pytest.approx(expected, rel=1e-12)
    W = model.dense_layers[0].W
    numeric = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        old = W[idx]
        W[idx] = old + 1e-6
        up = 0.3 * sum(np.abs(d.W).sum() for d in model.dense_layers) / 10
        W[idx] = old - 1e-6
        down = 0.3 * sum(np.abs(d.W).sum() for d in model.dense_layers) / 10
        W[idx] = old
        numeric[idx] = (up - down) / 2e-6
    np.testing.assert_allclose(model.dense_layers[0].dW, numeric, rtol=1e-6)


def test_fit_with_l1_makes_weights_sparser_than_without():
    X, y = datasets.moons(200, noise=0.2, random_state=0)
    plain = snn.mlp([2, 16, 1], rng=0)
    sparse = snn.mlp([2, 16, 1], rng=0)
    snn.fit(plain, X, y, lr=0.5, epochs=300, rng=0)
    snn.fit(sparse, X, y, lr=0.5, epochs=300, rng=0, l1=0.05)
    small = [sum(int((np.abs(d.W) < 1e-2).sum()) for d in m.dense_layers) for m in (plain, sparse)]
    assert small[1] > small[0]
    with pytest.raises(ValueError, match="l1"):
        snn.fit(plain, X, y, l1=-1.0)


# --- the shared loop: Batches, train_epochs and the stopping rules -------------------------------


def batches_of(batches, epochs=2):
    return [[tuple(None if a is None else a.copy() for a in batch) for batch in batches.epoch()]
            for _ in range(epochs)]


@pytest.mark.parametrize("with_weights", [False, True])
def test_batches_gathered_once_or_taken_per_batch_are_the_same(with_weights):
    X = np.arange(22.0).reshape(11, 2)
    y, w = np.arange(11), (np.arange(11.0) if with_weights else None)
    taken = batches_of(Batches(X, y, w, batch_size=4, rng=np.random.default_rng(5)))
    gathered = batches_of(Batches(X, y, w, batch_size=4, rng=np.random.default_rng(5),
                                  gather=True))
    assert [len(epoch) for epoch in taken] == [3, 3]
    for epoch_t, epoch_g in zip(taken, gathered):
        for batch_t, batch_g in zip(epoch_t, epoch_g):
            for a, b in zip(batch_t, batch_g):
                np.testing.assert_array_equal(a, b)
            X_b, y_b, w_b = batch_t
            np.testing.assert_array_equal(X_b[:, 0], 2 * y_b)  # rows stay whole
            if with_weights:
                np.testing.assert_array_equal(w_b, y_b)  # weights travel with their rows
            else:
                assert w_b is None
    assert not np.array_equal(taken[0][0][1], taken[1][0][1])  # a new order every epoch


def test_batches_without_shuffle_are_slices_and_one_batch_is_the_data_itself():
    X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    in_order = list(Batches(X, y, batch_size=2, shuffle=False).epoch())
    assert [b[1].tolist() for b in in_order] == [[0, 1], [2, 3], [4]]
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    (whole,) = list(Batches(X, y, batch_size=50, rng=rng, gather=True).epoch())
    assert whole[0] is X and whole[1] is y and whole[2] is None
    assert rng.bit_generator.state == state  # nothing to shuffle: no random numbers drawn


def test_patience_counts_epochs_without_an_improvement_of_min_delta():
    rule = Patience(patience=2, min_delta=0.05)
    # 1.0: first; 0.9 improves by more than 0.05; 0.95 and 0.9 do not: the second one stops.
    assert [rule.update(v) for v in (1.0, 0.9, 0.95, 0.9)] == [False, False, False, True]
    assert rule.best == 0.9
    again = Patience(patience=1)
    assert [again.update(v) for v in (1.0, 0.5, 0.5)] == [False, False, True]  # equal: no gain


class ListRule:
    """A StoppingRule that records every epoch and stops after ``stop_after`` of them."""

    def __init__(self, stop_after=None):
        self.stop_after, self.seen = stop_after, []

    def end_epoch(self, epoch, loss, accuracy):
        self.seen.append((epoch, loss, accuracy))
        return epoch == self.stop_after

    def diverged(self, value, epoch):
        return OverflowError(f"diverged with {value} at {epoch}")


def test_train_epochs_asks_the_rule_after_every_epoch_and_stops_when_told(moons):
    X, y = moons
    y = y.reshape(-1, 1).astype(float)
    model, reference = net(), net()
    loss, rule = snn.BinaryCrossEntropy(), ListRule(stop_after=3)
    ran = train_epochs(model, loss, snn.SGD(model.parameters(), lr=0.5),
                       Batches(X, y, batch_size=len(X)), rule, max_epochs=10)
    assert ran == 3 and [epoch for epoch, _, _ in rule.seen] == [1, 2, 3]
    assert all(math.isnan(acc) for _, _, acc in rule.seen)  # accuracy was not asked for
    ref_loss, opt = snn.BinaryCrossEntropy(), snn.SGD(reference.parameters(), lr=0.5)
    for _, value, _ in rule.seen:  # the teaching loop, step by step
        assert value == ref_loss.forward(reference.forward(X), y)
        reference.backward(ref_loss.backward())
        opt.step()
    assert_weights_equal(model.get_weights(), reference.get_weights())
    assert train_epochs(net(), loss, snn.SGD(net().parameters(), lr=0.1),
                        Batches(X, y, batch_size=32), ListRule(), max_epochs=4) == 4


def test_train_epochs_raises_the_rules_own_divergence_error():
    X = np.array([[1e200, -1e200], [-1e200, 1e200], [1e200, 1e200], [-1e200, -1e200]])
    y = np.array([[0.0], [1.0], [0.0], [1.0]])
    model, rule = net((2, 3, 1)), ListRule()
    # The loss is near 1e200 from the first batch: beyond what a classifier's loss can be
    with pytest.raises(OverflowError, match=r"diverged with \d\.\d+e\+\d+ at 1"):
        train_epochs(model, snn.BinaryCrossEntropy(), snn.SGD(model.parameters(), lr=10.0),
                     Batches(X, y, batch_size=4), rule, max_epochs=20)
    assert rule.seen == []


def test_train_epochs_with_integer_weights_is_training_on_repeated_samples(moons):
    X, y = moons
    y = y.reshape(-1, 1).astype(float)
    w = np.random.default_rng(0).integers(1, 4, len(X)).astype(float)
    results = []
    for data in ((X, y, w), (np.repeat(X, w.astype(int), axis=0),
                             np.repeat(y, w.astype(int), axis=0), None)):
        model, rule = net(), ListRule()
        train_epochs(model, snn.BinaryCrossEntropy(), snn.SGD(model.parameters(), lr=0.3),
                     Batches(*data, batch_size=10**6), rule, max_epochs=5, alpha=0.1, l1=0.01)
        results.append(([loss for _, loss, _ in rule.seen], model.get_weights()))
    (weighted, w_weights), (repeated, r_weights) = results
    # The mean loss per epoch is over rows, so it differs; the penalties (scaled by the batch's
    # weight) and the steps must not.
    for a, b in zip(w_weights, r_weights):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert weighted != repeated
