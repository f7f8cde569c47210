"""The Bureau's projector: the room's laptop opens one link and the director turns every slide with
the keyboard. At 1920 × 1080 (and at 1280 × 720 for Binche's plan, whose names are the longest),
each slide fits the screen (no scroll, nothing cut at its foot), shows no control, names its OS and
OO in full, and its text reads from the back of the room (20 px and more at 1920 wide)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.browser.conftest import end_journey, journey_page, shot
from tests.browser.server import wait_for_app
from tests.browser.test_dashboard_journeys import no_exception

MEASURE = """() => {
  const slide = document.querySelector('.pst-slide');
  const box = slide.getBoundingClientRect();
  const pad = parseFloat(getComputedStyle(slide).paddingBottom);
  const content = [...slide.children].filter(k => !k.classList.contains('pst-counter'));
  const bottom = Math.max(...content.map(k => k.getBoundingClientRect().bottom));
  const onScreen = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight
           && s.visibility !== 'hidden' && s.display !== 'none'; };
  const texts = [...slide.querySelectorAll('.pst-bar-name, .pst-table td, .pst-table th, .pst-figure-label, .pst-note')];
  return {
    counter: slide.querySelector('.pst-counter').textContent,
    title: slide.querySelector('h1').textContent,
    names: [...slide.querySelectorAll('.pst-bar-name')].map(n => n.textContent),
    cutNames: [...slide.querySelectorAll('.pst-bar-name, h1, .pst-table td')].filter(n => n.scrollWidth > n.clientWidth + 1).length,
    scroll: [document.documentElement.scrollHeight - innerHeight, document.documentElement.scrollWidth - innerWidth],
    overflow: bottom - (box.bottom - pad),
    slideSize: [box.width, box.height],
    smallestText: Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize))),
    // What the room sees: at every point of a grid over the screen, the topmost element belongs
    // to the slide (no button, menu, sidebar or framework bar above or beside it).
    foreign: (() => { const out = new Set();
      for (let x = 2; x < innerWidth; x += innerWidth / 24) for (let y = 2; y < innerHeight; y += innerHeight / 14) {
        const el = document.elementFromPoint(x, y);
        if (!el || !el.closest('.pst-stage')) out.add(el ? (el.getAttribute('data-testid') || el.tagName) : 'rien');
      } return [...out]; })(),
    controls: [...slide.querySelectorAll('button, input, select, [role=button]')].filter(onScreen).length,
  };
}"""


def _full_names(plan: dict) -> set[str]:
    names = set()
    for os_ in plan["strategic_objectives"]:
        names.add(f"OS {os_['code']} {os_['title']}")
        names |= {f"OO {oo['code']} {oo['title']}" for oo in os_["operational_objectives"]}
    return {" ".join(n.split()) for n in names}


def _walk(page, slug: str, width: int, height: int, plan: dict, forward: bool) -> int:
    """Every slide, turned with the arrow keys; returns the number of slides."""
    full = _full_names(plan)
    seen = 0
    while True:
        wait_for_app(page, settle_ms=0)  # the slide is one element: drawn whole with its counter
        m = page.evaluate(MEASURE)
        number, total = (int(x) for x in m["counter"].split("/"))
        where = f"{slug} {width}×{height} diapositive {number}"
        assert m["slideSize"] == [width, height], where  # the whole screen (both are 16:9)
        assert m["scroll"] == [0, 0], where
        assert m["overflow"] <= 0, f"{where}: {m['overflow']:.0f} px cut at the foot"
        assert m["cutNames"] == 0, where
        assert m["foreign"] == [] and m["controls"] == 0, f"{where}: {m['foreign']}"
        assert {" ".join(n.split()) for n in m["names"]} <= full, where  # OS/OO names whole
        if width == 1920:
            assert m["smallestText"] >= 20, f"{where}: {m['smallestText']} px"
        if forward:  # a picture of each slide once, at 1920 (a full-page shot costs ~0.3 s)
            shot(page, f"projector-{slug}-{width}-{number:02d}")
        seen += 1
        if (forward and number == total) or (not forward and number == 1):
            return total if forward else seen
        page.keyboard.press("ArrowRight" if forward else "ArrowLeft")
        page.wait_for_function(
            "n => document.querySelector('.pst-slide .pst-counter')?.textContent.startsWith(n + ' /')",
            arg=number + (1 if forward else -1), timeout=15_000)


@pytest.mark.parametrize("slug", ["binche", "charleroi"])
def test_every_slide_fits_the_projector_and_turns_with_the_keyboard(app_server, journey_context, plan_files, slug):
    page = journey_page(journey_context, {"width": 1920, "height": 1080})
    try:
        page.goto(f"{app_server.url}/{quote('Présentation')}?plan={slug}&slide=1&projecteur=1")
        wait_for_app(page)
        no_exception(page)
        page.locator(".pst-slide h1").click()  # the page has the keyboard, as after a click on the slide
        total = _walk(page, slug, 1920, 1080, plan_files[slug], forward=True)
        if slug == "binche":  # the longest names (an OO of 236 characters): if they fit 1280 × 720, all do
            page.set_viewport_size({"width": 1280, "height": 720})
            assert _walk(page, slug, 1280, 720, plan_files[slug], forward=False) == total
            assert "projecteur=1" in page.url and "slide=1" in page.url
    finally:
        end_journey(journey_context)


def test_the_slide_counter_leaves_projector_mode(app_server, page):
    page.goto(f"{app_server.url}/{quote('Présentation')}?plan=binche&slide=3&projecteur=1")
    wait_for_app(page)
    page.locator(".pst-counter").click()
    page.get_by_role("button", name="Mode projecteur").or_(page.get_by_role("link", name="Mode projecteur")) \
        .first.wait_for(timeout=15_000)
    assert "projecteur" not in page.url and "slide=3" in page.url
    shot(page, "presentation-normal-mode")
