"""The playground's output column in a real browser (Chromium, driven by Playwright): the
losses and scores, the loss chart (axes, log scale, breaks, marks, the pinned run), the
divergence banner, the confusion matrix, Compare and the doctor's advice as buttons.

The chart's logic is tested through the functions `static/output.js` exports, imported in the
page; the rest through the page as a user sees it."""

from __future__ import annotations

import base64
import json

import pytest
from _playground_browser import WAIT_MS, new_page, open_page, require_browser, wait_for_frame

require_browser()

DIVERGING = ("?dataset=plane&problem=regression&activation=linear&lr=10&hidden=8,8"
             "&optimizer=momentum")

pytestmark = pytest.mark.serial


def _text_messages(payload) -> dict | None:
    return json.loads(payload) if isinstance(payload, str) else None


@pytest.fixture()
def page(browser, server):
    """A page at 1400 x 1000 that records console errors and the JSON messages it sends
    (``page.sent``) and receives (``page.received``)."""
    page = new_page(browser)
    page.sent, page.received = [], []

    def watch(ws):
        page.ws = ws
        ws.on("framesent", lambda p: page.sent.append(_text_messages(p)))
        ws.on("framereceived", lambda p: page.received.append(_text_messages(p)))
    page.on("websocket", watch)
    yield page
    page.context.close()


def output(page, call: str):
    """Evaluate ``call`` with ``out`` bound to the page's own output.js module."""
    return page.evaluate(f"async () => {{ const out = await import('/static/output.js'); "
                         f"return {call}; }}")


def step(page, epochs: int) -> None:
    for epoch in range(1, epochs + 1):
        page.get_by_role("button", name="Step", exact=True).click()
        wait_for_frame(page, f"frame.epoch === {epoch}")


def is_message(payload, **fields) -> bool:
    """Whether a WebSocket payload is a JSON message with these fields."""
    message = _text_messages(payload)
    return bool(message) and all(message.get(k) == v for k, v in fields.items())


def network_message(page) -> dict:
    return next(m for m in page.received if m and m.get("type") == "network")


def require_frame_field(page, field: str) -> None:
    """The server's frames carry ``field``."""
    assert field in page.evaluate("window.playground.frame"), f"frames carry no {field!r}"


def column(page, canvas_id: str, x: float) -> list[int]:
    """The RGBA values of a canvas's pixel column at CSS ``x``, top to bottom."""
    return page.evaluate("""([id, x]) => {
        const canvas = document.getElementById(id);
        const r = canvas.width / canvas.clientWidth;
        return Array.from(canvas.getContext('2d').getImageData(Math.round(x * r), 0, 1,
                                                               canvas.height).data); }""",
                         [canvas_id, x])


def line_pixels(page, canvas_id: str, x: float, top: float, bottom: float) -> int:
    """How many pixels of a curve (darker than the grid lines) the column at CSS ``x`` of a
    canvas holds between CSS ``top`` and ``bottom``."""
    return page.evaluate("""([id, x, top, bottom]) => {
        const canvas = document.getElementById(id);
        const r = canvas.width / canvas.clientWidth;
        const y0 = Math.ceil(top * r) + 1, y1 = Math.floor(bottom * r) - 1;
        const data = canvas.getContext('2d').getImageData(Math.round(x * r), y0, 1, y1 - y0).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 128 && data[i] < 150) n++;
        return n; }""", [canvas_id, x, top, bottom])


# --- the chart's logic ---------------------------------------------------------------------------


