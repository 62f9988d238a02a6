"""The documentation site builds with ``mkdocs build --strict`` (a broken link, a missing page
or a docstring that mkdocstrings cannot parse fails it), and its API reference covers every
public class and function of scratchnn and of its public submodules."""

from __future__ import annotations

import html as htmllib
import importlib
import inspect
import json
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scratchnn

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")
pytest.importorskip("mkdocs_jupyter")

ROOT = Path(__file__).resolve().parents[2]
# A strict build takes half a minute on a busy machine: the module's tests share one build, on
# one test process (`make test` runs with --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("docs_site")]


def public_modules() -> list[str]:
    """scratchnn's public submodules: every module or package not named with an underscore."""
    return sorted(m.name for m in pkgutil.iter_modules(scratchnn.__path__)
                  if not m.name.startswith("_"))


def public_objects() -> dict[str, str]:
    """``{qualified name: module short name}`` for every public class and function: the names
    in ``scratchnn.__all__``, those defined in each public module and those each public
    package exports (``"package.name|defining.module.name"``: either may be the page's id)."""
    found = {}
    for name in scratchnn.__all__:
        obj = getattr(scratchnn, name)
        found[f"{obj.__module__}.{obj.__name__}"] = obj.__module__.split(".")[1]
    for short in public_modules():
        module = importlib.import_module(f"scratchnn.{short}")
        exported = getattr(module, "__all__", None) if hasattr(module, "__path__") else None
        for name in exported or list(vars(module)):
            obj = getattr(module, name)
            if name.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if exported and obj.__module__.startswith(module.__name__):
                # documented on the package's page, under its path or its defining module's
                found[f"{module.__name__}.{name}|{obj.__module__}.{name}"] = short
            elif obj.__module__ == module.__name__:  # defined here, not imported
                found[f"{module.__name__}.{name}"] = short
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                             str(ROOT / "mkdocs.yml"), "-d", str(out)],
                            capture_output=True, text=True, cwd=ROOT)
    problems = [line for line in result.stderr.splitlines()
                if line.startswith(("WARNING", "ERROR"))]
    assert result.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(
        problems or result.stderr.splitlines()[-20:])
    return out


def test_every_public_module_has_an_api_page():
    missing = [m for m in public_modules() if not (ROOT / "docs" / "api" / f"{m}.md").is_file()]
    assert not missing, (f"no API page for scratchnn.{', scratchnn.'.join(missing)}: add "
                         f"docs/api/NAME.md holding '::: scratchnn.NAME' and list it in "
                         f"mkdocs.yml's nav")


def test_api_reference_documents_every_public_class_and_function(site):
    objects = public_objects()
    assert len(objects) > 40  # the package's whole public surface, not a handful
    pages = {}
    missing = []
    for qualified, short in sorted(objects.items()):
        if short not in pages:
            pages[short] = (site / "api" / f"{short}.html").read_text(encoding="utf-8")
        if not any(f'id="{name}"' in pages[short] for name in qualified.split("|")):
            missing.append(qualified)
    assert not missing, f"not in the API reference (no docstring?): {missing}"


def test_site_has_home_tutorials_guides_and_offline_search(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "make demo" in index and "images/circles.png" in index
    for notebook in sorted((ROOT / "docs" / "tutorials").glob("*.ipynb")):
        page = site / "tutorials" / f"{notebook.stem}.html"
        assert page.is_file(), page
        html = page.read_text(encoding="utf-8")
        assert "data:image/png;base64" in html, f"{page.name}: figures (outputs) not rendered"
    for guide in ["teaching-api", "training", "sklearn", "files", "cli", "pictures", "speed"]:
        assert (site / f"{guide}.html").is_file(), guide
    # Material's offline plugin puts the search index in a script, so search needs no server,
    # and every script the pages load is a local file (no CDN: the site works offline)
    assert (site / "search" / "search_index.js").is_file()
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert 'src="http' not in html, f"{page.relative_to(site)} loads a file from the network"


def _strip_tags(html: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", html))


def test_search_finds_an_api_name_in_the_guide_that_uses_it(site):
    """The search index splits words as the site's search does (its configured separator,
    then trimming as lunr does): `snn.check_model(model, ...)` in a guide's code is found by
    searching `check_model`, as well as the API page."""
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    separator = re.compile(index["config"]["separator"])

    def pages_with(word: str) -> set[str]:
        return {doc["location"].split("#")[0] for doc in index["docs"]
                if word in {re.sub(r"^\W+|\W+$", "", token).lower()
                            for token in separator.split(_strip_tags(doc["text"]))}}

    hits = pages_with("check_model")
    assert "teaching-api.html" in hits, sorted(hits)
    assert "api/gradcheck.html" in hits


def test_solution_cells_are_marked_and_collapsed_by_the_site_script(site):
    page = (site / "tutorials" / "01_backprop_by_hand.html").read_text(encoding="utf-8")
    stored = json.loads((ROOT / "docs" / "tutorials" / "01_backprop_by_hand.ipynb").read_text())
    solutions = [c for c in stored["cells"] if "solution" in c["metadata"].get("tags", [])]
    assert len(set(re.findall(r'class="[^"]*celltag_solution[^"]*" id="([^"]+)"', page))) == len(
        solutions)
    assert 'src="../javascripts/solutions.js"' in page
    assert 'href="../stylesheets/extra.css"' in page


def test_in_a_browser_solutions_start_collapsed_and_code_fits_its_column(site):
    """The built tutorial pages in headless Chromium (when installed), at a laptop's and a
    tablet's width: each solution's code is inside a closed <details>, and no code block or
    output reaches past the content column, nor spills its text over the page (a long line
    scrolls inside its block)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("no Chromium: install Debian's chromium to run the site's browser check")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            for width in (1400, 900):
                page = browser.new_page(viewport={"width": width, "height": 800})
                for name in ("01_backprop_by_hand", "04_initialisation_and_depth"):
                    page.goto((site / "tutorials" / f"{name}.html").as_uri())
                    page.wait_for_selector("details.solution", state="attached")
                    closed = page.eval_on_selector_all(
                        "details.solution", "els => els.map(e => !e.open && "
                        "!!e.querySelector('.jp-InputArea'))")
                    assert closed and all(closed), name
                    assert not page.evaluate(OVERFLOWING), (width, name,
                                                            page.evaluate(OVERFLOWING)[:3])
                page.close()
        finally:
            browser.close()


# Blocks of code or output that reach past the content column, or whose text runs out of the
# block (wider than the block, with nothing to scroll it).
OVERFLOWING = """() => {
    const column = document.querySelector('.md-content').getBoundingClientRect();
    return [...document.querySelectorAll('pre, .jp-OutputArea-output, .jp-Cell')].filter(e => {
        const spills = e.scrollWidth > e.clientWidth + 1
            && !['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX);
        return spills || e.getBoundingClientRect().right > column.right + 1;
    }).map(e => e.textContent.slice(0, 60));
}"""
