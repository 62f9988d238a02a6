"""The playground page in a real browser: Playwright for Python driving Debian's headless
Chromium (Playwright cannot download its own browser here), against `scratchnn playground`
started as a user starts it. Skipped, loudly, only where no Chromium is installed."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np
import pytest
from _playground_browser import WAIT_MS, new_page, open_page, require_browser, wait_for_frame

require_browser()

# A browser and a training server at once: they get the machine to themselves (`make test`
# runs serial tests after the others, one at a time), so no wait comes near its bound.
pytestmark = pytest.mark.serial

from _playground_links import link_query, link_values  # noqa: E402

import scratchnn as snn  # noqa: E402
from scratchnn import cli  # noqa: E402
from scratchnn import datasets as ds  # noqa: E402
from scratchnn.playground.session import GRID  # noqa: E402
from scratchnn.playground.settings import SCHEMA  # noqa: E402


@pytest.fixture()
def page(browser, server):
    page = new_page(browser, accept_downloads=True)
    yield page
    page.context.close()


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
    assert "features=x1,x2,x1*x2" in url and "hidden=4,2,2" in url  # commas as people write them
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

    # the curve from input 0 to neuron 0 of layer 1, where it runs clear of the others
    point = page.evaluate("window.playground.network.pickPoint(0, 0, 0)")
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
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


# --- links: every link loads -------------------------------------------------------------------

BAD_LINKS = {  # a bad link -> the parameter its notice names
    "?hidden=0": "hidden",
    "?dataset=nonsense": "dataset",
    "?seed=-3": "seed",
    "?lr=abc": "lr",
    "?problem=regression&dataset=circles": "dataset",
    "?lr=0.5": "lr",
    "?noise=0.8": "noise",
}


def written_link(page) -> dict:
    """The page's URL as {parameter: value}."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query, keep_blank_values=True).items()}


def as_link_text(value) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@pytest.mark.parametrize("query", BAD_LINKS)
def test_a_bad_link_draws_a_network_with_a_notice_and_the_url_rewritten(page, server, query):
    open_page(page, server, query)
    name = BAD_LINKS[query]
    bad = parse_qs(urlsplit(query).query, keep_blank_values=True)[name][-1]
    notices = page.evaluate("window.playground.notices")
    assert len(notices) == 1, notices
    assert notices[0].startswith(f"{name}=") and len(notices[0]) <= 120, notices
    shown = page.locator("#notices")
    assert shown.get_attribute("role") == "status"
    assert shown.inner_text().strip() == notices[0]
    assert page.locator("#message").is_hidden()  # a notice, not an error
    # a network is drawn, and the URL now holds the settings shown (not the bad value)
    assert page.evaluate("window.playground.net.sizes.length") >= 2
    settings = page.evaluate("window.playground.settings")
    link = written_link(page)
    assert link[name] != bad
    for s in SCHEMA:
        assert link[s.name] == as_link_text(settings[s.name]), s.name
    # Play trains, and the page's own epoch moves
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => parseInt(document.getElementById('epoch').textContent) > 0",
                           timeout=WAIT_MS)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    assert page.errors == []


def test_a_good_link_shows_no_notice(page, server):
    open_page(page, server, "?dataset=xor&lr=0.1")
    assert page.evaluate("window.playground.notices") == []
    assert page.locator("#notices").inner_text().strip() == ""


# --- live settings, speed, the epoch history -----------------------------------------------------

def step_to(page, epoch: int) -> None:
    for e in range(page.evaluate("window.playground.frame.epoch") + 1, epoch + 1):
        page.get_by_role("button", name="Step", exact=True).click()
        wait_for_frame(page, f"frame.epoch === {e}")


