"""TrainingDoctor: runs made sick on purpose are diagnosed with the right kind; healthy runs
are left alone."""

import io
import math

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import datasets
from scratchnn.doctor import KINDS, Finding, TrainingDoctor


@pytest.fixture(scope="module")
def moons():
    return datasets.moons(1000, noise=0.2, random_state=0)


def diagnose(model, X, y, **fit_args) -> TrainingDoctor:
    doctor = TrainingDoctor(stream=None)
    snn.fit(model, X, y, callbacks=[doctor], **fit_args)
    return doctor


def test_a_learning_rate_of_10_is_too_high(moons):
    X, y = moons
    doctor = diagnose(snn.mlp([2, 16, 1], rng=0), X, y, lr=10.0, epochs=60)
    assert "large_updates" in doctor.kinds
    finding = next(f for f in doctor.findings if f.kind == "large_updates")
    assert finding.epoch <= 5
    assert "learning rate is too high" in finding.message


def test_biases_initialised_at_minus_5_kill_the_relus(moons):
    X, y = moons
    model = snn.mlp([2, 16, 16, 1], rng=0)
    for layer in model.dense_layers:
        layer.b[:] = -5.0
    doctor = diagnose(model, X, y, lr=0.1, epochs=30)
    dead = [f for f in doctor.findings if f.kind == "dead_units"]
    assert [f.message.split(" -> ")[0] for f in dead] == ["Dense 1", "Dense 2"]
    assert "(16 of 16)" in dead[0].message and "unit(s) 0, 1, 2" in dead[0].message
    # The confident, wrong start shows in the first loss too (ln 2 expected, about 2.5 seen).
    first = next(f for f in doctor.findings if f.kind == "first_loss")
    assert first.epoch == 1 and "ln 2" in first.message
    assert doctor.dead_units[-1].tolist() == [16, 16]


def test_a_ten_layer_sigmoid_network_has_vanishing_gradients(moons):
    X, y = moons
    model = snn.mlp([2] + [16] * 9 + [1], "sigmoid", rng=0)
    doctor = diagnose(model, X, y, lr=0.5, epochs=20)
    assert doctor.kinds == ["vanishing_gradients"]
    assert "Dense 1" in doctor.findings[0].message and "Dense 10" in doctor.findings[0].message
    norms = doctor.grad_norms
    assert norms.shape == (20, 10)
    assert np.all(norms[:5, 0] < 1e-3 * norms[:5, -1])  # the first five looks: the evidence


def test_no_regularisation_on_30_points_overfits():
    X, y = datasets.moons(30, noise=0.3, random_state=1)
    X_val, y_val = datasets.moons(500, noise=0.3, random_state=2)
    model = snn.mlp([2, 128, 128, 1], rng=0)
    doctor = diagnose(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.01), epochs=100,
                      validation_data=(X_val, y_val))
    assert "overfitting" in doctor.kinds
    finding = next(f for f in doctor.findings if f.kind == "overfitting")
    assert "training accuracy" in finding.message and "L2 penalty" in finding.message


def test_over_fitting_by_the_losses_is_found_where_accuracy_shows_none():
    # As tutorial 05 defines it: the validation loss climbs while the training loss falls.
    # Validation accuracy stays above 0.9 here, so the accuracy gap alone says nothing.
    X, y = datasets.moons(30, noise=0.2, random_state=1)
    X_val, y_val = datasets.moons(300, noise=0.2, random_state=2)
    model = snn.mlp([2, 128, 128, 1], rng=0)
    doctor = TrainingDoctor(stream=None)
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.01), epochs=300,
                      validation_data=(X_val, y_val), rng=0, callbacks=[doctor])
    assert "overfitting" not in doctor.kinds  # what the doctor said before: nothing
    best = int(np.argmin(history.val_loss)) + 1
    assert history.val_loss[-1] > 1.5 * min(history.val_loss)
    finding = next(f for f in doctor.findings if f.kind == "rising_val_loss")
    assert f"the validation loss was lowest at epoch {best} (" in finding.message
    assert "(over-fitting)" in finding.message
    for remedy in ("early stopping", "L2 penalty", "more data"):
        assert remedy in finding.message
    assert finding.epoch > best


