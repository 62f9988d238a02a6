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
from scratchnn.playground import data, frames
from scratchnn.playground import session as session_module
from scratchnn.playground.app import STATIC, create_app
from scratchnn.playground.session import Session
from scratchnn.playground.settings import (
    BY_NAME,
    LIVE,
    NOTICE_LIMIT,
    SCHEMA,
    SessionError,
    Settings,
    from_link,
    link_text,
    schema,
    to_link,
)
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
    for choice in BY_NAME["dataset"].choices:  # each made by scratchnn.datasets
        generator, name = data.GENERATORS[choice.value]
        if generator == "playground":
            assert ds.PLAYGROUND_DATASETS[name][1] == choice.problem, choice.value
        else:
            assert generator in ds.DATASETS and choice.problem == "classification"


def test_the_data_sets_are_tensorflow_playgrounds_six_and_two_extras():
    offered = [(c.value, c.label, c.problem) for c in BY_NAME["dataset"].choices]
    assert offered == [
        ("circles", "Circle", "classification"), ("xor", "Exclusive or", "classification"),
        ("gaussians", "Gaussian", "classification"), ("spiral", "Spiral", "classification"),
        ("spirals", "Spiral, 3 arms", "classification"), ("moons", "Moons", "classification"),
        ("plane", "Plane", "regression"), ("multi-gaussian", "Multi Gaussian", "regression")]
    playground = {value: name for value, (generator, name) in data.GENERATORS.items()
                  if generator == "playground"}
    assert playground == {"circles": "circle", "xor": "xor", "gaussians": "gauss",
                          "spiral": "spiral", "plane": "reg-plane", "multi-gaussian": "reg-gauss"}


@pytest.mark.parametrize("value", [c.value for c in BY_NAME["dataset"].choices])
def test_generate_makes_each_data_set_from_the_library(value):
    problem = BY_NAME["dataset"].choices[[c.value for c in BY_NAME["dataset"].choices]
                                         .index(value)].problem
    settings = Settings(dataset=value, problem=problem, noise=0.2, seed=7)
    X, y = data.generate(settings)
    generator, name = data.GENERATORS[value]
    if generator == "playground":
        X_lib, y_lib = ds.playground(name, n_samples=500, noise=0.2, random_state=7)
    else:
        X_lib, y_lib = ds.load(generator, n_samples=500, noise=0.2, random_state=7)
    np.testing.assert_array_equal(X, X_lib)
    np.testing.assert_array_equal(y, y_lib)
    assert X.shape == (500, 2)
    if value == "spirals":
        assert set(np.unique(y)) == {0, 1, 2}
    elif problem == "classification":
        assert set(np.unique(y)) == {0, 1}


def test_tensorflow_playgrounds_noise_slider_and_batch_sizes():
    noise, batch = BY_NAME["noise"], BY_NAME["batch_size"]
    assert (noise.low, noise.high, noise.slider) == (0, 0.5, (0, 0.5, 0.05))
    assert (batch.low, batch.high, batch.slider) == (1, 30, (1, 30, 1))


def test_the_live_settings_are_marked_in_the_schema_and_served():
    assert set(LIVE) == {"lr", "optimizer", "regularization", "reg_rate", "batch_size"}
    assert {s.name for s in SCHEMA if s.live} == LIVE
    assert all(entry["live"] == (entry["name"] in LIVE) for entry in schema())


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


def page_reads(text: str) -> dict:
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
    settings = Settings.from_dict(page_reads(query))
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
    ("lr", 0.5, r"lr must be one of the menu's values \(0.00001, 0.0001, .*, 10\), got 0.5"),
    ("reg_rate", 0.02, "reg_rate must be one of the menu's values"),
    ("noise", 0.12, r"noise must be a step of its slider \(0 to 0.5 in steps of 0.05\), got "
                    "0.12"),
    ("noise", 0.6, "noise must be between 0 and 0.5"),
    ("train_ratio", 0.35, "train_ratio must be a step of its slider"),
    ("batch_size", 31, "batch_size must be between 1 and 30"),
    ("batch_size", 2.5, "batch_size must be a whole number"),
    ("seed", -1, "seed must be between 0 and 2147483647"),
    ("dataset", "nonsense", "dataset must be one of circles, xor, gaussians, spiral, spirals"),
])
def test_a_value_outside_the_schema_is_refused(name, value, fragment):
    with pytest.raises(SessionError, match=fragment):
        Settings.from_dict({name: value})