def test_a_live_learning_rate_change_keeps_the_epoch_and_the_curve(page, server):
    open_page(page, server)
    live = {s.name for s in SCHEMA if getattr(s, "live", False)}
    assert "lr" in live
    step_to(page, 3)
    version = page.evaluate("window.playground.net.version")
    page.get_by_label("Learning rate", exact=True).select_option("0.1")
    page.wait_for_function("() => window.playground.settings.lr === 0.1", timeout=WAIT_MS)
    assert written_link(page)["lr"] == "0.1"
    # the same network, at the same epoch, with its loss history
    assert page.evaluate("window.playground.net.version") == version
    assert page.evaluate("window.playground.frame.epoch") == 3
    assert page.locator("#epoch").inner_text() == "3"
    assert [h["epoch"] for h in page.evaluate("window.playground.history")][-1] == 3
    step_to(page, 4)  # training goes on from there
    assert page.evaluate("window.playground.net.version") == version
    assert 3 in [h["epoch"] for h in page.evaluate("window.playground.history")]
    # a setting that is not live rebuilds the network at epoch 0
    page.get_by_label("Activation", exact=True).select_option("relu")
    wait_for_frame(page, f"p.net.version !== {version} && frame.epoch === 0")
    assert page.errors == []


def test_the_speed_slider_slows_training_to_one_epoch_per_frame(page, server):
    open_page(page, server)
    speed = page.get_by_role("slider", name="Speed", exact=True)
    speed.focus()
    page.keyboard.press("Home")  # the slowest: 1 epoch/s
    assert page.locator("#speed-value").inner_text() == "1 epoch/s"
    page.wait_for_function("() => window.playground.speed === 1", timeout=WAIT_MS)  # acknowledged
    # every frame the page gets: at 1 epoch/s, each one epoch after the one before
    page.evaluate("""() => {
        window.seen = [];
        new MutationObserver(() => window.seen.push(
            Number(document.getElementById('epoch').textContent)))
          .observe(document.getElementById('epoch'), {childList: true, characterData: true,
                                                      subtree: true});
    }""")
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => window.playground.frame.epoch >= 3", timeout=WAIT_MS)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    seen = [e for e in page.evaluate("window.seen") if e > 0]
    seen = [e for i, e in enumerate(seen) if i == 0 or e != seen[i - 1]]  # one entry per epoch
    assert seen[:3] == [1, 2, 3], seen
    speed.focus()
    page.keyboard.press("End")  # as fast as the machine goes
    assert page.locator("#speed-value").inner_text() == "max"
    page.wait_for_function("() => window.playground.speed === null", timeout=WAIT_MS)
    assert page.errors == []


def test_the_epoch_history_slider_rewinds_to_a_snapshot(page, server):
    open_page(page, server)
    history = page.get_by_role("slider", name="Epoch history", exact=True)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => { const f = window.playground.frame; return f.snapshots "
                           "&& f.snapshots.length >= 2 && f.epoch > f.snapshots[1]; }",
                           timeout=WAIT_MS)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    snapshots = page.evaluate("window.playground.frame.snapshots")
    assert snapshots == sorted(snapshots)
    assert history.is_enabled()
    assert int(history.get_attribute("max")) == len(snapshots) - 1
    history.focus()
    page.keyboard.press("Home")  # the oldest snapshot
    target = snapshots[0]
    page.wait_for_function(f"() => window.playground.frame.epoch === {target} "
                           "&& !window.playground.playing", timeout=WAIT_MS)
    assert page.locator("#epoch").inner_text() == str(target)
    assert page.locator("#epoch-history-value").inner_text() == f"epoch {target}"
    # the loss curve goes back with it, and training resumes from there
    assert max(h["epoch"] for h in page.evaluate("window.playground.history")) == target
    page.get_by_role("button", name="Step", exact=True).click()
    wait_for_frame(page, f"frame.epoch === {target + 1}")
    assert page.errors == []


def test_play_and_step_are_disabled_while_diverged_until_reset(page, server):
    open_page(page, server, "?dataset=plane&problem=regression&activation=linear&lr=10"
                            "&hidden=8,8&optimizer=momentum")
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => window.playground.diverged && !window.playground.playing",
                           timeout=WAIT_MS)
    assert page.get_by_role("button", name="Play", exact=True).is_disabled()
    assert page.get_by_role("button", name="Step", exact=True).is_disabled()
    page.get_by_role("button", name="Reset", exact=True).click()
    wait_for_frame(page, "frame.epoch === 0 && !p.diverged")
    assert page.get_by_role("button", name="Play", exact=True).is_enabled()
    assert page.get_by_role("button", name="Step", exact=True).is_enabled()


