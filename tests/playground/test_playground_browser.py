"""The playground page in a real browser: Playwright for Python driving Debian's headless
Chromium (Playwright cannot download its own browser here), against `scratchnn playground`
started as a user starts it. Skipped, loudly, only where no Chromium is installed."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
from contextlib import redirect_stdout
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np
import pytest

CHROMIUM = os.environ.get("SCRATCHNN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WAIT_MS = 120_000  # an upper bound for a state to be reached, never a sleep

if not os.path.exists(CHROMIUM):
    pytest.skip("BROWSER TESTS SKIPPED: no Chromium at /usr/bin/chromium. Install Debian's "
                "chromium (as root: apt-get update && apt-get install -y chromium; 'make test' "
                "does it) to run the playground's end-to-end tests", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="BROWSER TESTS SKIPPED: "
                               "playwright is not installed (pip install -e '.[dev]')")
pytest.importorskip("starlette", reason="the playground extra is not installed")

# A browser and a training server at once: they get the machine to themselves (`make test`
# runs serial tests after the others, one at a time), so no wait comes near its bound.
pytestmark = pytest.mark.serial

from _playground_links import link_query, link_values  # noqa: E402

import scratchnn as snn  # noqa: E402
from scratchnn import cli  # noqa: E402
from scratchnn import datasets as ds  # noqa: E402
from scratchnn.playground.session import GRID  # noqa: E402
from scratchnn.playground.settings import SCHEMA  # noqa: E402


@pytest.fixture(scope="module")
def server():
    """`scratchnn playground --port 0 --no-browser`; yields its URL once it says it is ready."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scratchnn", "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = process.stdout.readline()
    assert "http://" in line, line
    yield line.split()[2]
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, server):
    # The page's Content-Security-Policy forbids eval, which Playwright's wait_for_function
    # uses; the test context lifts it (the page itself never needs it).
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True,
                                  accept_downloads=True)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def open_page(page, server, query: str = "") -> None:
    page.goto(server + query)
    wait_for_frame(page, "frame.epoch === 0")


def wait_for_frame(page, condition: str) -> None:
    """Wait until the newest frame of the current network satisfies ``condition``."""
    page.wait_for_function(
        f"() => {{ const p = window.playground; const frame = p && p.frame; "
        f"return !!(frame && p.net && frame.version === p.net.version && ({condition})); }}",
        timeout=WAIT_MS)


def sizes(page) -> list[int]:
    return page.evaluate("window.playground.net.sizes")


def test_the_page_loads_with_no_console_errors_and_names_every_control(page, server):
    open_page(page, server)
    for name in ("Play", "Step", "Reset", "Regenerate", "Add layer", "Remove layer",
                 "Download model"):
        assert page.get_by_role("button", name=name, exact=True).count() == 1, name
    for label in ("Dataset", "Noise", "Ratio of training data", "Batch size", "Learning rate",
                  "Activation", "Optimizer", "Regularization", "Regularization rate",
                  "Problem type", "x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"):
        assert page.get_by_label(label, exact=True).count() == 1, label
    for feature in ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"):
        assert page.get_by_role("checkbox", name=feature, exact=True).count() == 1, feature
    assert page.locator("canvas#boundary").count() == 1
    for readout in ("epoch", "train-loss", "test-loss"):
        float(page.locator(f"#{readout}").inner_text())  # plain numbers
    page.keyboard.press("Space")  # the space bar plays...
    wait_for_frame(page, "frame.epoch > 0")
    page.keyboard.press("Space")  # ...and pauses
    page.get_by_role("button", name="Play", exact=True).wait_for()
    assert page.errors == []