def test_values_on_the_grid_are_taken_as_the_grid_has_them():
    settings = Settings.from_dict({"noise": 0.15000000000000002, "train_ratio": 0.30000000000000004,
                                   "lr": 0.1, "reg_rate": 0, "batch_size": 30,
                                   "dataset": "spiral"})
    assert (settings.noise, settings.train_ratio, settings.lr, settings.reg_rate) == (
        0.15, 0.3, 0.1, 0.0)
    assert settings.batch_size == 30 and settings.dataset == "spiral"
    for step in range(11):  # every step of the noise slider, as 0.05 * k gives it
        assert Settings.from_dict({"noise": step * 0.05}).noise == round(step * 0.05, 2)


# --- links: from_link --------------------------------------------------------------------------


def _problem_of(dataset: str) -> str:
    return next(c.problem for c in BY_NAME["dataset"].choices if c.value == dataset)


def _good_links() -> list[str]:
    """A link for every value each setting offers (each data set under its problem, each menu
    entry, each slider step), and the link that sets everything."""
    links = [urlencode(link_query(link_values())), to_link(Settings()), ""]
    for s in SCHEMA:
        if s.name == "dataset":
            links += [f"problem={_problem_of(c.value)}&dataset={c.value}" for c in s.choices]
        elif s.choices and s.kind != "features":
            links += [f"{s.name}={link_text(c.value)}" for c in s.choices]
        elif s.slider:
            low, high, step = s.slider
            values = [low + k * step for k in range(round((high - low) / step) + 1)]
            links += [f"{s.name}={link_text(round(v, 6) if s.kind == 'number' else round(v))}"
                      for v in values]
    return [*links, "hidden=", "hidden=8,8,8,8,8,8", "features=sin(x2),x1", "seed=2147483647"]


@pytest.mark.parametrize("link", _good_links())
def test_every_good_link_loads_with_no_notice_and_round_trips(link):
    settings, notices = from_link(link)
    assert notices == []
    assert from_link("?" + link) == (settings, [])
    again, notices = from_link(to_link(settings))
    assert notices == [] and again == settings
    assert Settings.from_dict(settings.__dict__) == settings


def test_the_link_that_sets_everything_gives_every_value():
    values = link_values()
    settings, notices = from_link("?" + urlencode(link_query(values)))
    assert notices == [] and settings.__dict__ == values


@pytest.mark.parametrize(("link", "name", "value", "notice"), [
    ("?hidden=0", "hidden", [4, 2],
     "hidden=0 is not a list of at most 6 layer sizes, each 1 to 8; using 4,2"),
    ("?hidden=4,9", "hidden", [4, 2], "hidden=4,9 is not a list"),
    ("?hidden=4,,2", "hidden", [4, 2], "hidden=4,,2 is not a list"),
    ("?hidden=1,1,1,1,1,1,1", "hidden", [4, 2], "hidden=1,1,1,1,1,1,1 is not a list"),
    ("?dataset=nonsense", "dataset", "circles",
     "dataset=nonsense is not a classification data set; using circles"),
    ("?dataset=upload", "dataset", "circles", "dataset=upload is a file"),
    ("?seed=-3", "seed", 1, "seed=-3 is not a whole number from 0 to 2147483647; using 1"),
    ("?seed=1.5", "seed", 1, "seed=1.5 is not a whole number"),
    ("?seed=" + "9" * 5000, "seed", 1, "seed=999"),
    ("?lr=abc", "lr", 0.03, "lr=abc is not a learning rate on the menu; using 0.03"),
    ("?lr=0.5", "lr", 0.03, "lr=0.5 is not a learning rate on the menu; using 0.03"),
    ("?lr=nan", "lr", 0.03, "lr=nan is not a learning rate on the menu; using 0.03"),
    ("?reg_rate=0.02", "reg_rate", 0.0,
     "reg_rate=0.02 is not a regularization rate on the menu; using 0"),
    ("?noise=0.8", "noise", 0.0,
     "noise=0.8 is not on the noise slider (0 to 0.5, steps of 0.05); using 0"),
    ("?noise=0.12", "noise", 0.0, "noise=0.12 is not on the noise slider"),
    ("?train_ratio=0.35", "train_ratio", 0.5, "train_ratio=0.35 is not on the ratio of training"),
    ("?batch_size=50", "batch_size", 10,
     "batch_size=50 is not a whole number from 1 to 30; using 10"),
    ("?batch_size=", "batch_size", 10, "batch_size= is not a whole number"),
    ("?features=", "features", ["x1", "x2"], "features= is not a list drawn from x1, x2,"),
    ("?features=x1,x3", "features", ["x1", "x2"], "features=x1,x3 is not a list drawn from"),
    ("?activation=softplus", "activation", "tanh",
     "activation=softplus is not one of relu, tanh, sigmoid, linear; using tanh"),
    ("?optimizer=rmsprop", "optimizer", "sgd", "optimizer=rmsprop is not one of sgd, momentum"),
    ("?regularization=l2", "regularization", "none",
     "regularization=l2 is not one of none, L1, L2; using none"),
    ("?problem=ranking", "problem", "classification",
     "problem=ranking is not one of classification, regression; using classification"),
])
def test_a_bad_value_in_a_link_falls_back_to_its_default_with_one_notice(link, name, value,
                                                                          notice):
    settings, notices = from_link(link)
    assert getattr(settings, name) == value
    assert {**settings.__dict__, name: None} == {**Settings().__dict__, name: None}
    assert len(notices) == 1 and notices[0].startswith(notice), notices
    assert len(notices[0]) <= NOTICE_LIMIT and "\n" not in notices[0]