def test_a_rising_validation_loss_is_reported_once_it_lasts():
    model = snn.mlp([2, 4, 1], rng=0)
    doctor = TrainingDoctor(stream=None)
    history = snn.History()
    val = [0.6, 0.5, 0.4, 0.45, 0.52, 0.55, 0.6, 0.62, 0.63, 0.65, 0.7]
    for epoch, value in enumerate(val, start=1):
        history.loss.append(0.7 / epoch)  # the training loss keeps falling
        history.val_loss.append(value)
        history.accuracy.append(0.9)
        history.val_accuracy.append(0.85)
        doctor(epoch, history, model)
        if epoch < 10:  # above 0.5 (= 1.25 x 0.4) only since epoch 5: five epochs at epoch 9
            assert doctor.kinds == [] or epoch == 9
    assert doctor.kinds == ["rising_val_loss"]
    finding = doctor.findings[0]
    assert finding.epoch == 9
    assert finding.message.startswith("the validation loss was lowest at epoch 3 (0.4) and has "
                                      "risen to 0.63, while the training loss fell from 0.233 "
                                      "to 0.0778")


def test_a_validation_loss_that_rises_with_the_training_loss_is_not_over_fitting():
    model = snn.mlp([2, 4, 1], rng=0)
    doctor = TrainingDoctor(stream=None)
    history = snn.History()
    for epoch, value in enumerate([0.6, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], start=1):
        history.loss.append(value)  # both rise: the steps overshoot, reported as such
        history.val_loss.append(value)
        history.accuracy.append(0.8)
        history.val_accuracy.append(0.8)
        doctor(epoch, history, model)
    assert "rising_val_loss" not in doctor.kinds and "rising_loss" in doctor.kinds


def test_a_tiny_learning_rate_is_too_low(moons):
    X, y = moons
    doctor = diagnose(snn.mlp([2, 16, 1], rng=0), X, y, lr=1e-6, epochs=20)
    assert doctor.kinds == ["small_updates"]


def test_huge_initial_weights_give_exploding_gradients(moons):
    X, y = moons
    model = snn.mlp([2] + [32] * 8 + [1], rng=0)
    for layer in model.dense_layers:
        layer.W *= 3.0
    doctor = diagnose(model, X[:500], y[:500], lr=1e-5, epochs=10)
    assert "exploding_gradients" in doctor.kinds


@pytest.mark.parametrize("fit_args", [
    {"batch_size": 32, "validation_split": 0.2, "epochs": 100},
    {"batch_size": 32, "epochs": 60},
])
def test_a_healthy_run_stays_silent(moons, fit_args):
    X, y = moons
    model = snn.mlp([2, 16, 16, 1], rng=0)
    stream = io.StringIO()
    doctor = TrainingDoctor(stream=stream)
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.01), rng=0,
                      callbacks=[doctor], **fit_args)
    assert history.accuracy[-1] > 0.95  # healthy indeed
    assert doctor.findings == [] and stream.getvalue() == ""
    assert doctor.report() == "[doctor] nothing looked wrong"
    assert len(doctor.epochs) == 20 + (fit_args["epochs"] - 20) // 20


def test_a_healthy_multiclass_run_stays_silent():
    X, y = datasets.spirals(600, noise=0.2, n_classes=3, random_state=0)
    model = snn.mlp([2, 32, 32, 3], rng=0)
    doctor = diagnose(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.01),
                      batch_size=32, epochs=60, rng=0)
    assert doctor.findings == []


def test_findings_are_records_printed_once_each(moons):
    X, y = moons
    stream = io.StringIO()
    doctor = TrainingDoctor(stream=stream)
    model = snn.mlp([2, 16, 16, 1], rng=0)
    for layer in model.dense_layers:
        layer.b[:] = -5.0
    snn.fit(model, X, y, lr=0.1, epochs=80, callbacks=[doctor])
    printed = stream.getvalue()
    assert printed == "".join(f.wrapped() + "\n" for f in doctor.findings)  # each once
    assert all(len(line) <= 92 for line in printed.splitlines())
    lines = [f.wrapped() for f in doctor.findings]
    assert len(set(lines)) == len(lines)
    assert [" ".join(line.split()) for line in lines] == [str(f) for f in doctor.findings]
    for finding in doctor.findings:
        assert isinstance(finding, Finding) and finding.kind in KINDS
        assert finding.epoch >= 1 and finding.message.endswith(".")
        assert "Try" in finding.message  # says what to try
    assert doctor.report() == "\n".join(lines)
    assert repr(doctor).startswith("TrainingDoctor(3 finding(s)")


def test_dead_units_are_confirmed_on_the_training_points_when_given(moons):
    X, y = moons
    model = snn.mlp([2, 8, 1], rng=0)
    model.dense_layers[0].b[[1, 4]] = -50.0  # two of eight units can never fire on moons
    doctor = TrainingDoctor(X, stream=None, dead_share=0.2)
    snn.fit(model, X, y, lr=0.1, epochs=10, batch_size=32, rng=0, callbacks=[doctor])
    finding = next(f for f in doctor.findings if f.kind == "dead_units")
    assert "unit(s) 1, 4 (2 of 8)" in finding.message
    assert "every one of the 1000 training points" in finding.message


