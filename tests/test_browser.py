"""The chat page in a real headless Chromium (Debian's chromium + chromium-driver, driven by selenium).

The real server (`policyqa serve`) on the real index: ask by keyboard, read the cited clause in the sources panel,
follow a citation, switch 原文/简体, type markup that must stay text, and audit the page with axe-core
(node_modules/axe-core, pinned in package.json). Screenshots and the axe results land in artifacts/browser/.
`make system-deps` installs the browser, its driver, the Chinese font and axe-core.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "artifacts" / "browser"
FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
    "--disable-component-update --disable-sync --window-size=1400,1000"
).split()
WAIT_S = 20
BLIND_MASSAGE = "福建对盲人医疗按摩诊所有哪些扶持?"
XSS = '<img src=x onerror="window.__xss=1">'
# Our own markup: the sources panel, our answers and the questions as we render them inside the chat.
OURS = "#sources, .pq-answer, .pq-question"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason=f"no headless browser: {CHROMIUM} and {CHROMEDRIVER} are missing; `make system-deps` installs "
        "Debian's chromium, chromium-driver and fonts-wqy-microhei",
    ),
]


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})  # every request the page makes
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser, server_url):
    """A fresh chat page, loaded and ready (our page script has run)."""
    browser.get(server_url)
    wait_until(lambda: browser.execute_script("return document.documentElement.lang === 'zh-CN'"), "page script")
    wait_until(lambda: browser.execute_script("return !!document.querySelector('#sources')"), "sources panel")
    return browser


def wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def question_box(driver):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, "textarea[data-testid='textbox']")


def ask(driver, question: str) -> None:
    """Type the question into the focused question box and press Enter: the keyboard alone."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    replies = driver.execute_script("return document.querySelectorAll('.pq-answer').length")
    box = question_box(driver)
    if driver.switch_to.active_element != box:
        box.click()
    ActionChains(driver).send_keys(question).send_keys(Keys.ENTER).perform()
    wait_until(
        lambda: driver.execute_script("return document.querySelectorAll('.pq-answer').length") > replies,
        f"the answer to {question!r}",
    )
    wait_until(lambda: not question_box(driver).get_attribute("value"), "the question box to empty")


def last_answer(driver):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, ".pq-answer")[-1]


def sources_text(driver) -> str:
    return driver.execute_script("return document.querySelector('#sources').innerText")


