"""The playground page used in a hurry, in headless Chromium: rapid clicks, changes while it
trains, a second press before the first was answered. Every test also fails on a console error
or an uncaught exception in the page."""

from __future__ import annotations

import pytest
from _playground_browser import WAIT_MS, new_page, open_page, require_browser, wait_for_frame

require_browser()

pytestmark = pytest.mark.serial


@pytest.fixture()
def page(browser, server):
    page = new_page(browser)
    open_page(page, server)
    yield page
    assert page.errors == []
    page.context.close()


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def play(page) -> None:
    button(page, "Play").click()
    page.wait_for_function("() => window.playground.playing", timeout=WAIT_MS)


def pause(page) -> None:
    button(page, "Pause").click()
    page.wait_for_function("() => !window.playground.playing", timeout=WAIT_MS)


def test_rapid_play_step_and_reset_clicks_end_in_a_consistent_page(page):
    for k in range(15):
        page.locator("#play").click()
        page.locator("#step").click()
        if k % 4 == 0:
            page.locator("#reset").click()
    button(page, "Reset").click()  # Step and Reset pause: the page ends paused at epoch 0
    wait_for_frame(page, "frame.epoch === 0 && !p.playing")
    button(page, "Play").wait_for()
    assert page.locator("#epoch").inner_text() == "0"
    button(page, "Step").click()
    wait_for_frame(page, "frame.epoch === 1")


def test_changing_the_data_set_while_playing_rebuilds_it_paused(page):
    version = page.evaluate("window.playground.net.version")
    play(page)
    wait_for_frame(page, "frame.epoch > 2")
    for name in ("xor", "spiral", "gaussians"):
        page.get_by_label("Dataset", exact=True).select_option(name)
    wait_for_frame(page, f"p.net.version > {version} && p.settings.dataset === 'gaussians' "
                         "&& frame.epoch === 0 && !p.playing")
    button(page, "Play").wait_for()
    play(page)
    wait_for_frame(page, "frame.epoch > 0")
    pause(page)


def test_compare_pressed_twice_quickly_keeps_the_run_it_pinned(page):
    play(page)
    wait_for_frame(page, "frame.epoch >= 5")
    compare = button(page, "Compare")
    # two presses in one task: the second comes before the first's answer, and sends "on" too
    page.evaluate("() => { const b = document.getElementById('compare'); b.click(); b.click(); }")
    wait_for_frame(page, "p.pinned && frame.epoch === 0")
    pinned = page.evaluate("window.playground.pinned.epoch")
    assert pinned >= 5, "the restarted run, at epoch 0, was pinned in place of the run"
    assert compare.get_attribute("aria-pressed") == "true"
    compare.click()
    page.wait_for_function("() => window.playground.pinned === null", timeout=WAIT_MS)


def click_point(page, i: int) -> None:
    """Click data point i on #boundary, where the page draws it."""
    x, y = page.evaluate(f"""() => {{
        const p = window.playground.net, c = document.getElementById('boundary');
        const r = c.getBoundingClientRect(), [x0, x1, y0, y1] = p.domain;
        return [r.left + (p.points[{2 * i}] - x0) / (x1 - x0) * r.width,
                r.top + (y1 - p.points[{2 * i + 1}]) / (y1 - y0) * r.height]; }}""")
    page.mouse.click(x, y)


@pytest.mark.parametrize("change", ["Add layer", "Remove layer"])
def test_a_point_inspected_then_the_architecture_changed_clears_the_arithmetic(page, change):
    play(page)
    click_point(page, 3)
    page.wait_for_function("() => window.playground.arithmetic "
                           "&& window.playground.arithmetic.point === 3", timeout=WAIT_MS)
    version = page.evaluate("window.playground.net.version")
    button(page, change).click()
    wait_for_frame(page, f"p.net.version > {version} && frame.epoch === 0")
    assert page.evaluate("window.playground.selected") is None
    assert page.evaluate("window.playground.arithmetic") is None
    assert page.locator("#arithmetic").is_hidden()
    play(page)
    wait_for_frame(page, "frame.epoch > 1")
    assert page.evaluate("window.playground.frame.arithmetic") is None
    pause(page)