def test_compare_pins_the_run_and_restarts(page, server):
    open_page(page, server)
    step_to(page, 2)
    button = page.get_by_role("button", name="Compare", exact=True)
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    wait_for_frame(page, "p.pinned && frame.epoch === 0")
    assert button.get_attribute("aria-pressed") == "true"
    assert page.evaluate("window.playground.pinned.epoch") == 2
    button.click()
    page.wait_for_function("() => window.playground.pinned === null", timeout=WAIT_MS)
    assert button.get_attribute("aria-pressed") == "false"


def test_frames_drawn_are_counted(page, server):
    open_page(page, server)
    before = page.evaluate("window.playground.framesDrawn")
    assert before >= 1
    step_to(page, 2)
    page.wait_for_function(f"() => window.playground.framesDrawn >= {before + 2}",
                           timeout=WAIT_MS)
    assert page.evaluate("window.playground.fps") > 0


# --- step arithmetic ---------------------------------------------------------------------------

def click_point(page, i: int) -> None:
    """Click data point i on #boundary, where the page draws it."""
    x, y = page.evaluate(f"""() => {{
        const p = window.playground.net, c = document.getElementById('boundary');
        const r = c.getBoundingClientRect(), [x0, x1, y0, y1] = p.domain;
        return [r.left + (p.points[{2 * i}] - x0) / (x1 - x0) * r.width,
                r.top + (y1 - p.points[{2 * i + 1}]) / (y1 - y0) * r.height]; }}""")
    page.mouse.click(x, y)


def test_clicking_a_point_shows_its_arithmetic_and_after_a_step_its_gradients(page, server):
    open_page(page, server, "?dataset=xor&hidden=3")
    panel = page.locator("#arithmetic")
    assert panel.is_hidden()
    click_point(page, 5)
    page.wait_for_function("() => window.playground.arithmetic "
                           "&& window.playground.arithmetic.point === 5", timeout=WAIT_MS)
    assert page.evaluate("window.playground.selected") == 5
    text = panel.inner_text()
    for words in ("Inputs", "x1 =", "x2 =", "Layer 1: z = a·W + b", "Layer 1: a = tanh(z)",
                  "Output: a = sigmoid(z)", "Loss"):
        assert words in text, words
    a = page.evaluate("window.playground.arithmetic")
    assert len(a["layers"]) == 2 and len(a["layers"][0]["z"]) == 3
    shown = dict(zip(*[page.locator(f"#arithmetic-list {tag}").all_inner_texts()
                       for tag in ("dt", "dd")]))
    assert float(shown["Loss"]) == pytest.approx(a["loss"], rel=1e-2, abs=5e-4)
    assert shown["Layer 1: z = a·W + b"] == "[" + ", ".join(
        f"{v:.3f}" if 1e-3 <= abs(v) < 1e5 else "0" if v == 0 else f"{v:.2e}".replace(
            "e-0", "e-").replace("e+0", "e+") for v in a["layers"][0]["z"]) + "]"
    page.get_by_role("button", name="Step", exact=True).click()
    wait_for_frame(page, "frame.epoch === 1 && frame.arithmetic && frame.arithmetic.grads")
    assert "Layer 1: ∂L/∂W" in panel.inner_text()
    # the ring: the map around the point differs from the map with nothing selected
    ringed = page.locator("#boundary").screenshot()
    box = page.locator("#boundary").bounding_box()
    page.mouse.click(box["x"] + 1, box["y"] + 1)  # far from every point (a corner)
    page.wait_for_function("() => window.playground.selected === null "
                           "&& !window.playground.arithmetic", timeout=WAIT_MS)
    assert panel.is_hidden()
    assert page.locator("#boundary").screenshot() != ringed
    assert page.errors == []