def test_a_data_set_of_the_other_problem_falls_back_to_the_problems_first():
    settings, notices = from_link("?problem=regression&dataset=circles")
    assert (settings.problem, settings.dataset) == ("regression", "plane")
    assert notices == ["dataset=circles is a classification data set; using plane for "
                       "regression"]
    settings, notices = from_link("?dataset=multi-gaussian")
    assert (settings.problem, settings.dataset) == ("classification", "circles")
    assert notices == ["dataset=multi-gaussian is a regression data set; using circles for "
                       "classification"]
    settings, notices = from_link("?problem=regression")  # no data set: the first, silently
    assert (settings.dataset, notices) == ("plane", [])


def test_a_link_repeating_a_parameter_takes_the_last_value():
    settings, notices = from_link("?lr=0.1&lr=0.3&hidden=8&hidden=")
    assert (settings.lr, settings.hidden, notices) == (0.3, [], [])
    settings, notices = from_link("?lr=0.1&lr=abc")  # the last is the one that counts
    assert settings.lr == 0.03 and notices == [
        "lr=abc is not a learning rate on the menu; using 0.03"]


def test_a_link_is_read_percent_decoded():
    settings, notices = from_link("features=x1%5E2%2Cx2&hidden=4%2C2&dataset=multi%2Dgaussian"
                                  "&problem=regression")
    assert notices == []
    assert settings.features == ["x2", "x1^2"]  # the page's order
    assert (settings.hidden, settings.dataset) == ([4, 2], "multi-gaussian")
    assert from_link("features=sin%28x1%29,x1*x2")[0].features == ["x1*x2", "sin(x1)"]


def test_unknown_parameters_and_empty_links_are_ignored_silently():
    assert from_link("?show_test=true&discretize=1&utm_source=mail") == (Settings(), [])
    assert from_link("") == (Settings(), []) and from_link("?") == (Settings(), [])
    assert from_link("?&&=&show_test") == (Settings(), [])
    assert from_link("?lr")[1] == ["lr= is not a learning rate on the menu; using 0.03"]


def test_a_link_that_is_not_text_is_refused():
    with pytest.raises(SessionError, match="a link must be text, got 5"):
        from_link(5)


def test_notices_are_one_short_line_each_at_most_one_per_parameter():
    long_value = "x" * 10_000
    hostile = "&".join(f"{s.name}={long_value}%0A%1B" for s in SCHEMA)
    settings, notices = from_link(hostile)
    assert settings == Settings()
    assert len(notices) == len(SCHEMA)  # every one of them bad, each said once
    assert sorted(n.split("=")[0] for n in notices) == sorted(s.name for s in SCHEMA)
    for notice in notices:
        assert len(notice) <= NOTICE_LIMIT and notice.isprintable(), notice
        assert "; using " in notice and "..." in notice


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
    X, y = session_module.generate(settings)  # the data: the session's; the loop: the plain one
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
    assert session.diverged and "lower the learning rate to go on, rewind, or press Reset" in (
        session.diverged)
    assert all(np.isfinite(w).all() for w in session.model.get_weights())
    header, _ = frames.decode(session.frame())
    assert header["diverged"] == session.diverged and header["playing"] is False
    with pytest.raises(SessionError, match="training diverged"):
        session.handle({"type": "play"})
    session.handle({"type": "reset"})
    assert session.diverged is None
    session.close()