def screenshot(driver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_asking_by_keyboard_cites_the_fujian_clause_in_the_sources_panel(page):
    assert page.switch_to.active_element == question_box(page)  # the question box has focus on arrival
    ask(page, BLIND_MASSAGE)
    source = page.find_element("css selector", "#sources li.pq-source")
    assert source.get_attribute("id") == "source-1-1"
    assert source.find_element("css selector", ".pq-id").text == "fujian-5-3"
    assert "盲人醫療按摩診所" in source.find_element("css selector", ".pq-clause").text
    assert source.find_element("css selector", ".pq-place").text == (
        "[1] 福建 · 《福建省促進殘疾人就業三年行動方案(2025—2027年)》 · 五、實施殘疾人重點專項幫扶行動 · (三)"
    )
    assert "省人社廳" in source.find_element("css selector", ".pq-units").text
    marks = [mark.text for mark in source.find_elements("css selector", "mark")]
    assert "盲人醫療按摩診所" in marks  # the question's words, matched on 简体, marked in the original characters
    answer = last_answer(page)
    assert "盲人醫療按摩診所,給予資金扶持。" in answer.text and "[1]" in answer.text
    assert page.switch_to.active_element == question_box(page)  # ready for the next question
    screenshot(page, "01-answer")


def test_citation_brings_its_clause_into_view_and_gives_it_focus(page):
    from selenium.webdriver.common.keys import Keys

    ask(page, BLIND_MASSAGE)
    ask(page, "那吉林呢?")
    assert "理解为 / understood as：吉林对盲人医疗按摩诊所有哪些扶持?" in last_answer(page).text
    in_view = """
        const element = document.getElementById(arguments[0]);
        const box = element.getBoundingClientRect();
        const panel = document.getElementById('sources').getBoundingClientRect();
        const top = Math.max(panel.top, 0) - 1, bottom = Math.min(panel.bottom, innerHeight);
        return element.checkVisibility() && box.height > 0 && box.top >= top && box.top < bottom;
    """
    for link_id, target in (("#source-2-1", "source-2-1"), ("#source-1-1", "source-1-1")):  # latest, then folded
        page.execute_script("const p = document.getElementById('sources'); p.scrollTop = p.scrollHeight")
        assert not page.execute_script(in_view, target)
        link = page.find_element("css selector", f"a.pq-cite[href='{link_id}']")
        if target == "source-2-1":
            page.execute_script("arguments[0].focus()", link)
            link.send_keys(Keys.ENTER)  # the keyboard follows the link
        else:
            link.click()
        wait_until(lambda t=target: page.execute_script("return document.activeElement.id") == t, f"focus on {target}")
        assert page.execute_script(in_view, target), f"{target} is not scrolled into view"
        # Handled by the page script, not by navigating to the fragment: the address and history stay as they were.
        assert page.execute_script("return location.hash") == ""
        screenshot(page, f"02-citation-{target}")
    clause_id = page.execute_script("return document.activeElement.querySelector('.pq-id').textContent")
    assert clause_id == "fujian-5-3"  # the first answer's [1], opened from the folded earlier answers


def test_question_text_is_shown_literally_and_never_run(page):
    page.execute_script("window.__xss = 0")
    ask(page, XSS)
    time.sleep(0.5)  # give a broken image's onerror every chance to fire
    assert page.execute_script("return window.__xss") == 0
    assert page.execute_script("return document.querySelectorAll('img[src=\"x\"]').length") == 0
    shown = page.find_elements("css selector", ".pq-question")
    assert len(shown) == 1 and shown[0].is_displayed() and XSS in shown[0].text
    assert shown[0].get_attribute("textContent") == f"你的问题 Your question：{XSS}"
    assert f"问题 Question：{XSS}" in sources_text(page)
    screenshot(page, "03-xss-shown-as-text")


def test_axe_finds_no_serious_or_critical_violation_in_our_markup(page):
    assert AXE.is_file(), f"{AXE} is missing: run `npm ci` (or `make system-deps`)"
    ask(page, BLIND_MASSAGE)
    ask(page, "三地对残疾人大学生就业分别有什么帮扶?")  # answers grouped under region labels
    ask(page, "浙江对盲人按摩有什么扶持?")  # out of scope: passages that may be related
    assert "可能相关 / may be related" in last_answer(page).text
    page.execute_script("document.querySelectorAll('#sources details').forEach(d => d.open = true)")
    page.execute_script(AXE.read_text(encoding="utf-8"))
    results = page.execute_async_script(
        """
        const done = arguments[arguments.length - 1], ours = arguments[0];
        const describe = v => ({
          id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
          nodes: v.nodes.map(n => {
            const element = document.querySelector(n.target[0]);
            return {target: n.target, html: n.html, impact: n.impact, ours: !!(element && element.closest(ours)),
                    summary: n.failureSummary};
          })
        });
        axe.run(document).then(r => done({
          version: axe.version, url: location.href, passes: r.passes.map(v => v.id),
          violations: r.violations.map(describe), incomplete: r.incomplete.map(describe)
        })).catch(e => done({error: String(e)}));
        """,
        OURS,
    )
    assert "error" not in results, results
    (ARTIFACTS / "axe.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    screenshot(page, "04-audited")
    ours = [
        f"{v['id']} ({v['impact']}): {v['help']} at {n['target']}"
        for v in results["violations"]
        for n in v["nodes"]
        if n["ours"] and (n["impact"] or v["impact"]) in ("serious", "critical")
    ]
    assert ours == [], "\n".join(ours)


def test_simplified_toggle_rerenders_the_answer_without_asking_again(page):
    ask(page, BLIND_MASSAGE)
    assert "幫扶盲人就業" in sources_text(page)
    page.find_element("xpath", "//label[.//input[@type='radio' and @value='简体']]").click()
    wait_until(lambda: "帮扶盲人就业" in sources_text(page), "the 简体 rendering in the sources panel")
    assert "幫扶盲人就業" not in sources_text(page)
    assert "盲人医疗按摩诊所,给予资金扶持。" in last_answer(page).text
    assert len(page.find_elements("css selector", ".pq-question")) == 1  # nothing was asked again
    assert "fujian-5-3" in sources_text(page)  # ids are never converted
    screenshot(page, "05-simplified")
    page.find_element("xpath", "//label[.//input[@type='radio' and @value='原文']]").click()
    wait_until(lambda: "幫扶盲人就業" in sources_text(page), "the original script back")


def test_keyboard_focus_runs_question_ask_controls_sources(page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ask(page, BLIND_MASSAGE)
    question_box(page).click()
    describe = """
        const e = document.activeElement, label = e.labels && e.labels[0] ? e.labels[0].innerText : '';
        return [e.tagName, e.id, e.getAttribute('aria-label') || label || e.innerText.slice(0, 20) || e.value];
    """
    stops = []
    for _ in range(30):
        tag, element_id, name = page.execute_script(describe)
        stops.append((tag, element_id, name.strip()))
        if element_id == "sources":
            break
        ActionChains(page).send_keys(Keys.TAB).perform()

    def first(predicate) -> int:
        return next(i for i, stop in enumerate(stops) if predicate(stop))

    order = [
        first(lambda s: s[0] == "TEXTAREA"),
        first(lambda s: s[0] == "BUTTON" and "提问 Ask" in s[2]),
        first(lambda s: "地区 Region" in s[2]),
        first(lambda s: "条款数 Passages" in s[2]),
        first(lambda s: s[0] == "INPUT" and s[2] in ("原文", "简体")),
        first(lambda s: s[1] == "sources"),
    ]
    assert order == sorted(order) and order[0] == 0 and order[1] == 1, stops


def test_answers_are_announced_and_every_control_is_labelled(page):
    live = "return [...document.querySelectorAll('[aria-live=polite]')].map(e => e.getAttribute('role'))"
    assert {"log", "status"} <= set(page.execute_script(live))  # present before anything is asked
    unlabelled = page.execute_script(
        """
        return [...document.querySelectorAll('input, textarea, select, button')]
          .filter(e => e.offsetParent !== null && e.type !== 'hidden')
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.innerText.trim()
                       && !e.getAttribute('aria-labelledby') && !e.title)
          .map(e => e.outerHTML.slice(0, 120));
        """
    )
    assert unlabelled == []
    ask(page, BLIND_MASSAGE)
    announced = page.execute_script(
        "const a = document.querySelector('.pq-answer'); const r = a.closest('[aria-live]');"
        "return r && [r.getAttribute('role'), r.getAttribute('aria-live')]"
    )
    assert announced == ["log", "polite"]  # the chat log reads each new answer out
    assert page.find_element("css selector", "#sources-status").text == "5 条出处 / 5 sources。"
    # Each message says who speaks in its own (visually hidden) text; Gradio's aria-label, which held the
    # message's HTML source, is gone.
    messages = (
        "return [...document.querySelectorAll(arguments[0])].map(e => [e.getAttribute('aria-label'), e.textContent])"
    )
    said = page.execute_script(messages, "[data-testid=user], [data-testid=bot]")
    assert [label for label, _ in said] == [None, None]
    assert said[0][1].startswith("你的问题 Your question：福建") and said[1][1].startswith("回答 Answer：幫扶盲人就業")


def test_text_follows_the_browsers_font_size(page):
    ask(page, BLIND_MASSAGE)
    selectors = [".pq-clause", ".pq-answer", ".pq-place", "textarea[data-testid='textbox']", "h1"]
    sizes = "return arguments[0].map(s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize))"
    before = page.execute_script(sizes, selectors)
    page.execute_script("document.documentElement.style.fontSize = '200%'")
    after = page.execute_script(sizes, selectors)
    screenshot(page, "06-text-200-percent")
    page.execute_script("document.documentElement.style.fontSize = ''")
    assert [round(a / b, 1) for a, b in zip(after, before, strict=True)] == [2.0] * len(selectors)


def test_the_page_requests_nothing_from_any_other_host(page, server_url):
    page.get_log("performance")  # forget earlier pages
    page.get(server_url)
    wait_until(lambda: page.execute_script("return document.documentElement.lang === 'zh-CN'"), "page script")
    ask(page, BLIND_MASSAGE)
    urls = [
        json.loads(entry["message"])["message"]["params"]["request"]["url"]
        for entry in page.get_log("performance")
        if json.loads(entry["message"])["message"]["method"] == "Network.requestWillBeSent"
    ]
    assert urls
    outside = [url for url in urls if not url.startswith((server_url, "data:", "blob:", "about:"))]
    assert outside == []


# A document a stranger could upload: markup, script, Markdown links and entities in its title and clauses.
HOSTILE_TITLE = '福建省测试<img src=x onerror="window.__xss=1">方案'
HOSTILE_TEXT = (
    "一、盲人按摩测试条款\n"
    '(一)盲人医疗按摩测试补贴<img src=x onerror="window.__xss=2">按规定发放。\n'
    "(二)盲人按摩测试岗位<script>window.__xss=3</script>详见[点此](javascript:window.__xss=4)。\n"
    '(三)盲人按摩测试**粗体**`代码`<a href="javascript:window.__xss=5">链接</a>&lt;b&gt;实体&lt;/b&gt;。\n'
)


@pytest.fixture(scope="module")
def hostile_server_url(tmp_path_factory, real_assistant):
    """`policyqa serve` over the real corpus plus the hostile document, indexed with the real embedder."""
    import os
    import shutil
    import subprocess
    import sys

    from conftest import running_server, write_document

    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(PROJECT_ROOT / "corpus" / "documents", root / "corpus" / "documents")
    write_document(root / "corpus", "hostile", "福建", HOSTILE_TITLE, HOSTILE_TEXT)
    warm_cache = PROJECT_ROOT / ".policyqa" / "cache"
    if warm_cache.is_dir():
        shutil.copytree(warm_cache, root / "cache", ignore=shutil.ignore_patterns("staged-corpus-*"))
    env = os.environ | {
        "POLICYQA_CORPUS": str(root / "corpus"),
        "POLICYQA_INDEX_DIR": str(root / "index"),
        "POLICYQA_CACHE_DIR": str(root / "cache"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    built = subprocess.run(
        [sys.executable, "-m", "assistant", "index"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    with running_server(env=env) as url:
        yield url


def test_markup_inside_a_corpus_document_is_shown_as_text_and_never_run(browser, hostile_server_url):
    browser.get(hostile_server_url)
    wait_until(lambda: browser.execute_script("return !!document.querySelector('#sources')"), "sources panel")
    browser.execute_script("window.__xss = 0")
    ask(browser, "福建盲人按摩测试补贴和测试岗位")
    time.sleep(0.5)  # give a broken image's onerror every chance to fire
    shown = sources_text(browser)
    # The hostile clauses were retrieved and cited, so their payloads reached the page...
    assert 'onerror="window.__xss=2"' in shown and "<script>window.__xss=3</script>" in shown, shown
    assert "[点此](javascript:window.__xss=4)" in shown
    # ...and stayed text: nothing ran, no element came from them, entities are shown as written.
    assert browser.execute_script("return window.__xss") == 0
    injected = browser.execute_script(
        "return document.querySelectorAll(arguments[0]).length",
        ", ".join(f"{ours} img, {ours} script, {ours} a[href^='javascript']" for ours in OURS.split(", ")),
    )
    assert injected == 0
    assert "&lt;b&gt;实体&lt;/b&gt;" in shown
    assert HOSTILE_TITLE in shown  # the title too, in the citation's place line
    # The only links in our markup are our own citations, each to a clause on this page.
    hrefs = browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(a => a.getAttribute('href'))",
        ", ".join(f"{ours} a" for ours in OURS.split(", ")),
    )
    assert hrefs and all(href.startswith("#") for href in hrefs), hrefs
    screenshot(browser, "07-corpus-payloads-shown-as-text")