def test_chart_ticks_are_round_and_a_log_axis_ticks_powers_of_ten(page, server):
    open_page(page, server)
    assert output(page, "out.niceTicks(0, 1.3, 4)") == [0, 0.5, 1]
    assert output(page, "out.niceTicks(0, 137, 5)") == [0, 50, 100]
    assert output(page, "out.niceTicks(0, 7, 4)") == [0, 2, 4, 6]
    assert output(page, "out.logTicks(0.01, 1)") == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]
    big = output(page, "out.logTicks(1, 1e20)")
    assert big[0] == 1 and big[-1] == 1e20 and 2 <= len(big) <= 6  # thinned, not 21 ticks
    assert output(page, "out.logTicks(0.3, 0.4)") == [0.3, 0.4]  # no power of ten inside
    assert output(page, "[0, 0.5, 20, 1e-4, 3e5].map(out.tickText)") == [
        "0", "0.5", "20", "1e-4", "3e5"]
    # a log axis starts at the smallest loss; a linear one at zero
    assert output(page, "out.chartRange([[{epoch: 0, train: 0.5, test: 0.2}, "
                        "{epoch: 9, train: 0.01, test: null}]], true)") == {
        "last": 9, "lo": 0.01, "hi": 0.5}
    linear = output(page, "out.chartRange([[{epoch: 0, train: 0.5, test: 0.2}]], false)")
    assert linear["lo"] == 0 and linear["hi"] >= 0.5


def test_a_null_loss_breaks_the_line_and_a_log_axis_skips_zero(page, server):
    open_page(page, server)
    points = ("[{epoch: 0, train: 1, test: 2}, {epoch: 1, train: 0.5, test: null}, "
              "{epoch: 2, train: null, test: null}, {epoch: 3, train: 0.25, test: 1}]")
    assert output(page, f"out.segments({points}, 'train')") == [[[0, 1], [1, 0.5]], [[3, 0.25]]]
    assert output(page, f"out.segments({points}, 'test')") == [[[0, 2]], [[3, 1]]]
    assert output(page, "out.segments([{epoch: 0, train: 1}, {epoch: 1, train: 0}, "
                        "{epoch: 2, train: 2}], 'train', true)") == [[[0, 1]], [[2, 2]]]


def curve_pixels(pixels: list[int]) -> int:
    """How many of these RGBA pixels belong to a curve: the training loss's blue or the test
    loss's near black (the axes are a lighter grey, #555, the grid lines lighter still)."""
    rgba = [pixels[i:i + 4] for i in range(0, len(pixels), 4)]
    return sum(1 for r, _, b, a in rgba if a > 128 and (r < 70 or b - r > 60))


def test_the_chart_draws_no_line_where_the_loss_is_null(page, server):
    """Drawn on a canvas of the test's own: where the loss is null the chart's columns hold
    no curve, not even down on the axis (where a line to zero would run); either side of the
    gap both curves are there."""
    open_page(page, server)
    page.evaluate("""() => { const c = document.createElement('canvas'); c.id = 'probe';
        c.style.width = '300px'; c.style.height = '150px'; document.body.append(c); }""")
    gap = ("Array.from({length: 101}, (_, e) => ({epoch: e, "
           "train: e >= 40 && e < 70 ? null : 1 - e / 200, "
           "test: e >= 40 && e < 70 ? null : 1.1 - e / 200}))")
    for log in ("false", "true"):
        drawn = output(page, f"out.drawLossChart(document.getElementById('probe'), "
                             f"{{history: {gap}, log: {log}}})")
        box = drawn["box"]
        for epoch, curves in ((45, 0), (55, 0), (65, 0), (20, 2), (85, 2)):
            x = box["left"] + epoch / drawn["last"] * (box["right"] - box["left"])
            found = curve_pixels(column(page, "probe", x))
            assert found >= curves if curves else found == 0, (epoch, log, found)
        assert drawn["log"] == (log == "true")