def test_play_trains_circles_on_the_squares_to_a_small_test_loss(page, server):
    open_page(page, server)
    page.get_by_label("Dataset", exact=True).select_option("circles")
    page.get_by_role("checkbox", name="x1^2", exact=True).check()
    page.get_by_role("checkbox", name="x2^2", exact=True).check()
    page.get_by_role("checkbox", name="x1", exact=True).uncheck()
    page.get_by_role("checkbox", name="x2", exact=True).uncheck()
    wait_for_frame(page, "JSON.stringify(p.net.features) === '[\"x1^2\",\"x2^2\"]'")
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => parseFloat(document.getElementById('test-loss').textContent) "
                           "< 0.05 && parseInt(document.getElementById('epoch').textContent) > 0",
                           timeout=WAIT_MS)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    assert float(page.locator("#test-loss").inner_text()) < 0.05
    # the code panel counts the same epochs as the page (frames may still land after Pause)
    page.wait_for_function("() => document.getElementById('code').textContent.includes("
                           "'epochs = ' + document.getElementById('epoch').textContent + '  #')",
                           timeout=WAIT_MS)
    assert page.errors == []


def test_adding_layers_and_neurons_changes_the_network_drawn(page, server):
    open_page(page, server)
    before = page.locator("#network").screenshot()
    assert sizes(page) == [2, 4, 2, 1]
    page.get_by_role("button", name="Add layer", exact=True).click()
    wait_for_frame(page, "p.net.sizes.length === 5")
    assert sizes(page) == [2, 4, 2, 2, 1]
    page.get_by_role("button", name="Add neuron to layer 1", exact=True).click()
    wait_for_frame(page, "p.net.sizes[1] === 5")
    assert sizes(page) == [2, 5, 2, 2, 1]
    assert page.get_by_role("button", name="Add neuron to layer 3", exact=True).count() == 1
    assert page.locator("#n-layers").inner_text() == "3"
    after = page.locator("#network").screenshot()
    assert after != before
    page.get_by_role("button", name="Remove neuron from layer 2", exact=True).click()
    wait_for_frame(page, "p.net.sizes[2] === 1")
    page.get_by_role("button", name="Remove layer", exact=True).click()
    wait_for_frame(page, "p.net.sizes.length === 4")
    assert sizes(page) == [2, 5, 1, 1]
    assert parse_qs(urlsplit(page.url).query)["hidden"] == ["5,1"]


def test_a_url_reload_restores_the_same_state(page, server):
    open_page(page, server)
    page.get_by_label("Dataset", exact=True).select_option("xor")
    page.get_by_label("Learning rate", exact=True).select_option("0.1")
    page.get_by_label("Activation", exact=True).select_option("relu")
    page.get_by_label("Optimizer", exact=True).select_option("adam")
    page.get_by_label("Regularization", exact=True).select_option("L2")
    page.get_by_label("Regularization rate", exact=True).select_option("0.003")
    page.get_by_role("checkbox", name="x1*x2", exact=True).check()
    page.get_by_role("button", name="Add layer", exact=True).click()
    page.get_by_role("checkbox", name="Show test data").check()
    wait_for_frame(page, "p.net.sizes.length === 5 && p.net.sizes[0] === 3")
    settings = page.evaluate("window.playground.settings")
    weights = page.evaluate("Array.from(window.playground.frame.weights)")  # initial weights
    url = page.url
    page.goto(url)  # a shared link, opened afresh
    wait_for_frame(page, "frame.epoch === 0 && p.net.sizes.length === 5")
    assert page.evaluate("window.playground.settings") == settings
    assert page.evaluate("Array.from(window.playground.frame.weights)") == weights  # same start
    assert page.get_by_label("Dataset", exact=True).input_value() == "xor"
    assert page.get_by_label("Activation", exact=True).input_value() == "relu"
    assert page.get_by_role("checkbox", name="Show test data").is_checked()
    assert page.get_by_role("checkbox", name="x1*x2", exact=True).is_checked()
    assert page.url == url