# --- the frame decoder -------------------------------------------------------------------------

def binary_frame(header: dict, arrays: list[tuple[str, np.ndarray]]) -> bytes:
    """A frame as the plan lays it out: uint32 header length, JSON header, arrays at multiples
    of 4 from the start."""
    import json
    import struct

    header = {**header, "arrays": [{"name": n, "dtype": "u8" if a.dtype == np.uint8 else "f4",
                                    "length": int(a.size)} for n, a in arrays]}
    text = json.dumps(header).encode()
    out = bytearray(struct.pack("<I", len(text)) + text)
    for _, a in arrays:
        out += b"\0" * (-len(out) % 4)
        out += a.tobytes()
    return bytes(out)


def test_the_frame_decoder_reads_the_header_and_the_arrays_in_place(page, server):
    open_page(page, server)
    rng = np.random.default_rng(0)
    weights = rng.normal(size=17).astype("<f4")
    boundary = rng.integers(0, 256, size=7, dtype=np.uint8)  # odd lengths: padding between
    neurons = rng.integers(0, 256, size=5, dtype=np.uint8)
    data = binary_frame({"type": "frame", "epoch": 12, "diverged": None, "snapshots": [0, 10]},
                        [("weights", weights), ("boundary", boundary), ("neurons", neurons)])
    decoded = page.evaluate("""async (bytes) => {
        const { decodeFrame, fromU8, toU8 } = await import('/static/frames.js');
        const f = decodeFrame(new Uint8Array(bytes).buffer);
        return { epoch: f.epoch, diverged: f.diverged, snapshots: f.snapshots,
                 arrays: 'arrays' in f, types: [f.weights, f.boundary, f.neurons].map(
                   (a) => a.constructor.name),
                 weights: Array.from(f.weights), boundary: Array.from(f.boundary),
                 neurons: Array.from(f.neurons), ends: [fromU8(0), fromU8(255), toU8(0.5)] };
    }""", list(data))
    assert decoded["epoch"] == 12 and decoded["diverged"] is None
    assert decoded["snapshots"] == [0, 10] and not decoded["arrays"]
    assert decoded["types"] == ["Float32Array", "Uint8Array", "Uint8Array"]
    np.testing.assert_array_equal(np.array(decoded["weights"], dtype=np.float32), weights)
    assert decoded["boundary"] == boundary.tolist() and decoded["neurons"] == neurons.tolist()
    assert decoded["ends"] == [-1, 1, 191]


# --- layout and access ---------------------------------------------------------------------------

KEY_CONTROLS = [("button", "Play"), ("button", "Step"), ("button", "Reset"),
                ("slider", "Speed"), ("slider", "Epoch history"), ("button", "Compare"),
                ("button", "Add layer"), ("button", "Regenerate"), ("combobox", "Dataset"),
                ("button", "Copy code"), ("button", "Download model")]

OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    for (const e of document.querySelectorAll('body *')) {
        const r = e.getBoundingClientRect();
        if (!r.width || !r.height || !e.checkVisibility()) continue;
        let scrolls = false;  // what a scrolling box (the code) holds is that box's business
        for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible') { scrolls = true; break; }
        }
        if (!scrolls && (r.right > width + 0.5 || r.left < -0.5)) {
            out.push(`${e.tagName}#${e.id}.${e.className} ${r.left}..${r.right}`);
        }
    }
    return { out, scroll: document.documentElement.scrollWidth, width };
}"""

UNCOVERED = """(e) => {
    const r = e.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !!hit && (hit === e || e.contains(hit));
}"""


@pytest.mark.parametrize("width, columns", [(400, 1), (800, 2), (1920, 4)])
def test_the_layout_fits_the_screen_with_every_control_uncovered(browser, server, width, columns):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        open_page(page, server, "?lr=abc")  # with a notice showing
        step_to(page, 1)  # the doctor shows what it found
        fit = page.evaluate(OVERFLOW)
        assert fit["out"] == [] and fit["scroll"] <= fit["width"], fit
        for role, name in KEY_CONTROLS:
            control = page.get_by_role(role, name=name, exact=True)
            control.scroll_into_view_if_needed()
            assert control.is_visible(), name
            assert control.evaluate(UNCOVERED), f"{name} is covered at {width} px"
        for selector in ("#boundary", "#network", "#loss-chart"):
            page.locator(selector).scroll_into_view_if_needed()
            assert page.locator(selector).evaluate(UNCOVERED), f"{selector} at {width} px"
        boxes = [page.locator(f".column.{name}").bounding_box()
                 for name in ("data", "features", "network", "output")]
        assert len({round(b["x"]) for b in boxes}) == columns, boxes
        code = page.locator(".code-panel").bounding_box()
        if width <= 800:  # the code panel takes the page's width
            assert code["width"] >= width - 60, code
    finally:
        context.close()


CONTRAST = """() => {
    const parse = (c) => {
        const m = c.match(/^rgba?\\(([^)]*)\\)$/);
        if (!m) return null;
        const v = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
        return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
    };
    const linear = (c) => {
        c /= 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    const luminance = ([r, g, b]) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3]));
    const background = (e) => {  // every background from the page down, composited
        const chain = [];
        for (let p = e; p; p = p.parentElement) chain.unshift(p);
        let colour = [255, 255, 255];
        for (const p of chain) {
            const c = parse(getComputedStyle(p).backgroundColor);
            if (c && c[3] > 0) colour = over(c, colour);
        }
        return colour;
    };
    const out = [];
    let checked = 0;
    for (const e of document.querySelectorAll('body *')) {
        if (['OPTION', 'SCRIPT', 'STYLE', 'CANVAS'].includes(e.tagName)) continue;
        const text = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())
            || e.tagName === 'SELECT' || (e.tagName === 'INPUT' && e.type === 'number');
        const seen = e.checkVisibility({ opacityProperty: true, visibilityProperty: true });
        if (!text || !seen) continue;
        if (e.closest(':disabled')) continue;  // WCAG exempts disabled controls
        const style = getComputedStyle(e);
        const fg = parse(style.color);
        const bg = background(e);
        if (!fg) { out.push(`${e.tagName}#${e.id}: colour ${style.color}`); continue; }
        const [a, b] = [luminance(over(fg, bg)), luminance(bg)];
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        const size = parseFloat(style.fontSize);
        const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
        checked += 1;
        if (ratio < (large ? 3 : 4.5)) {
            out.push(`${e.tagName}#${e.id}.${e.className} '${e.textContent.trim().slice(0, 30)}' `
                     + `${style.color} on rgb(${bg.map(Math.round)}): ${ratio.toFixed(2)}`);
        }
    }
    return { out, checked };
}"""


def test_every_visible_text_meets_wcag_aa_contrast(page, server):
    open_page(page, server, "?lr=abc&dataset=xor")  # a notice showing
    step_to(page, 1)
    click_point(page, 0)  # the arithmetic panel showing
    page.wait_for_function("() => window.playground.arithmetic", timeout=WAIT_MS)
    result = page.evaluate(CONTRAST)
    assert result["checked"] > 40, result
    assert result["out"] == [], "\n".join(result["out"])


def test_every_control_is_reached_by_the_keyboard_with_a_visible_focus(page, server):
    open_page(page, server)
    controls = page.evaluate("""() => [...document.querySelectorAll(
        'button, input, select, [tabindex]:not([tabindex="-1"])')]
        .filter((e) => !e.disabled && e.checkVisibility())
        .map((e) => e.id || e.getAttribute('aria-label'))""")
    reached, rings = set(), []
    for _ in range(len(controls) + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const e = document.activeElement;
            const s = getComputedStyle(e);
            return [e.id || e.getAttribute('aria-label'), s.outlineStyle !== 'none'
                    && parseFloat(s.outlineWidth) >= 2]; }""")
        reached.add(focused[0])
        rings.append(focused)
    assert set(controls) <= reached, set(controls) - reached
    assert all(ring for name, ring in rings if name in controls), rings
