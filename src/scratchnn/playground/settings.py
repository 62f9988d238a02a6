"""Every setting of the playground, written once: its name, kind, allowed values, default and
label. The server checks the page's messages against ``SCHEMA``, and the page builds its
controls and reads and writes its links (the URL query) from the same table, served as JSON
(``schema()``), so a choice added here appears on the page without touching the page.

A setting's ``name`` is its field in ``Settings``, its parameter in a link and its control's id
on the page; its ``label`` is the control's accessible name. A ``live`` setting (``LIVE``) can
change while the network trains, keeping its weights; any other change builds a new network.

Two ways in: ``Settings.from_dict`` checks a message from the page and refuses a bad value
(``SessionError``); ``from_link`` reads a link's query, where every bad value falls back to its
default with a one-line notice, so that any link opens a working page.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, make_dataclass
from urllib.parse import parse_qsl, urlencode

from ..layers import ACTIVATIONS
from ..optimizers import OPTIMIZER_CHOICES

N_SAMPLES = 500  # points per generated data set
MAX_LAYERS, MAX_NEURONS = 6, 8
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")  # FeatureLift's names

# What the page offers, by the library's names (and TensorFlow Playground's labels).
ACTIVATION_LABELS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "Momentum", "adam": "Adam"}
assert set(ACTIVATION_LABELS) <= set(ACTIVATIONS)
assert set(OPTIMIZER_LABELS) <= set(OPTIMIZER_CHOICES)


class SessionError(ValueError):
    """A message the session cannot accept; its text is shown on the page."""


@dataclass(frozen=True)
class Choice:
    """One allowed value of a setting and its label; ``problem`` ties a data set to the
    problem type it belongs to."""

    value: str | float
    label: str
    problem: str | None = None


@dataclass(frozen=True)
class Setting:
    """One setting.

    kind: ``"choice"`` (one of ``choices``), ``"number"`` or ``"integer"`` (from ``low`` to
    ``high``; ``choices``, if any, are the presets a menu offers), ``"features"`` (a non-empty
    list drawn from ``choices``) or ``"layers"`` (at most ``max_items`` sizes, each from ``low``
    to ``high``; a new layer gets ``new_item``).
    control: how the page shows it: ``"select"``, ``"slider"`` (``slider`` is its
    ``(min, max, step)``; ``percent`` shows it in per cent), ``"checkboxes"``, ``"layers"``
    (the buttons around the network), or ``""`` (none: the seed changes with Regenerate).
    place: where on the page the control goes: ``"toolbar"``, ``"data"``, ``"features"``,
    ``"network"`` or ``""``.
    """

    name: str
    label: str
    kind: str
    default: object
    control: str = "select"
    place: str = "toolbar"
    choices: tuple[Choice, ...] = ()
    low: float | None = None
    high: float | None = None
    slider: tuple[float, float, float] | None = None
    percent: bool = False
    max_items: int | None = None
    new_item: int | None = None
    live: bool = False

    def to_json(self) -> dict:
        """The setting as the page reads it (``None`` fields left out)."""
        out = {key: value for key, value in asdict(self).items() if value is not None}
        out["choices"] = [{key: value for key, value in asdict(c).items() if value is not None}
                          for c in self.choices]
        return out


def _decimal(value: float) -> str:
    """A number as a person writes it: ``0.00001``, ``0.03``, ``10`` (never ``1e-05``)."""
    return f"{value:.10f}".rstrip("0").rstrip(".")


def _presets(*values: float) -> tuple[Choice, ...]:
    return tuple(Choice(v, _decimal(v)) for v in values)


CLASSIFICATION, REGRESSION = "classification", "regression"

# In the order of the page's controls (and of a link's parameters).
SCHEMA: tuple[Setting, ...] = (
    Setting("dataset", "Dataset", "choice", "circles", place="data", choices=(
        # TensorFlow Playground's six (its generators: see data.py), then two extras
        Choice("circles", "Circle", CLASSIFICATION),
        Choice("xor", "Exclusive or", CLASSIFICATION),
        Choice("gaussians", "Gaussian", CLASSIFICATION),
        Choice("spiral", "Spiral", CLASSIFICATION),
        Choice("spirals", "Spiral, 3 arms", CLASSIFICATION),
        Choice("moons", "Moons", CLASSIFICATION),
        Choice("plane", "Plane", REGRESSION),
        Choice("multi-gaussian", "Multi Gaussian", REGRESSION),
    )),
    Setting("train_ratio", "Ratio of training data", "number", 0.5, control="slider",
            place="data", low=0.1, high=0.9, slider=(0.1, 0.9, 0.1), percent=True),
    Setting("noise", "Noise", "number", 0.0, control="slider", place="data", low=0, high=0.5,
            slider=(0, 0.5, 0.05)),  # TensorFlow Playground's 0 to 50, divided by 100
    Setting("batch_size", "Batch size", "integer", 10, control="slider", place="data", low=1,
            high=30, slider=(1, 30, 1), live=True),
    Setting("features", "Features", "features", ("x1", "x2"), control="checkboxes",
            place="features", choices=tuple(Choice(name, name) for name in FEATURES)),
    Setting("hidden", "Hidden layers", "layers", (4, 2), control="layers", place="network",
            low=1, high=MAX_NEURONS, max_items=MAX_LAYERS, new_item=2),
    Setting("lr", "Learning rate", "number", 0.03, low=1e-5, high=10, live=True,
            choices=_presets(0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)),
    Setting("activation", "Activation", "choice", "tanh", choices=tuple(
        Choice(name, label) for name, label in ACTIVATION_LABELS.items())),
    Setting("optimizer", "Optimizer", "choice", "sgd", live=True, choices=tuple(
        Choice(name, label) for name, label in OPTIMIZER_LABELS.items())),
    Setting("regularization", "Regularization", "choice", "none", live=True, choices=(
        Choice("none", "None"), Choice("L1", "L1"), Choice("L2", "L2"))),
    Setting("reg_rate", "Regularization rate", "number", 0.0, low=0, high=10, live=True,
            choices=_presets(0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)),
    Setting("problem", "Problem type", "choice", CLASSIFICATION, choices=(
        Choice(CLASSIFICATION, "Classification"), Choice(REGRESSION, "Regression"))),
    Setting("seed", "Seed", "integer", 1, control="", place="", low=0, high=2**31 - 1),
)
BY_NAME = {setting.name: setting for setting in SCHEMA}
LIVE = frozenset(setting.name for setting in SCHEMA if setting.live)  # change keeps the weights
UPLOAD = "upload"  # the dataset of an uploaded CSV (not in a link: the file is not kept)


def datasets(problem: str) -> list[str]:
    """The generated data sets offered for ``problem``, in the page's order."""
    return [c.value for c in BY_NAME["dataset"].choices if c.problem == problem]


