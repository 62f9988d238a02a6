"""The network's drawing in a real browser (Playwright driving Debian's headless Chromium,
against `scratchnn playground` started as a user starts it): its size at every screen width,
every weight and bias pickable and named in the code's words, edits from the pointer and the
keyboard reaching the server, the focus after a +/- click, and frames drawn into reused
canvases. Skipped, loudly, only where no Chromium is installed."""

from __future__ import annotations

import itertools
import re

import pytest
from _playground_browser import WAIT_MS, new_page, open_page, require_browser, wait_for_frame

require_browser()

pytestmark = pytest.mark.serial

from scratchnn.playground.settings import SCHEMA  # noqa: E402

HIDDEN = next(s for s in SCHEMA if s.name == "hidden")
# The largest network: six layers of eight on every feature.
LARGEST = ("?dataset=spirals&hidden=8,8,8,8,8,8"
           "&features=x1,x2,x1%5E2,x2%5E2,x1*x2,sin(x1),sin(x2)")


@pytest.fixture()
def page(browser):
    page = new_page(browser, 1400, 900)
    yield page
    page.context.close()


def canvas_origin(page) -> tuple[float, float]:
    box = page.locator("#network").bounding_box()
    return box["x"], box["y"]


def pick_point(page, layer: int, source: int, target: int) -> dict:
    return page.evaluate(f"window.playground.network.pickPoint({layer}, {source}, {target})")


def hover(page, point: dict) -> None:
    x, y = canvas_origin(page)
    page.mouse.move(x + point["x"], y + point["y"])


def tooltip(page) -> str:
    return page.locator("#weight-tooltip").inner_text()


def value(page, layer: int, source: int, target: int) -> float:
    if source == -1:
        return page.evaluate(f"window.playground.frame.layers[{layer}].b[{target}]")
    n_out = page.evaluate(f"window.playground.net.sizes[{layer + 1}]")
    return page.evaluate(f"window.playground.frame.layers[{layer}].W[{source * n_out + target}]")


def named(text: str, layer: int, source: int, target: int) -> float:
    """The value a tooltip line gives the weight it must name (fails if it names another)."""
    name = (f"model.layers[{2 * layer}].b[{target}]" if source == -1
            else f"model.layers[{2 * layer}].W[{source}, {target}]")
    match = re.fullmatch(re.escape(name) + r" = (-?\d+\.\d\d|-?\d\.\de[-+]\d+)", text)
    assert match, (text, name)
    return float(match.group(1))


# --- size ------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [400, 1400, 1920])
def test_the_drawing_fills_its_column_at_every_width(browser, server, width):
    page = new_page(browser, width, 900)
    open_page(page, server)
    sizes = page.evaluate("""() => {
        const canvas = document.getElementById('network');
        const wrap = canvas.parentElement;
        const style = getComputedStyle(wrap);
        const inner = wrap.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
        const nodes = window.playground.nodes;
        const last = nodes[nodes.length - 1][0];
        return {css: canvas.getBoundingClientRect().width, inner, backing: canvas.width,
                right: last.x + last.box / 2, box: nodes[0][0].box};
    }""")
    assert sizes["css"] == pytest.approx(sizes["inner"], abs=1)
    assert sizes["backing"] == pytest.approx(sizes["css"], abs=1)
    # the units use the whole width: the output's right edge is near the drawing's
    assert sizes["css"] - 30 <= sizes["right"] <= sizes["css"]
    if width >= 1400:
        assert sizes["css"] > 460  # wider than the old fixed drawing
    # a narrower window lays the drawing out again, to its new column
    page.set_viewport_size({"width": width - 100, "height": 900})
    page.wait_for_function("""() => Math.abs(document.getElementById('network')
        .getBoundingClientRect().width - window.playground.network.width) < 1
        && window.playground.network.width === document.getElementById('network').width""",
                           timeout=WAIT_MS)
    assert page.errors == []
    page.context.close()