def test_small_last_batches_alone_never_call_a_unit_dead(moons):
    # 1000 rows in batches of 332 leave a last batch of 4 points: too few to tell.
    X, y = moons
    model = snn.mlp([2, 64, 64, 1], rng=0)
    doctor = diagnose(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.01),
                      batch_size=332, epochs=30, rng=0)
    assert "dead_units" not in doctor.kinds


def test_a_rising_loss_is_reported():
    model = snn.mlp([2, 4, 1], rng=0)
    doctor = TrainingDoctor(stream=None)
    history = snn.History()
    for epoch, value in enumerate([0.7, 0.5, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65], start=1):
        history.loss.append(value)
        history.accuracy.append(0.8)
        doctor(epoch, history, model)
    assert doctor.kinds == ["rising_loss"]
    assert doctor.findings[0].epoch == 8
    assert "from 0.4 to 0.65" in doctor.findings[0].message


def test_restarts_start_the_numbers_again_but_keep_the_findings(moons):
    X, y = moons
    doctor = diagnose(snn.mlp([2, 16, 1], rng=0), X, y, lr=10.0, epochs=12, n_init=2)
    assert doctor.epochs == list(range(1, 13))
    assert doctor.kinds.count("large_updates") == 1


def test_a_regression_run_has_no_first_loss_check():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = 100 + X @ np.array([1.0, -2.0, 0.5])  # a large first MSE, but nothing is wrong
    doctor = diagnose(snn.mlp([3, 8, 1], "tanh", rng=0), X, y, loss="mse", lr=0.01, epochs=5)
    assert "first_loss" not in doctor.kinds
    assert math.isnan(doctor.update_ratios[0, 0])


def test_numbers_for_the_plot_have_one_row_per_look(moons):
    X, y = moons
    doctor = diagnose(snn.mlp([2, 8, 8, 1], rng=0), X, y, lr=0.5, epochs=80)
    assert doctor.layer_names == ["Dense 1", "Dense 2", "Dense 3"]
    assert doctor.relu_names == ["Dense 1", "Dense 2"]
    assert doctor.epochs == [*range(1, 21), 40, 60, 80]
    assert doctor.grad_norms.shape == doctor.update_ratios.shape == (23, 3)
    assert doctor.dead_units.shape == (23, 2)
    # A look after the warm-up compares with the epoch just before it, not 20 epochs back.
    assert np.all(doctor.update_ratios[-3:] < doctor.update_ratios[1:4].max())


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="patience must be a positive integer"):
        TrainingDoctor(patience=0)
    with pytest.raises(ValueError, match="every must be a positive integer"):
        TrainingDoctor(every=0)
    with pytest.raises(ValueError, match=r"X must be the training inputs.*\(5,\)"):
        TrainingDoctor(np.zeros(5))


def test_plot_diagnostics_draws_the_doctors_numbers(moons, tmp_path):
    from scratchnn import plotting

    X, y = moons
    model = snn.mlp([2, 16, 16, 1], rng=0)
    for layer in model.dense_layers:
        layer.b[:] = -5.0
    doctor = diagnose(model, X, y, lr=0.1, epochs=20)
    fig = plotting.plot_diagnostics(doctor, title="biases at -5")
    assert len(fig.axes) == 3
    dead_axis = fig.axes[2]
    # what the doctor counts: each ReLU's outputs (a CNN's channels), named by the layer before
    assert dead_axis.get_ylabel() == "dead ReLU units\n(channels in a CNN)"
    assert [line.get_ydata()[-1] for line in dead_axis.get_lines()[:2]] == [16, 16]
    plotting.save_figure(fig, tmp_path / "d.png")
    assert (tmp_path / "d.png").stat().st_size > 0

    sigmoid = diagnose(snn.mlp([2, 8, 8, 1], "sigmoid", rng=0), X, y, lr=0.5, epochs=5)
    fig = plotting.plot_diagnostics(sigmoid)
    assert len(fig.axes) == 2  # no ReLU, no dead-unit panel
    assert fig.axes[0].get_yscale() == "log"
    with pytest.raises(ValueError, match="pass it to fit first"):
        plotting.plot_diagnostics(TrainingDoctor())


def test_the_command_line_doctor(capsys):
    from scratchnn import cli

    code = cli.main(["train", "--dataset", "moons", "--optimizer", "sgd", "--lr", "10",
                     "--batch-size", "1000", "--epochs", "30", "--doctor", "--quiet"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith("[doctor] epoch 2, large updates: ")
    assert out[-1].startswith("test accuracy: ")  # the summary still ends the output

    code = cli.main(["train", "--dataset", "moons", "--epochs", "30", "--doctor", "--quiet"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and out[0] == "[doctor] nothing looked wrong"