def schema() -> list[dict]:
    """``SCHEMA`` as JSON for the page."""
    return [setting.to_json() for setting in SCHEMA]


# --- checking one value ------------------------------------------------------------------------


def shown(value, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters: a message echoes what it refuses, briefly."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):  # nested too deeply, an integer too long to print
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def finite_number(value) -> float | None:
    """``value`` as a float if it is a finite JSON number (not a boolean), else None: an
    integer too large for a float (``10**400``) is no number the page can mean."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _on_grid(setting: Setting, value: float) -> float | None:
    """``value`` as the menu or the slider has it, or None: a number with presets takes only a
    preset, a slider's number only a step of the slider (within rounding)."""
    if setting.choices:
        return next((float(c.value) for c in setting.choices
                     if math.isclose(value, c.value, rel_tol=1e-9, abs_tol=1e-12)), None)
    if setting.slider and setting.kind == "number":
        low, _, step = setting.slider
        steps = round((value - low) / step)
        on_grid = round(low + steps * step, 10)  # 0.15, not 0.15000000000000002
        return on_grid if math.isclose(value, on_grid, rel_tol=0, abs_tol=1e-9) else None
    return value  # integers: every whole number is on the grid


def _number(setting: Setting, value) -> float | int:
    key = setting.name
    if finite_number(value) is None:
        raise SessionError(f"{key} must be a number, got {shown(value)}")
    if setting.kind == "integer" and value != int(value):
        raise SessionError(f"{key} must be a whole number, got {shown(value)}")
    if not setting.low <= value <= setting.high:
        raise SessionError(f"{key} must be between {link_text(setting.low)} and "
                           f"{link_text(setting.high)}, got "
                           f"{value:g}")
    if setting.kind == "integer":
        return int(value)
    on_grid = _on_grid(setting, float(value))
    if on_grid is None:
        if setting.choices:
            raise SessionError(f"{key} must be one of the menu's values "
                               f"({', '.join(c.label for c in setting.choices)}), got {value:g}")
        low, high, step = setting.slider
        raise SessionError(f"{key} must be a step of its slider ({low:g} to {high:g} in steps "
                           f"of {step:g}), got {value:g}")
    return on_grid


def _choice(setting: Setting, value, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise SessionError(f"{setting.name} must be one of {', '.join(allowed)}; "
                           f"got {shown(value)}")
    return value


def _features(setting: Setting, value) -> list[str]:
    names = [c.value for c in setting.choices]
    if (not isinstance(value, list) or not value or len(value) > len(names)
            or not all(f in names for f in value)):
        raise SessionError(f"{setting.name} must be a non-empty list drawn from "
                           f"{', '.join(names)}")
    return [f for f in names if f in value]  # the page's order, no repeats


def _layers(setting: Setting, value) -> list[int]:
    if not isinstance(value, list) or len(value) > setting.max_items or not all(
            isinstance(n, int) and not isinstance(n, bool) and setting.low <= n <= setting.high
            for n in value):
        raise SessionError(f"{setting.name} must list at most {setting.max_items} layer sizes, "
                           f"each from {setting.low} to {setting.high}")
    return list(value)


def check(setting: Setting, value, problem: str):
    """``value`` for ``setting`` as the session keeps it, or a ``SessionError`` saying why not
    (a data set must belong to ``problem``, or be an upload)."""
    if setting.kind in ("number", "integer"):
        return _number(setting, value)
    if setting.kind == "features":
        return _features(setting, value)
    if setting.kind == "layers":
        return _layers(setting, value)
    if setting.name == "dataset":
        return _choice(setting, value, (*datasets(problem), UPLOAD))
    return _choice(setting, value, tuple(c.value for c in setting.choices))


# --- all of them -------------------------------------------------------------------------------

_TYPES = {"choice": str, "number": float, "integer": int, "features": list[str],
          "layers": list[int]}


def _from_dict(cls, raw):
    """Check every field of a message from the page; a bad one raises ``SessionError``. A field
    left out takes its default (the dataset: the first of the problem type's)."""
    if not isinstance(raw, dict):
        raise SessionError("settings must be an object")
    unknown = sorted(set(raw) - set(BY_NAME), key=str)
    if unknown:
        raise SessionError(f"unknown setting(s): {', '.join(shown(u) for u in unknown[:5])}")
    problem = check(BY_NAME["problem"], raw.get("problem", BY_NAME["problem"].default), "")
    defaults = {**cls().__dict__, "dataset": datasets(problem)[0]}
    return cls(**{s.name: check(s, raw.get(s.name, defaults[s.name]), problem) for s in SCHEMA})


def _default(setting: Setting):
    if isinstance(setting.default, tuple):
        return field(default_factory=lambda: list(setting.default))
    return field(default=setting.default)


Settings = make_dataclass(
    "Settings", [(s.name, _TYPES[s.kind], _default(s)) for s in SCHEMA],
    namespace={"from_dict": classmethod(_from_dict), "__module__": __name__})
Settings.__doc__ = ("Everything the page can set, one field per setting of ``SCHEMA`` with its "
                    "default; a link holds the same fields, so it reproduces a run. "
                    "``Settings.from_dict(raw)`` checks a message from the page.")


# --- links -------------------------------------------------------------------------------------

NOTICE_LIMIT = 120  # characters in one notice: one line on the page


def link_text(value) -> str:
    """A setting's value as a link writes it: lists comma-separated, numbers as a person writes
    them (``0.00001``, not ``1e-05``)."""
    if isinstance(value, (list, tuple)):
        return ",".join(map(link_text, value))
    if isinstance(value, float):
        return _decimal(value)
    return str(value)


def to_link(settings) -> str:
    """The query string (without ``?``) of a link that reproduces ``settings``."""
    return urlencode([(s.name, link_text(getattr(settings, s.name))) for s in SCHEMA], safe=",")


def _from_text(setting: Setting, text: str):
    """A link's text as the value a message would carry (``ValueError`` if it is none)."""
    if setting.kind == "number":
        return float(text)
    if setting.kind == "integer":
        try:
            return int(text)
        except ValueError:
            return float(text)  # "3.0" is a whole number; "3.5" is refused by the check
    if setting.kind == "features":
        return text.split(",")
    if setting.kind == "layers":
        return [int(part) for part in text.split(",")] if text else []
    return text


def _what(setting: Setting, problem: str) -> str:
    """What a good value of ``setting`` is, briefly, for a notice."""
    if setting.name == "dataset":
        return f"a {problem} data set"
    if setting.kind == "choice":
        return f"one of {', '.join(str(c.value) for c in setting.choices)}"
    if setting.kind == "number" and setting.choices:
        return f"a {setting.label.lower()} on the menu"
    if setting.kind == "number":
        low, high, step = setting.slider
        return f"on the {setting.label.lower()} slider ({low:g} to {high:g}, steps of {step:g})"
    if setting.kind == "integer":
        return f"a whole number from {setting.low} to {setting.high}"
    if setting.kind == "features":
        return f"a list drawn from {', '.join(str(c.value) for c in setting.choices)}"
    return (f"a list of at most {setting.max_items} layer sizes, each {setting.low:g} to "
            f"{setting.high:g}")


def _notice(name: str, text: str, reason: str, default) -> str:
    """``name=text reason; using default`` in one line of at most ``NOTICE_LIMIT`` characters
    (the value escaped if it holds control characters, and cut to fit)."""
    if not text.isprintable():
        text = repr(text)[1:-1]
    tail = f" {reason}; using {link_text(default) or '(none)'}"
    room = max(NOTICE_LIMIT - len(name) - 1 - len(tail), 12)
    if len(text) > room:
        text = text[:room - 3] + "..."
    return f"{name}={text}{tail}"[:NOTICE_LIMIT]


def _dataset_notice(text: str, problem: str, default: str) -> str:
    other = next((c.problem for c in BY_NAME["dataset"].choices if c.value == text), None)
    if other is not None:  # a data set of the other problem type
        return _notice("dataset", text, f"is a {other} data set", f"{default} for {problem}")
    if text == UPLOAD:
        return _notice("dataset", text, "is a file, which a link does not keep", default)
    return _notice("dataset", text, f"is not {_what(BY_NAME['dataset'], problem)}", default)


def from_link(query: str) -> tuple[Settings, list[str]]:
    """The settings a link's query string asks for (with or without ``?``, percent-encoded), and
    a notice for each value that could not be used.

    Every link opens a working page: a bad value falls back to its default with one line
    naming the parameter, the value and the default used (``lr=abc is not a learning rate on
    the menu; using 0.03``); a data set of the other problem type falls back to the problem's
    first data set. A parameter given twice takes its last value; an unknown parameter is
    ignored (the page's view options live in links too).
    """
    if not isinstance(query, str):
        raise SessionError(f"a link must be text, got {shown(query)}")
    params = dict(parse_qsl(query.removeprefix("?"), keep_blank_values=True))  # the last wins
    notices: list[str] = []
    problem_setting = BY_NAME["problem"]
    problem = problem_setting.default
    if "problem" in params:
        try:
            problem = check(problem_setting, params["problem"], "")
        except SessionError:
            notices.append(_notice("problem", params["problem"],
                                   f"is not {_what(problem_setting, '')}", problem))
    values = {**Settings().__dict__, "problem": problem, "dataset": datasets(problem)[0]}
    for setting in SCHEMA:
        name = setting.name
        if name == "problem" or name not in params:
            continue
        try:
            if name == "dataset" and params[name] == UPLOAD:
                raise SessionError("an upload is not kept in a link")
            values[name] = check(setting, _from_text(setting, params[name]), problem)
        except ValueError:  # a SessionError, or text that is no number at all
            if name == "dataset":
                notices.append(_dataset_notice(params[name], problem, values[name]))
            else:
                notices.append(_notice(name, params[name], f"is not {_what(setting, problem)}",
                                       values[name]))
    return Settings(**values), notices