def test_the_drawing_is_crisp_on_a_high_density_screen(browser, server):
    page = new_page(browser, 1400, 900, device_scale_factor=2)
    open_page(page, server)
    css, backing = page.evaluate("""() => { const c = document.getElementById('network');
        return [c.getBoundingClientRect().width, c.width]; }""")
    assert backing == round(2 * css)
    page.context.close()


# --- picking and naming ----------------------------------------------------------------------


PICK_POINTS = """() => { const v = window.playground.network;
    const sizes = window.playground.net.sizes; const out = [];
    for (let c = 0; c + 1 < sizes.length; c++) for (let j = 0; j < sizes[c + 1]; j++)
      for (let i = -1; i < sizes[c]; i++) out.push([c, i, j, v.pickPoint(c, i, j)]);
    return out; }"""


def test_every_weight_and_bias_can_be_picked_at_six_layers_of_eight(browser, server):
    page = new_page(browser, 1920, 900)
    open_page(page, server, LARGEST)
    assert page.evaluate("window.playground.network.width") >= 640
    sizes = page.evaluate("window.playground.net.sizes")
    assert sizes == [7, 8, 8, 8, 8, 8, 8, 3]
    layers = page.evaluate("window.playground.frame.layers.map("
                           "(l) => ({W: Array.from(l.W), b: Array.from(l.b)}))")
    points = page.evaluate(PICK_POINTS)
    picked = 0
    for layer, source, target, point in points:
        # a band at least 4 CSS px wide belongs to this curve alone
        assert point["clearance"] >= 2, (layer, source, target, point)
        hover(page, point)
        weights = layers[layer]
        expected = (weights["b"][target] if source == -1
                    else weights["W"][source * sizes[layer + 1] + target])
        assert named(tooltip(page), layer, source, target) == pytest.approx(expected, abs=0.006)
        picked += 1
    assert picked == sum(a * b + b for a, b in itertools.pairwise(sizes)) == 451
    assert page.errors == []
    page.context.close()


def test_on_a_narrow_screen_every_weight_still_has_a_point_of_its_own(browser, server):
    page = new_page(browser, 400, 900)
    open_page(page, server, LARGEST)
    wrong = page.evaluate(f"""() => {{ const v = window.playground.network;
        return ({PICK_POINTS})().filter(([c, i, j, p]) => {{ const hit = v.weightAt(p.x, p.y);
            return !(p.clearance > 0 && hit && hit.layer === c && hit.from === i
                     && hit.to === j); }}); }}""")
    assert wrong == []
    page.context.close()


def test_hovering_a_weight_or_a_bias_names_it_as_the_code_does(page, server):
    open_page(page, server)
    assert not page.locator("#weight-tooltip").is_visible()
    hover(page, pick_point(page, 1, 3, 1))
    assert page.locator("#weight-tooltip").is_visible()
    assert named(tooltip(page), 1, 3, 1) == pytest.approx(value(page, 1, 3, 1), abs=0.006)
    hover(page, pick_point(page, 2, -1, 0))
    assert named(tooltip(page), 2, -1, 0) == pytest.approx(value(page, 2, -1, 0), abs=0.006)
    # off the drawing, no tooltip
    x, y = canvas_origin(page)
    page.mouse.move(x - 20, y - 20)
    assert not page.locator("#weight-tooltip").is_visible()


# --- edits -------------------------------------------------------------------------------------


def test_a_bias_is_edited_by_a_click_and_the_server_takes_it(page, server):
    open_page(page, server)
    point = pick_point(page, 1, -1, 1)
    x, y = canvas_origin(page)
    page.mouse.click(x + point["x"], y + point["y"])
    editor = page.get_by_label("Bias", exact=True)
    editor.fill("1.5")
    editor.press("Enter")
    wait_for_frame(page, "frame.layers[1].b[1] === 1.5")  # the server's frame carries it
    hover(page, pick_point(page, 1, -1, 1))
    assert tooltip(page) == "model.layers[2].b[1] = 1.50"


