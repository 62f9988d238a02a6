"""Sequential: the parameter layout, forward copies, backward's input gradient."""

import pickle

import numpy as np
import pytest

import scratchnn as snn


def test_parameters_are_windows_of_one_vector_and_optimizers_use_it():
    model = snn.mlp([3, 5, 2], rng=0)
    params = model.parameters()
    assert all(p.base is params[0][0].base for p, _ in params)
    assert all(g.base is params[0][1].base for _, g in params)
    for make in (lambda ps: snn.SGD(ps, lr=0.1), lambda ps: snn.SGD(ps, lr=0.1, momentum=0.9),
                 lambda ps: snn.Adam(ps), lambda ps: snn.RMSprop(ps)):
        optimizer = make(params)
        assert len(optimizer.groups) == 1
        assert optimizer.groups[0][0].size == model.n_parameters() == 3 * 5 + 5 + 5 * 2 + 2


@pytest.mark.parametrize("make", [
    lambda ps: snn.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: snn.Adam(ps, lr=0.01, weight_decay=0.01),
    lambda ps: snn.RMSprop(ps, lr=0.01),
])
def test_the_one_vector_update_equals_the_per_array_update(make):
    rng = np.random.default_rng(1)
    packed = snn.mlp([3, 4, 1], rng=2)
    loose = [(p.copy(), np.empty_like(g)) for p, g in packed.parameters()]  # separate arrays
    opt_packed, opt_loose = make(packed.parameters()), make(loose)
    assert len(opt_packed.groups) == 1 and len(opt_loose.groups) == 4
    for _ in range(3):
        for (_, g), (_, g_loose) in zip(packed.parameters(), loose):
            g[...] = rng.standard_normal(g.shape)
            g_loose[...] = g
        opt_packed.step()
        opt_loose.step()
    for (p, _), (p_loose, _) in zip(packed.parameters(), loose):
        np.testing.assert_array_equal(p, p_loose)


def test_layers_still_see_their_own_weights_after_packing():
    dense = snn.Dense(2, 3, rng=0)
    before = dense.W.copy()
    model = snn.Sequential([dense, snn.ReLU(), snn.Dense(3, 1, rng=1)])
    np.testing.assert_array_equal(dense.W, before)
    dense.W[0, 0] = 7.0  # writes through to the model's parameter vector
    assert model.parameters()[0][0][0, 0] == 7.0


def test_forward_returns_a_new_array():
    model = snn.mlp([2, 3, 1], rng=0)
    X1, X2 = np.ones((4, 2)), np.zeros((4, 2))
    out1 = model.forward(X1)
    kept = out1.copy()
    model.forward(X2)
    np.testing.assert_array_equal(out1, kept)  # not overwritten
    assert model.forward(X1) is not model.forward(X1)


def test_backward_returns_the_input_gradient_only_when_asked():
    rng = np.random.default_rng(3)
    model = snn.mlp([3, 4, 1], "tanh", rng=rng)
    loss = snn.BinaryCrossEntropy()
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 2, size=5)
    loss.forward(model.forward(X), y)
    assert model.backward(loss.backward()) is None
    dW_skipped = model.dense_layers[0].dW.copy()
    loss.forward(model.forward(X), y)
    dX = model.backward(loss.backward(), input_grad=True)
    assert dX.shape == X.shape
    np.testing.assert_array_equal(model.dense_layers[0].dW, dW_skipped)