def test_the_downloaded_model_predicts_what_the_page_draws(page, server, tmp_path):
    open_page(page, server, "?dataset=moons&features=x1,x2,x1*x2&hidden=5,3&seed=4")
    for epoch in (1, 2, 3):
        page.get_by_role("button", name="Step", exact=True).click()
        wait_for_frame(page, f"frame.epoch === {epoch}")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download model", exact=True).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    drawn = np.array(page.evaluate("Array.from(window.playground.frame.boundary)"))
    weights = np.array(page.evaluate("Array.from(window.playground.frame.weights)"))
    domain = page.evaluate("window.playground.net.domain")

    model = snn.load(path)
    # the page's weights are the model's, to the last float32 bit
    np.testing.assert_array_equal(weights, np.concatenate(
        [np.concatenate([d.W.ravel(), d.b]) for d in model.dense_layers]).astype(np.float32))
    x1 = np.linspace(domain[0], domain[1], GRID)
    x2 = np.linspace(domain[3], domain[2], GRID)
    points = np.column_stack([g.ravel() for g in np.meshgrid(x1, x2)])
    logits = model.forward(ds.FeatureLift(["x1", "x2", "x1*x2"]).transform(points))[:, 0]
    p = 1 / (1 + np.exp(-logits))
    # the map is drawn from bytes: q stands for 2p - 1 = q / 127.5 - 1 (half a step of rounding,
    # computed in float32 on the server: at most one step apart)
    assert np.abs(to_u8(2 * p - 1) - drawn).max() <= 1
    assert np.mean(to_u8(2 * p - 1) == drawn) > 0.99

    csv_path = tmp_path / "grid.csv"
    csv_path.write_text("x1,x2\n" + "\n".join(f"{a!r},{b!r}" for a, b in points[::41].tolist()))
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["predict", str(path), str(csv_path)]) == 0
    predicted = np.array([int(v) for v in out.getvalue().split()[1:]])
    assert predicted.tolist() == (p[::41] > 0.5).astype(int).tolist()
    sure = np.abs(drawn[::41] - 127.5) > 1  # the page's colour sides with the prediction
    assert ((drawn[::41] > 127.5) == predicted.astype(bool))[sure].all()


def to_u8(values) -> np.ndarray:
    """A value in [-1, 1] as the byte a frame's map holds (the page draws q / 127.5 - 1)."""
    return np.round((np.clip(values, -1, 1) + 1) * 127.5)


def test_a_bad_upload_shows_its_message_and_the_page_goes_on(page, server):
    open_page(page, server)
    page.get_by_label("Upload CSV", exact=True).set_input_files(files=[{
        "name": "bad.csv", "mimeType": "text/csv",
        "buffer": b"x1,x2,label\n0.5,oops,0\n0.1,0.2,1\n"}])
    message = page.get_by_role("alert")
    message.wait_for(state="visible")
    assert "bad.csv line 2 (data row 1), column 'x2': 'oops' is not a number" in (
        message.inner_text())
    page.get_by_role("button", name="Step", exact=True).click()
    wait_for_frame(page, "frame.epoch === 1")


def test_a_good_upload_with_three_classes_is_drawn(page, server):
    open_page(page, server)
    X, y = ds.spirals(n_samples=120, random_state=0)
    text = "a,b,label\n" + "\n".join(f"{p:.4f},{q:.4f},{k}" for (p, q), k in zip(X, y))
    page.get_by_label("Upload CSV", exact=True).set_input_files(files=[{
        "name": "arms.csv", "mimeType": "text/csv", "buffer": text.encode()}])
    wait_for_frame(page, "p.net.upload === 'arms.csv'")
    assert sizes(page)[-1] == 3
    assert page.get_by_label("Dataset", exact=True).input_value() == "upload"


def test_hover_enlarges_a_neuron_and_a_click_edits_a_weight(page, server):
    open_page(page, server)
    canvas = page.locator("#network")
    box = canvas.bounding_box()
    scale = box["width"] / page.evaluate("document.getElementById('network').width")
    node = page.evaluate("window.playground.nodes[1][0]")
    page.mouse.move(box["x"] + node["x"] * scale, box["y"] + node["y"] * scale)
    assert page.locator("#neuron-zoom").is_visible()
    page.mouse.move(box["x"] + 1, box["y"] + box["height"] - 1)
    assert not page.locator("#neuron-zoom").is_visible()

    # the middle of the curve from input 0 to neuron 0 of layer 1 (a straight run there)
    a, b = page.evaluate("[window.playground.nodes[0][0], window.playground.nodes[1][0]]")
    x, y = ((a["x"] + a["box"] / 2) + (b["x"] - b["box"] / 2)) / 2, (a["y"] + b["y"]) / 2
    page.mouse.click(box["x"] + x * scale, box["y"] + y * scale)
    editor = page.get_by_label("Weight", exact=True)
    editor.fill("2.5")
    editor.press("Enter")
    wait_for_frame(page, "frame.layers[0].W[0] === 2.5")