def test_a_weight_is_chosen_and_edited_from_the_keyboard(page, server):
    open_page(page, server)
    canvas = page.locator("#network")
    assert canvas.get_attribute("tabindex") == "0"
    live = page.locator("#network-choice")
    assert live.get_attribute("aria-live") == "polite"
    canvas.focus()
    page.wait_for_function("() => document.getElementById('network-choice').textContent"
                           ".includes('model.layers[0].W[0, 0]')", timeout=WAIT_MS)
    # down: the next weight into the same unit, then that unit's bias; right: the next layer
    moves = [("ArrowDown", "model.layers[0].W[1, 0]"), ("ArrowDown", "model.layers[0].b[0]"),
             ("ArrowDown", "model.layers[0].W[0, 1]"), ("ArrowRight", "model.layers[2].W[3, 0]"),
             ("ArrowUp", "model.layers[2].W[2, 0]"), ("ArrowLeft", "model.layers[0].b[0]")]
    for key, name in moves:
        page.keyboard.press(key)
        assert name + " = " in live.inner_text(), (key, name, live.inner_text())
    assert page.evaluate("window.scrollY") == 0  # the arrows moved the choice, not the page
    page.keyboard.press("Enter")
    editor = page.get_by_label("Bias", exact=True)
    assert page.evaluate("document.activeElement.id") == "weight-value"
    editor.fill("-0.75")
    editor.press("Enter")
    wait_for_frame(page, "frame.layers[0].b[0] === -0.75")
    assert page.evaluate("document.activeElement.id") == "network"
    # Enter opens the editor again; Escape closes it and gives the focus back, nothing sent
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    assert page.get_by_label("Weight", exact=True).is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#weight-editor").is_visible()
    assert page.evaluate("document.activeElement.id") == "network"
    assert page.errors == []


def focused_label(page) -> str:
    return page.evaluate("document.activeElement.getAttribute('aria-label')")


def test_the_focus_stays_on_a_neuron_button_after_it_rebuilds(page, server):
    open_page(page, server, f"?hidden={HIDDEN.high - 2},{HIDDEN.low + 1}")
    high, low = HIDDEN.high, HIDDEN.low
    page.get_by_role("button", name="Add neuron to layer 1", exact=True).click()
    wait_for_frame(page, f"p.net.sizes[1] === {high - 1}")
    assert focused_label(page) == "Add neuron to layer 1"
    page.keyboard.press("Enter")  # the keyboard goes on from there
    wait_for_frame(page, f"p.net.sizes[1] === {high}")
    # "+" is disabled at the largest size: the focus goes to its neighbour
    assert focused_label(page) == "Remove neuron from layer 1"
    page.get_by_role("button", name="Remove neuron from layer 2", exact=True).click()
    wait_for_frame(page, f"p.net.sizes[2] === {low}")
    assert focused_label(page) == "Add neuron to layer 2"
    assert page.evaluate("window.scrollY") == 0
    assert page.errors == []


# --- access and speed ---------------------------------------------------------------------------


def test_the_drawing_is_an_image_with_a_label(page, server):
    open_page(page, server)
    image = page.get_by_role("img", name=re.compile("^The network: 2 inputs"))
    assert image.count() == 1
    label = image.get_attribute("aria-label")
    assert "(x1, x2)" in label and "hidden layers of 4, 2 units" in label and "1 output" in label
    assert page.locator("#neuron-zoom").get_attribute("aria-hidden") == "true"


def test_frames_are_drawn_into_the_same_canvases(browser, server):
    page = new_page(browser, 1400, 900)
    page.add_init_script("""
        window.canvasesMade = 0;
        const make = Document.prototype.createElement;
        Document.prototype.createElement = function (tag, ...rest) {
            if (String(tag).toLowerCase() === 'canvas') window.canvasesMade += 1;
            return make.call(this, tag, ...rest);
        };""")
    open_page(page, server, "?hidden=8,8,8&dataset=spirals")
    made = page.evaluate("window.canvasesMade")
    assert made >= 8 + 8 + 8 + 3  # the network's maps, made once for this layout
    draws = page.evaluate("window.playground.network.draws")
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(f"() => window.playground.network.draws > {draws + 30} "
                           "&& window.playground.frame.epoch > 30", timeout=WAIT_MS)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    assert page.evaluate("window.canvasesMade") == made
    assert page.errors == []
    page.context.close()


