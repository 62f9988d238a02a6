"""The playground's settings schema (one table, served to the page), links built from it, and the
session training through the library's loop (``train_epochs``)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
from _playground_links import link_query, link_values
from starlette.testclient import TestClient

import scratchnn as snn
from scratchnn import datasets as ds
from scratchnn.layers import ACTIVATIONS
from scratchnn.optimizers import OPTIMIZER_CHOICES
from scratchnn.playground import session as session_module
from scratchnn.playground.app import STATIC, create_app
from scratchnn.playground.session import Session
from scratchnn.playground.settings import BY_NAME, SCHEMA, SessionError, Settings, schema
from scratchnn.playground.uploads import MAX_UPLOAD_BYTES

# --- the schema --------------------------------------------------------------------------------


def test_the_schema_is_served_with_the_upload_limit():
    with TestClient(create_app(host="testserver")) as client:
        response = client.get("/settings.json")
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    body = response.json()
    assert body == json.loads(json.dumps({"settings": schema(), "upload_bytes": MAX_UPLOAD_BYTES}))
    served = {s["name"]: s for s in body["settings"]}
    assert served["lr"]["label"] == "Learning rate"
    assert served["train_ratio"]["label"] == "Ratio of training data"


def test_every_setting_is_a_field_of_settings_with_the_schemas_default():
    defaults = Settings()
    assert list(defaults.__dict__) == [s.name for s in SCHEMA]
    for setting in SCHEMA:
        expected = list(setting.default) if isinstance(setting.default, tuple) else setting.default
        assert getattr(defaults, setting.name) == expected, setting.name
    assert Settings.from_dict({}) == defaults


def test_the_choices_are_the_librarys_names():
    activations = [c.value for c in BY_NAME["activation"].choices]
    assert activations == ["relu", "tanh", "sigmoid", "linear"]
    assert all(name in ACTIVATIONS for name in activations)
    optimizers = [c.value for c in BY_NAME["optimizer"].choices]
    assert optimizers == ["sgd", "momentum", "adam"]
    assert all(name in OPTIMIZER_CHOICES for name in optimizers)
    datasets = {c.value.replace("-", "_") for c in BY_NAME["dataset"].choices}
    assert datasets <= set(ds.DATASETS) | set(ds.REGRESSION_DATASETS)


def test_the_page_holds_no_copy_of_the_choices():
    page = "\n".join((STATIC / name).read_text() for name in ("index.html", "app.js"))
    assert "<option" not in page
    for setting in SCHEMA:
        assert f'"{setting.label}"' not in page, setting.label
        for choice in setting.choices:
            if choice.label[0].isupper() and choice.label not in ("L1", "L2"):
                assert choice.label not in page, choice.label
    assert "5 * 1024" not in page and "2147483647" not in page


# --- links -------------------------------------------------------------------------------------


def from_link(text: str) -> dict:
    """What the page reads from a link's query, by each setting's kind."""
    values = {}
    for name, value in parse_qsl(text):
        kind = BY_NAME[name].kind
        if kind == "features":
            values[name] = value.split(",")
        elif kind == "layers":
            values[name] = [int(v) for v in value.split(",")]
        elif kind in ("number", "integer"):
            values[name] = float(value) if kind == "number" else int(value)
        else:
            values[name] = value
    return values


def test_a_link_built_from_the_schema_round_trips_through_the_session():
    values = link_values()
    assert all(values[s.name] != Settings().__dict__[s.name] for s in SCHEMA)
    query = urlencode(link_query(values))
    settings = Settings.from_dict(from_link(query))
    assert settings.__dict__ == values
    session = Session(settings=settings)
    network = session.network()
    assert network["settings"] == values
    assert urlencode(link_query(network["settings"])) == query
    session.close()


@pytest.mark.parametrize(("name", "value", "fragment"), [
    ("activation", "softplus", "activation must be one of relu, tanh, sigmoid, linear"),
    ("optimizer", "rmsprop", "optimizer must be one of sgd, momentum, adam"),
    ("train_ratio", 0.95, "train_ratio must be between 0.1 and 0.9"),
    ("problem", "ranking", "problem must be one of classification, regression"),
])
def test_a_value_outside_the_schema_is_refused(name, value, fragment):
    with pytest.raises(SessionError, match=fragment):
        Settings.from_dict({name: value})


# --- training through the library's loop -------------------------------------------------------


def test_the_session_trains_through_train_epochs(monkeypatch):
    calls = []
    real = session_module.train_epochs

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(session_module, "train_epochs", spy)
    session = Session(settings=Settings(regularization="L1", reg_rate=0.01))
    session.train_epoch()
    session.train_epoch()
    assert len(calls) == 2
    (model, loss, optimizer, batches, rule), kwargs = calls[0]
    assert model is session.model and loss is session.loss and optimizer is session.optimizer
    assert batches is session.batches and rule is session.rule
    assert kwargs["max_epochs"] == 1 and kwargs["l1"] == 0.01 and kwargs["alpha"] == 0.0
    assert session.epoch == 2 and len(session.history.loss) == 2


@pytest.mark.parametrize("settings", [
    Settings(dataset="spirals", hidden=[8, 6], activation="relu", optimizer="adam", lr=0.01,
             regularization="L2", reg_rate=0.01, batch_size=7, train_ratio=0.7, seed=3),
    Settings(dataset="xor", optimizer="momentum", regularization="L1", reg_rate=0.003,
             activation="sigmoid"),
])
def test_the_sessions_losses_are_those_of_the_teaching_loop(settings):
    """Each epoch's mean training loss (penalty included), computed here by the plain loop the
    playground ran before it used train_epochs: the same numbers, bit for bit."""
    session = Session(settings=settings)
    X, y = ds.load(settings.dataset, n_samples=500, noise=settings.noise,
                   random_state=settings.seed)
    X_train, _, y_train, _ = ds.train_test_split(X, y, test_size=1 - settings.train_ratio,
                                                 random_state=settings.seed)
    inputs = ds.FeatureLift(settings.features).transform(X_train)
    rng = np.random.default_rng(settings.seed)
    sizes = [inputs.shape[1], *settings.hidden, session.model.n_outputs]
    init = "he" if settings.activation == "relu" else "glorot"
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(snn.Dense(sizes[i], sizes[i + 1], rng=rng, init=init))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[settings.activation]())
    model = snn.Sequential(layers)
    if sizes[-1] == 1:
        loss, y_train = snn.BinaryCrossEntropy(), y_train.reshape(-1, 1).astype(float)
    else:
        loss = snn.SoftmaxCrossEntropy()
    cls, options, _ = OPTIMIZER_CHOICES[settings.optimizer]
    optimizer = cls(model.parameters(), lr=settings.lr, **options)
    penalty = {"L1": snn.training.add_l1_penalty, "L2": snn.training.add_l2_penalty}[
        settings.regularization]
    expected = []
    for _ in range(4):
        session.train_epoch()
        order, total = rng.permutation(len(inputs)), 0.0
        for start in range(0, len(order), settings.batch_size):
            rows = order[start:start + settings.batch_size]
            value = loss.forward(model.forward(inputs[rows]), y_train[rows])
            model.backward(loss.backward())
            value += penalty(model, settings.reg_rate, len(rows))
            optimizer.step()
            total += value * len(rows)
        expected.append(total / len(inputs))
    assert session.history.loss == expected
    for ours, theirs in zip(session.model.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_a_diverging_run_stops_with_a_message_and_finite_weights():
    session = Session(settings=Settings(dataset="spirals", activation="linear", lr=10,
                                        hidden=[8, 8]))
    for _ in range(20):
        session.train_epoch()
        if session.diverged:
            break
    assert session.diverged and "lower the learning rate and press Reset" in session.diverged
    assert all(np.isfinite(w).all() for w in session.model.get_weights())
    assert json.loads(session.frame())["diverged"] == session.diverged
    with pytest.raises(SessionError, match="training diverged"):
        session.handle({"type": "play"})
    session.handle({"type": "reset"})
    assert session.diverged is None
    session.close()