def test_marks_are_drawn_as_thin_vertical_lines(page, server):
    open_page(page, server)
    page.evaluate("""() => { const c = document.createElement('canvas'); c.id = 'probe';
        c.style.width = '300px'; c.style.height = '150px'; document.body.append(c); }""")
    history = "Array.from({length: 11}, (_, e) => ({epoch: e, train: 0.5, test: 0.5}))"
    drawn = output(page, f"out.drawLossChart(document.getElementById('probe'), {{history: "
                         f"{history}, marks: [{{epoch: 4, text: 'lr 0.1'}}]}})")
    box = drawn["box"]
    x = box["left"] + 4 / 10 * (box["right"] - box["left"])
    colour = page.evaluate("""([x, y]) => { const c = document.getElementById('probe');
        const r = c.width / c.clientWidth;
        return Array.from(c.getContext('2d').getImageData(Math.round(x * r), Math.round(y * r),
                                                           1, 1).data); }""",
                           [x, (box["top"] + box["bottom"]) / 3])
    assert colour[3] > 128 and colour[0] > colour[2] + 40  # the mark's brown, top to bottom
    line = line_pixels(page, "probe", x, box["top"], box["bottom"])
    assert line >= (box["bottom"] - box["top"]) * 0.8


# --- the chart on the page ------------------------------------------------------------------------


def test_the_chart_has_axes_and_a_log_scale_checkbox(page, server):
    open_page(page, server)
    step(page, 4)
    page.wait_for_function("() => window.playground.history.length === 5")
    assert [h["epoch"] for h in page.evaluate("window.playground.history")] == [0, 1, 2, 3, 4]
    chart = page.locator("canvas#loss-chart")
    assert "linear scale" in chart.get_attribute("aria-label")
    linear = chart.screenshot()
    log_scale = page.get_by_label("Log scale", exact=True)
    assert log_scale.get_attribute("id") == "log-scale"
    log_scale.check()
    page.wait_for_function("() => document.getElementById('loss-chart')"
                           ".getAttribute('aria-label').includes('log scale')")
    assert chart.screenshot() != linear
    log_scale.uncheck()
    page.wait_for_function("() => document.getElementById('loss-chart')"
                           ".getAttribute('aria-label').includes('linear scale')")
    assert page.errors == []


def test_the_readouts_hold_the_losses_as_numbers(page, server):
    open_page(page, server)
    step(page, 2)
    frame = page.evaluate("window.playground.frame")
    assert float(page.locator("#train-loss").inner_text()) == pytest.approx(
        frame["train_loss"], abs=6e-4)
    assert float(page.locator("#test-loss").inner_text()) == pytest.approx(
        frame["test_loss"], abs=6e-4)


def test_scores_read_per_cent_or_r2_and_a_null_loss_reads_diverged(page, server):
    """The readouts' formatting, from a frame header given to the module."""
    open_page(page, server)
    output(page, "out.showReadouts({train_loss: 0.25, test_loss: null, train_score: 0.875, "
                 "test_score: 0.5, score_name: 'accuracy', diverged: 'training diverged'})")
    assert page.locator("#train-accuracy").inner_text() == "87.5%"
    assert page.locator("#test-accuracy").inner_text() == "50.0%"
    assert page.locator("#score-caption").inner_text() == "Accuracy"
    assert page.locator("#train-loss").inner_text() == "0.250"
    assert page.locator("#test-loss").inner_text() == "diverged"
    output(page, "out.showReadouts({train_loss: 0.25, test_loss: 0.5, train_score: 0.9123, "
                 "test_score: -0.25, score_name: 'R²', diverged: null})")
    assert page.locator("#score-caption").inner_text() == "R²"
    assert page.locator("#train-accuracy").inner_text() == "0.912"
    assert page.locator("#test-accuracy").inner_text() == "-0.250"