# --- one point's arithmetic on the drawing -----------------------------------------------------


ARITHMETIC = {
    "point": 7, "x": [1.0, -2.0], "features": ["x1", "x2"], "inputs": [1.0, -2.0], "target": 1,
    "layers": [{"z": [0.5, -1.25, 2.0, 0.03125], "a": [0.25, -0.75, 0.5, 0.125]},
               {"z": [1.5, -0.5], "a": [0.875, -0.375]}, {"z": [0.625], "a": [0.625]}],
    "loss": 0.47,
    "grads": [{"W": [[0.0123, 0, 0, 0], [0, 0, 0, 0]], "b": [0, 0, 0, -0.25]},
              {"W": [[0, 0]] * 4, "b": [0, 0]}, {"W": [[0]] * 2, "b": [0]}],
}


def test_an_inspected_points_numbers_are_drawn_and_its_gradients_named(page, server):
    """The drawing of a frame that carries the plan's `arithmetic` (given here by hand)."""
    open_page(page, server)
    before = page.evaluate("document.getElementById('network').toDataURL()")
    page.evaluate("""(arithmetic) => { const p = window.playground;
        p.network.setFrame({layers: p.frame.layers, boundary: p.frame.boundary,
            neurons: p.frame.neurons, arithmetic});
        p.network.draw(); }""", ARITHMETIC)
    numbers = page.evaluate("window.playground.network.numbers")
    assert [n["text"] for n in numbers] == [
        "1.00", "-2.00",
        "z 0.50 a 0.25", "z -1.25 a -0.75", "z 2.00 a 0.50", "z 0.03 a 0.13",
        "z 1.50 a 0.88", "z -0.50 a -0.38", "z 0.63 a 0.63"]
    assert page.evaluate("document.getElementById('network').toDataURL()") != before
    # the point lies in the lower half of every map: the numbers go above it, the ring shows
    assert {n["band"] for n in numbers} == {"top"}
    page.evaluate("""(arithmetic) => { const p = window.playground;
        p.network.setFrame({layers: p.frame.layers, boundary: p.frame.boundary,
            neurons: p.frame.neurons, arithmetic: {...arithmetic, x: [1.0, 2.0]}});
        p.network.draw(); }""", ARITHMETIC)
    assert {n["band"] for n in page.evaluate("window.playground.network.numbers")} == {"bottom"}
    hover(page, pick_point(page, 0, 0, 0))
    first, second = tooltip(page).split("\n")
    named(first, 0, 0, 0)
    assert second == "∂L/∂w = 0.0123"
    hover(page, pick_point(page, 0, -1, 3))
    assert tooltip(page).split("\n")[1] == "∂L/∂b = -0.250"


def test_a_clicked_points_numbers_are_drawn_on_the_network(page, server):
    open_page(page, server)
    # the first training point, clicked where the output map shows it
    x, y = page.evaluate("""() => { const p = window.playground.net;
        const c = document.getElementById('boundary').getBoundingClientRect();
        const [x0, x1, y0, y1] = p.domain;
        return [c.left + (p.points[0] - x0) / (x1 - x0) * c.width,
                c.top + (y1 - p.points[1]) / (y1 - y0) * c.height]; }""")
    page.mouse.click(x, y)
    wait_for_frame(page, "frame.arithmetic && frame.arithmetic.point === 0")
    page.wait_for_function("() => window.playground.network.numbers.length === 9",
                           timeout=WAIT_MS)
    arithmetic = page.evaluate("window.playground.frame.arithmetic")
    numbers = page.evaluate("window.playground.network.numbers")
    units = [n for n in numbers if n["column"] > 0]
    for n in units:
        layer = arithmetic["layers"][n["column"] - 1]
        z, a = (float(v) for v in re.fullmatch(r"z (\S+) a (\S+)", n["text"]).groups())
        assert z == pytest.approx(layer["z"][n["unit"]], abs=0.006)
        assert a == pytest.approx(layer["a"][n["unit"]], abs=0.006)