def test_the_epoch_history_slider_while_playing(page):
    history = page.get_by_role("slider", name="Epoch history", exact=True)
    play(page)
    wait_for_frame(page, "frame.snapshots.length >= 3")
    history.focus()
    page.keyboard.press("Home")  # back to epoch 0, paused, while it played
    wait_for_frame(page, "frame.epoch === 0 && !p.playing && frame.snapshots.length === 1")
    assert page.locator("#epoch-history-value").inner_text() == "epoch 0"
    speed = page.get_by_role("slider", name="Speed", exact=True)
    speed.focus()
    page.keyboard.press("Home")  # 1 epoch a second: the snapshots come one by one
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # 10 epochs a second
    page.wait_for_function("() => window.playground.speed === 10", timeout=WAIT_MS)
    play(page)
    wait_for_frame(page, "frame.snapshots.length === 2")
    # a click on the thumb where it rests (the newest snapshot) moves nothing: no change
    box = history.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)
    assert page.evaluate("window.playground.playing")
    # ...and the slider goes on following the snapshots as they come
    wait_for_frame(page, "frame.snapshots.length >= 4")
    page.wait_for_function("() => Number(document.getElementById('epoch-history').max) >= 3",
                           timeout=WAIT_MS)
    pause(page)
    snapshots = page.evaluate("window.playground.frame.snapshots")
    assert history.get_attribute("max") == str(len(snapshots) - 1)
    speed.focus()
    page.keyboard.press("End")


def test_a_rebuild_then_a_live_change_before_its_answer_draws_the_new_network(page):
    """The rebuild's answer (a network) is overtaken by the live change's (settings only): the
    page must still take the new network, or it draws the old one while the server trains the
    new one (its frames dropped as another network's)."""
    version = page.evaluate("window.playground.net.version")
    page.evaluate("""() => {
        const activation = document.getElementById('activation');
        activation.value = 'relu';
        activation.dispatchEvent(new Event('change'));
        const lr = document.getElementById('lr');
        lr.value = '0.1';
        lr.dispatchEvent(new Event('change'));
    }""")
    wait_for_frame(page, f"p.net.version > {version} && frame.epoch === 0")
    page.wait_for_function("() => window.playground.settings.lr === 0.1", timeout=WAIT_MS)
    settings = page.evaluate("window.playground.settings")
    assert settings["activation"] == "relu" and settings["lr"] == 0.1
    assert page.get_by_label("Activation", exact=True).input_value() == "relu"
    assert page.get_by_label("Learning rate", exact=True).input_value() == "0.1"
    button(page, "Step").click()
    wait_for_frame(page, "frame.epoch === 1")
    assert page.locator("#epoch").inner_text() == "1"


def test_an_older_speeds_answer_does_not_move_the_slider_back(page):
    """Four speeds chosen faster than the server answers: the answers to the older ones must
    not move the slider back under the user's hand (it showed 1 epoch/s again, then the next
    key press moved on from there)."""
    page.evaluate("""() => {
        const slider = document.getElementById('speed');
        window.shown = [];
        new MutationObserver(() => window.shown.push(
            document.getElementById('speed-value').textContent))
            .observe(document.getElementById('speed-value'), {childList: true, subtree: true,
                                                               characterData: true});
        for (const index of [0, 1, 2, 3]) {  // 1, 2, 5, 10 epochs a second
            slider.value = String(index);
            slider.dispatchEvent(new Event('change'));
        }
    }""")
    page.wait_for_function("() => window.playground.speed === 10", timeout=WAIT_MS)
    shown = page.evaluate("window.shown")
    once_chosen = shown[shown.index("10 epochs/s"):]  # from the user's last choice on
    assert set(once_chosen) == {"10 epochs/s"}, shown
    assert page.locator("#speed").input_value() == "3"