def test_a_pickled_model_trains_the_same_as_the_original():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((30, 2)), rng.integers(0, 2, size=30)
    model = snn.mlp([2, 4, 1], rng=5)
    clone = pickle.loads(pickle.dumps(model))
    snn.fit(model, X, y, epochs=20)
    snn.fit(clone, X, y, epochs=20)
    for a, b in zip(model.get_weights(), clone.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_mixed_dtypes_are_not_packed_but_still_train():
    model = snn.Sequential([snn.Dense(2, 3, rng=0), snn.ReLU(),
                            snn.Dense(3, 1, rng=1, dtype=np.float32)])
    optimizer = snn.SGD(model.parameters(), lr=0.1)
    assert len(optimizer.groups) == 4


# --- looking inside: summary, repr, len, indexing, predict ----------------------------------


def test_summary_is_a_table_of_layers_shapes_and_parameter_counts():
    model = snn.Sequential([snn.Dense(2, 4, rng=0), snn.ReLU(), snn.Dropout(0.2),
                            snn.Dense(4, 1, rng=1)])
    lines = []
    model.summary(print_fn=lines.append)
    table = lines[0].splitlines()
    assert table[0].split() == ["layer", "output", "shape", "parameters"]
    rows = [line.split("  ") for line in table[2:6]]
    assert [[cell.strip() for cell in row if cell.strip()] for row in rows] == [
        ["Dense(2, 4)", "(n, 4)", "12"], ["ReLU()", "(n, 4)", "0"],
        ["Dropout(p=0.2)", "(n, 4)", "0"], ["Dense(4, 1)", "(n, 1)", "5"]]
    assert table[-1].startswith("total: 17 parameters (float64); input shape (n, 2)")
    assert model.n_parameters() == 17


def test_summary_prints_by_default(capsys):
    snn.mlp([64, 128, 10], rng=0).summary()
    out = capsys.readouterr().out
    assert "Dense(64, 128)" in out and "8,320" in out and "total: 9,610 parameters" in out


def test_repr_shows_shapes_and_parameter_counts():
    model = snn.mlp([2, 4, 1], rng=0)
    assert repr(model) == (
        "Sequential([\n"
        "    Dense(2, 4),  # -> (n, 4), 12 parameters\n"
        "    ReLU(),       # -> (n, 4)\n"
        "    Dense(4, 1),  # -> (n, 1), 5 parameters\n"
        "])  # 17 parameters")


def test_len_and_indexing():
    model = snn.mlp([2, 8, 8, 3], rng=0)
    assert len(model) == 5
    assert model[0] is model.layers[0] and model[-1] is model.dense_layers[-1]
    head = model[:2]
    assert isinstance(head, snn.Sequential) and head.layers == model.layers[:2]
    np.testing.assert_allclose(head.forward(np.ones((3, 2))),
                               np.maximum(np.ones((3, 2)) @ model[0].W + model[0].b, 0))
    # Slicing shares the layers without repacking them: the whole model still trains.
    params = model.parameters()
    assert all(p.base is params[0][0].base for p, _ in params)
    with pytest.raises(IndexError, match="has no layers"):
        model[3:3]


def test_predict_proba_and_predict_for_one_output():
    rng = np.random.default_rng(0)
    model = snn.mlp([2, 4, 1], rng=0)
    X = rng.standard_normal((6, 2))
    logits = model.forward(X)[:, 0]
    proba = model.predict_proba(X)
    assert proba.shape == (6,)
    np.testing.assert_allclose(proba, 1 / (1 + np.exp(-logits)))
    np.testing.assert_array_equal(model.predict(X), (logits > 0).astype(int))


def test_predict_proba_and_predict_for_several_outputs():
    rng = np.random.default_rng(1)
    model = snn.mlp([3, 5, 4], rng=0)
    X = rng.standard_normal((7, 3))
    logits = model.forward(X)
    proba = model.predict_proba(X)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, expected)
    np.testing.assert_array_equal(model.predict(X), logits.argmax(axis=1))
    huge = model.predict_proba(1e6 * X)  # no overflow: the row maximum is subtracted
    assert np.isfinite(huge).all()
    np.testing.assert_allclose(huge.sum(axis=1), 1.0)


def test_predict_uses_evaluation_mode_and_restores_the_mode():
    model = snn.Sequential([snn.Dense(2, 16, rng=0), snn.ReLU(), snn.Dropout(0.5, rng=0),
                            snn.Dense(16, 1, rng=1)])
    X = np.random.default_rng(2).standard_normal((50, 2))
    first, second = model.predict_proba(X), model.predict_proba(X)
    np.testing.assert_array_equal(first, second)  # no dropout noise
    assert model.training
    model.eval()
    np.testing.assert_array_equal(model.predict_proba(X), first)
    assert not model.training


def test_predict_refuses_bad_input_with_a_clear_message():
    model = snn.mlp([2, 4, 1], rng=0)
    with pytest.raises(ValueError, match="X has 3 features, but the model expects 2"):
        model.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"reshape a single sample with X.reshape\(1, -1\)"):
        model.predict(np.zeros(2))


def test_optimizer_and_schedule_reprs_show_their_settings():
    params = snn.mlp([2, 4, 1], rng=0).parameters()
    adam = snn.Adam(params)
    assert repr(adam) == "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08)"
    assert repr(snn.SGD(params, lr=0.5)) == "SGD(lr=0.5)"
    assert repr(snn.SGD(params, lr=0.1, momentum=0.9, nesterov=True)) == (
        "SGD(lr=0.1, momentum=0.9, nesterov=True)")
    assert repr(snn.RMSprop(params, weight_decay=0.01)) == (
        "RMSprop(lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0.01)")
    schedule = snn.StepLR(adam, step_size=50, gamma=0.5)
    assert repr(schedule) == "StepLR(step_size=50, gamma=0.5, base_lr=0.001, epoch=0)"
    assert repr(snn.ConstantLR(adam)) == "ConstantLR(base_lr=0.001, epoch=0)"
    assert repr(snn.ReduceLROnPlateau(adam)) == (
        "ReduceLROnPlateau(factor=0.2, patience=10, min_delta=0.0001, min_lr=1e-06, "
        "base_lr=0.001, epoch=0)")
    for make in (lambda: snn.ExponentialLR(adam, 0.9), lambda: snn.InverseScalingLR(adam)):
        assert " object at 0x" not in repr(make())


def test_history_repr_is_one_line_not_the_lists():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 2)), rng.integers(0, 2, size=40)
    history = snn.fit(snn.mlp([2, 4, 1], rng=0), X, y, epochs=30, validation_split=0.25,
                      rng=0)
    text = repr(history)
    assert "\n" not in text and text.startswith("History(30 epochs, loss ")
    assert "val_loss" in text and "best_epoch=" in text
    assert str(history.loss[1]) not in text  # not the lists
    assert repr(snn.History()) == "History(0 epochs)"
