"""A link that sets every setting of the playground's schema to something other than its
default, built from the schema alone (shared by the server's and the browser's tests)."""

from __future__ import annotations

from scratchnn.playground.settings import SCHEMA


def _other(choices: list, default):
    """The choice after the default (or the first one, if the default is not offered)."""
    if default not in choices:
        return choices[0]
    return choices[(choices.index(default) + 1) % len(choices)]


def link_values() -> dict:
    """``{name: value}``: a value other than the default for every setting."""
    values: dict = {}
    for s in SCHEMA:  # the problem comes before its data set is chosen
        if s.name == "problem":
            values["problem"] = _other([c.value for c in s.choices], s.default)
    for s in SCHEMA:
        if s.name == "problem":
            continue
        if s.kind == "choice":
            offered = [c.value for c in s.choices
                       if c.problem is None or c.problem == values["problem"]]
            values[s.name] = _other(offered, s.default)
        elif s.kind == "features":
            values[s.name] = [c.value for c in s.choices][1:4]
        elif s.kind == "layers":
            values[s.name] = [s.new_item + 1, s.low, s.high]
        elif s.choices:  # a number a menu offers
            values[s.name] = _other([c.value for c in s.choices], s.default)
        elif s.slider:  # the middle of the slider, on its steps
            low, high, step = s.slider
            steps = round((high - low) / step)
            value = low + (steps // 2 + 1) * step
            values[s.name] = round(value) if s.kind == "integer" else round(value, 6)
        else:
            values[s.name] = s.default + 41
    return {s.name: values[s.name] for s in SCHEMA}  # in the schema's order, as links are


def as_text(value) -> str:
    """A value as a link writes it: lists comma-separated."""
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def link_query(values: dict) -> dict[str, str]:
    return {name: as_text(value) for name, value in values.items()}