def test_closing_a_tab_while_it_trains_leaves_the_server_well(browser, server):
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(server + "?hidden=8,8,8")
    page.wait_for_function("() => window.playground && window.playground.frame")
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => window.playground.frame.epoch > 10", timeout=WAIT_MS)
    context.close()  # mid-training; the server's log must stay free of tracebacks (see server)
    other = browser.new_context(bypass_csp=True).new_page()
    other.goto(server)
    other.wait_for_function("() => window.playground && window.playground.frame")
    other.context.close()


def controls(page) -> dict:
    """Every control the page built: a menu's options and value, a slider's range and value,
    a checkbox's state; by id."""
    return page.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('select, input[type=range], input[type=checkbox]')]
        .map((e) => [e.id, e.tagName === 'SELECT'
            ? {options: [...e.options].map((o) => [o.value, o.text]), value: e.value}
            : e.type === 'range' ? {min: e.min, max: e.max, step: e.step, value: e.value}
            : {checked: e.checked}]))""")


def test_the_controls_are_built_from_the_schema(page, server):
    open_page(page, server)
    built = controls(page)
    for s in SCHEMA:
        if not s.control:
            continue
        if s.control in ("select", "slider"):
            assert page.get_by_label(s.label, exact=True).count() == 1, s.label
        if s.control == "select":
            offered = [c for c in s.choices if c.problem in (None, "classification")]
            options = built[s.name]["options"]
            assert [text for _, text in options] == [c.label for c in offered], s.name
            if s.kind == "choice":
                assert [value for value, _ in options] == [c.value for c in offered]
                assert built[s.name]["value"] == s.default
            else:
                assert [float(value) for value, _ in options] == [c.value for c in offered]
                assert float(built[s.name]["value"]) == s.default
        elif s.control == "slider":
            scale = 100 if s.percent else 1
            low, high, step = (float(built[s.name][k]) for k in ("min", "max", "step"))
            assert (low, high, step) == pytest.approx(tuple(v * scale for v in s.slider))
            assert float(built[s.name]["value"]) == pytest.approx(s.default * scale)
        elif s.control == "checkboxes":
            for c in s.choices:
                assert page.get_by_role("checkbox", name=c.label, exact=True).count() == 1
                assert built[f"f-{c.value}"]["checked"] == (c.value in s.default), c.value
    # another problem type offers its own data sets
    page.get_by_label("Problem type", exact=True).select_option("regression")
    wait_for_frame(page, "p.net.problem === 'regression'")
    dataset = next(s for s in SCHEMA if s.name == "dataset")
    assert [value for value, _ in controls(page)["dataset"]["options"]] == [
        c.value for c in dataset.choices if c.problem == "regression"]
    assert page.errors == []


def test_a_link_built_from_the_schema_round_trips(page, server):
    values = link_values()
    query = link_query(values)
    open_page(page, server, "?" + urlencode(query))
    assert page.evaluate("window.playground.settings") == values
    written = parse_qs(urlsplit(page.url).query)
    assert {name: written[name] for name in query} == {k: [v] for k, v in query.items()}
    built = controls(page)
    for s in SCHEMA:
        if s.control == "select":
            shown = built[s.name]["value"]
            assert (float(shown) if s.kind == "number" else shown) == values[s.name], s.name
    assert page.get_by_role("checkbox", name="x1^2", exact=True).is_checked()
    assert sizes(page) == [len(values["features"]), *values["hidden"], 1]
    page.reload()  # the link the page wrote opens the same state
    wait_for_frame(page, "frame.epoch === 0")
    assert page.evaluate("window.playground.settings") == values
    assert page.errors == []