def test_live_scores_beside_the_losses(page, server):
    open_page(page, server)
    require_frame_field(page, "train_score")
    step(page, 2)
    frame = page.evaluate("window.playground.frame")
    assert frame["score_name"] == "accuracy"
    assert page.locator("#score-caption").inner_text() == "Accuracy"
    assert page.locator("#train-accuracy").inner_text() == f"{frame['train_score'] * 100:.1f}%"
    assert page.locator("#test-accuracy").inner_text() == f"{frame['test_score'] * 100:.1f}%"
    page.get_by_label("Problem type", exact=True).select_option("regression")
    wait_for_frame(page, "p.net.problem === 'regression'")
    step(page, 1)
    frame = page.evaluate("window.playground.frame")
    assert frame["score_name"] == "R²"
    assert page.locator("#score-caption").inner_text() == "R²"
    assert float(page.locator("#test-accuracy").inner_text()) == pytest.approx(
        frame["test_score"], abs=6e-4)


# --- divergence -----------------------------------------------------------------------------------


def test_divergence_shows_a_banner_and_disables_play_and_step(page, server):
    open_page(page, server, DIVERGING)
    assert not page.locator("#divergence").is_visible()
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => window.playground.diverged", timeout=WAIT_MS)
    banner = page.locator("#divergence")
    assert banner.get_attribute("role") == "alert"
    assert banner.is_visible()
    text = page.evaluate("window.playground.frame.diverged")
    assert banner.inner_text() == text and "diverged" in text
    assert page.locator("#play").is_disabled() and page.locator("#step").is_disabled()
    frame = page.evaluate("window.playground.frame")
    for key in ("train_loss", "test_loss"):
        shown = page.locator(f"#{key.replace('_', '-')}").inner_text()
        assert shown == "diverged" if frame[key] is None else float(shown) > 1
    # the chart draws the epochs with a loss, and breaks its line at those without
    history = page.evaluate("window.playground.history")
    nulls = {h["epoch"] for h in history if h["train"] is None}
    drawn = {e for run in output(page, "out.segments(window.playground.history, 'train')")
             for e, _ in run}
    assert drawn == {h["epoch"] for h in history} - nulls
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_function("() => !window.playground.diverged && window.playground.frame "
                           "&& window.playground.frame.epoch === 0", timeout=WAIT_MS)
    assert not banner.is_visible()
    assert page.locator("#play").is_enabled() and page.locator("#step").is_enabled()
    assert page.errors == []


def test_a_live_change_is_marked_at_once_and_a_lower_rate_lifts_the_block(page, server):
    """The answer to a live change (a "settings" message) marks its epoch on the chart at
    once; after a divergence, a lower learning rate lets Play and Step go on, a higher one
    does not."""
    open_page(page, server)
    settings = page.evaluate("window.playground.settings")
    assert settings["lr"] == 0.03
    answer = "out.outputMessage({{type: 'settings', settings: {s}, changed: ['lr'], epoch: {e}}})"
    output(page, "out.showDivergence('training diverged (the loss became 1e+20 at epoch 7)')")
    assert page.locator("#divergence").is_visible() and page.locator("#play").is_disabled()
    output(page, answer.format(s=json.dumps({**settings, "lr": 0.1}), e=7))
    assert page.locator("#divergence").is_visible() and page.locator("#step").is_disabled()
    output(page, answer.format(s=json.dumps({**settings, "lr": 0.01}), e=7))
    assert not page.locator("#divergence").is_visible()
    assert page.locator("#play").is_enabled() and page.locator("#step").is_enabled()
    assert page.evaluate("window.playground.diverged") is None
    assert output(page, "out.outputState.marks") == [
        {"epoch": 7, "text": "lr 0.1"}, {"epoch": 7, "text": "lr 0.01"}]


# --- confusion matrix -----------------------------------------------------------------------------


def test_the_confusion_matrix_is_a_table_with_headers(page, server):
    open_page(page, server, "?dataset=spirals")
    output(page, "out.showConfusion([[5, 1, 0], [0, 4, 2], [1, 0, 6]], ['a', 'b', 'c'])")
    table = page.get_by_role("table", name="Confusion matrix", exact=False)
    assert table.get_attribute("id") == "confusion" and table.is_visible()
    assert page.locator("#confusion th[scope=col]").all_inner_texts() == ["a", "b", "c"]
    assert page.locator("#confusion th[scope=row]").all_inner_texts() == ["a", "b", "c"]
    rows = [page.locator("#confusion tbody tr").nth(i).locator("td").all_inner_texts()
            for i in range(3)]
    assert rows == [["5", "1", "0"], ["0", "4", "2"], ["1", "0", "6"]]
    assert page.get_by_role("rowheader", name="b").count() == 1
    assert page.get_by_role("columnheader", name="c").count() == 1
    output(page, "out.showConfusion([[5, 1], [0, 4]])")  # two classes: no matrix
    assert not page.locator("#confusion").is_visible()
    output(page, "out.showConfusion(null)")  # regression
    assert not page.locator("#confusion").is_visible()


def test_the_live_confusion_matrix_counts_the_test_split(page, server):
    open_page(page, server, "?dataset=spirals")
    require_frame_field(page, "confusion")
    step(page, 2)
    frame = page.evaluate("window.playground.frame")
    net = page.evaluate("({k: window.playground.net.k, classes: window.playground.net.classes, "
                        "n: window.playground.net.labels.length, "
                        "nTrain: window.playground.net.nTrain})")
    matrix = frame["confusion"]
    assert len(matrix) == net["k"] == 3
    assert sum(map(sum, matrix)) == net["n"] - net["nTrain"]
    assert page.locator("#confusion").is_visible()
    assert page.locator("#confusion th[scope=col]").all_inner_texts() == net["classes"]
    shown = [[int(v) for v in page.locator("#confusion tbody tr").nth(i).locator("td")
              .all_inner_texts()] for i in range(3)]
    assert shown == matrix
    open_page(page, server, "?dataset=circles")  # two classes: no table
    assert not page.locator("#confusion").is_visible()


# --- compare --------------------------------------------------------------------------------------


def fake_pinned(grid: int) -> dict:
    """A pinned run as the server sends it: the map's top half q = 0 (orange), bottom 255."""
    half = grid * grid // 2
    boundary = bytes([0] * half + [255] * (grid * grid - half))
    return {"label": "Adam, lr 0.01, no regularization", "settings": {}, "epoch": 40,
            "curve": [[e, 1 - e / 50, 1.1 - e / 50] for e in range(41)],
            "boundary": base64.b64encode(boundary).decode(), "train_loss": 0.2,
            "test_loss": 0.3, "train_score": 0.9, "test_score": 0.85,
            "score_name": "accuracy"}


def test_compare_pins_a_run_beside_the_output_and_names_both_runs(page, server):
    open_page(page, server)
    button = page.get_by_role("button", name="Compare", exact=True)
    assert button.get_attribute("aria-pressed") == "false"
    with page.ws.expect_event("framesent", lambda p: is_message(p, type="compare", on=True)):
        button.click()
    # the server's own answer first (its pinned run and its restarted network), so that it
    # cannot land after the pinned run made here and replace it
    wait_for_frame(page, "p.pinned && frame.epoch === 0")
    grid = page.evaluate("window.playground.net.grid")
    pinned = fake_pinned(grid)
    output(page, f"out.outputMessage({{type: 'compare', pinned: {json.dumps(pinned)}}})")
    assert button.get_attribute("aria-pressed") == "true"
    assert page.evaluate("window.playground.pinned.label") == pinned["label"]
    assert page.locator("#pinned").is_visible()
    assert page.locator("#pinned-label").inner_text() == pinned["label"]
    scores = page.locator("#pinned-scores").inner_text()
    assert "epoch 40" in scores and "test loss 0.300" in scores and "85.0%" in scores
    legend = page.locator("#loss-legend").inner_text()
    assert f"pinned: {pinned['label']}" in legend and "this run: SGD, lr 0.03" in legend
    top, bottom = page.evaluate("""() => { const c = document.getElementById('pinned-boundary');
        const ctx = c.getContext('2d');
        return [Array.from(ctx.getImageData(50, 10, 1, 1).data),
                Array.from(ctx.getImageData(50, 90, 1, 1).data)]; }""")
    assert top[0] > top[2] + 50 and bottom[2] > bottom[0] + 50  # orange above, blue below
    # the pinned curve, dashed, reaches epoch 40 while this run is at 0
    page.wait_for_function("() => document.getElementById('loss-chart')"
                           ".getAttribute('aria-label').includes('pinned run dashed')")
    pinned_box = page.locator("#pinned").bounding_box()
    boundary_box = page.locator("#boundary").bounding_box()
    assert pinned_box["x"] >= boundary_box["x"] + boundary_box["width"]  # beside it
    with page.ws.expect_event("framesent", lambda p: is_message(p, type="compare", on=False)):
        button.click()
    output(page, "out.outputMessage({type: 'compare', pinned: null})")
    assert button.get_attribute("aria-pressed") == "false"
    assert not page.locator("#pinned").is_visible()
    assert "pinned" not in page.locator("#loss-legend").inner_text()


def test_compare_with_the_server_restarts_and_keeps_the_old_curve(page, server):
    open_page(page, server)
    assert "pinned" in network_message(page)
    step(page, 3)
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_function("() => window.playground.pinned", timeout=WAIT_MS)
    wait_for_frame(page, "frame.epoch === 0")
    pinned = page.evaluate("window.playground.pinned")
    assert pinned["epoch"] == 3 and [row[0] for row in pinned["curve"]][-1] == 3
    assert page.get_by_role("button", name="Compare", exact=True).get_attribute(
        "aria-pressed") == "true"
    assert page.locator("#pinned").is_visible()
    assert page.locator("#pinned-label").inner_text() == pinned["label"]
    assert f"pinned: {pinned['label']}" in page.locator("#loss-legend").inner_text()
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_function("() => window.playground.pinned === null", timeout=WAIT_MS)
    assert not page.locator("#pinned").is_visible()
    assert page.errors == []


# --- the doctor's advice --------------------------------------------------------------------------


def test_a_doctor_action_is_a_button_that_sends_its_settings_merged_in(page, server):
    open_page(page, server, "?dataset=xor&optimizer=adam")
    before = page.evaluate("window.playground.settings")
    output(page, "out.showDoctor([{kind: 'rising_loss', epoch: 3, text: 'the loss rose', "
                 "action: {label: 'Lower the learning rate to 0.01', settings: {lr: 0.01}}}])")
    assert page.locator("#doctor").is_visible()
    assert "epoch 3: the loss rose" in page.locator("#doctor-findings").inner_text()
    with page.ws.expect_event("framesent", lambda p: is_message(p, type="config")) as sent:
        page.get_by_role("button", name="Lower the learning rate to 0.01", exact=True).click()
    assert json.loads(sent.value)["settings"] == {**before, "lr": 0.01}
    wait_for_frame(page, "p.net && p.settings.lr === 0.01")
    assert page.evaluate("window.playground.settings") == {**before, "lr": 0.01}


def test_the_doctor_advises_a_lower_rate_after_divergence(page, server):
    open_page(page, server, DIVERGING)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => window.playground.diverged", timeout=WAIT_MS)
    findings = page.evaluate("window.playground.frame.doctor") or []
    assert any(isinstance(f, dict) and f.get("action") for f in findings), findings
    advice = page.locator("#doctor-findings button", has_text="Lower the learning rate")
    assert advice.count() >= 1
    advice.first.click()
    page.wait_for_function("() => window.playground.settings.lr < 10", timeout=WAIT_MS)
    page.wait_for_function("() => !window.playground.diverged", timeout=WAIT_MS)
    assert page.locator("#play").is_enabled() and not page.locator("#divergence").is_visible()
