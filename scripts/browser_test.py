#!/usr/bin/env python3
"""Real-browser test of the public credit website (headless Chromium through Selenium).

Drives the site the way a person would: types part of a penalised subject's name into the home page's
search box, opens the profile, downloads a signed credit report, verifies it on /verify (upload, tampered
paste, number), feeds hostile input to the search box, checks the profile on a phone-sized screen, searches
two words, uses the filters and opens the publicity and list pages from the menu.
Screenshots of each page go to --screenshots; on a failure, a shot of the page is kept in a temp folder.

Run it through scripts/browser-test, which starts a demo server and passes --base-url and --db.
Uses the system chromedriver (/usr/bin/chromedriver), so selenium-manager never touches the network.
"""
import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
DESKTOP = (1280, 900)
PHONE = (390, 844)
PAGE_SIZE = 20  # hits on one results page
SCRIPT = "<script>alert(1)</script>"


def log(message):
    print(message, flush=True)


class Ctx:
    """What the steps hand on to each other."""

    def __init__(self, args):
        self.base = args.base_url.rstrip("/")
        self.db = args.db
        self.shots = args.screenshots
        self.work = tempfile.mkdtemp(prefix="xinyong-browser-")
        self.driver = None
        self.code = None  # the penalised subject
        self.name = None
        self.query = None
        self.report_number = None
        self.report_json = None  # bytes, as downloaded
        self.report_path = None

    def url(self, path):
        return self.base + path


# ---------------------------------------------------------------- helpers

def make_driver():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=%d,%d" % DESKTOP, "--lang=zh-CN", "--hide-scrollbars"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    return driver


def fetch(url, data=None, headers=None):
    """(status, headers, body bytes) of a request; HTTP errors are answers, not exceptions."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def wait_for(driver, css, timeout=30):
    return WebDriverWait(driver, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def submit_and_wait(driver, element):
    """Submit the form of `element` and wait until the new page has replaced the old one."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.submit()
    WebDriverWait(driver, 60).until(EC.staleness_of(old))
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")


def click_and_wait(driver, element):
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 60).until(EC.staleness_of(old))
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")


def screenshot(ctx, filename, full_page=True):
    """Save a PNG of the current page; full_page grows the window to the document's height first."""
    driver = ctx.driver
    path = os.path.join(ctx.shots, filename)
    size = driver.get_window_size()
    if full_page:
        height = driver.execute_script(
            "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
        chrome = driver.execute_script("return window.outerHeight - window.innerHeight")
        # Cap absurd pages; never shrink below the normal window.
        driver.set_window_size(size["width"], min(max(int(height) + int(chrome), size["height"]), 8000))
    ok = driver.save_screenshot(path)
    if full_page:
        driver.set_window_size(size["width"], size["height"])
    assert ok, "could not save screenshot %s" % path
    log("      screenshot %s" % path)


def text_of(driver, css):
    return " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, css))


def verdict(driver):
    element = wait_for(driver, "#verdict")
    return element.get_attribute("data-verdict"), element.text


# ---------------------------------------------------------------- choosing the subject

def choose_subject(ctx):
    """A subject with a penalty in its publicity period, and a 2–4 character piece from the middle of
    its name that few names contain, so that the subject shows on the first page of results."""
    db = sqlite3.connect("file:%s?mode=ro" % ctx.db, uri=True)
    try:
        candidates = db.execute(
            "SELECT DISTINCT s.code, s.name FROM subjects s JOIN credit_records r ON r.subject_id = s.id "
            "WHERE r.record_type = 'admin_penalty' AND r.status = 'active' "
            "AND r.publicity_start <= date('now', '+8 hours') AND r.publicity_end > date('now', '+8 hours') "
            "AND s.code IS NOT NULL AND s.code_check_failed = 0 ORDER BY s.code LIMIT 300").fetchall()
        assert candidates, "the demo database holds no subject with a penalty in its publicity period"
        for code, name in candidates:
            middle = len(name) // 2
            for length in (4, 3, 2):
                start = max(0, middle - length // 2)
                fragment = name[start:start + length]
                if len(fragment) < 2 or fragment == name or not fragment.strip():
                    continue
                count = db.execute(
                    "SELECT count(*) FROM subjects WHERE instr(name, ?) > 0 OR instr(former_names, ?) > 0",
                    (fragment, fragment)).fetchone()[0]
                if 1 <= count <= 10:
                    return code, name, fragment
        code, name = candidates[0]
        return code, name, name[1:-1][:4]
    finally:
        db.close()


# ---------------------------------------------------------------- steps

def step_search(ctx):
    """(a) the home page's search box finds the subject from a piece of its name, with <mark>."""
    d = ctx.driver
    ctx.code, ctx.name, ctx.query = choose_subject(ctx)
    log("      subject %s %s, typing %r" % (ctx.code, ctx.name, ctx.query))
    d.get(ctx.url("/"))
    wait_for(d, "form[action='/search'] input[name=q]")
    assert "公共信用信息" in d.title, "home page title is %r" % d.title
    screenshot(ctx, "home.png")
    box = d.find_element(By.CSS_SELECTOR, "form[action='/search'] input[name=q]")
    box.clear()
    box.send_keys(ctx.query)
    submit_and_wait(d, box)
    assert urllib.parse.urlparse(d.current_url).path == "/search", "search went to %s" % d.current_url
    hits = d.find_elements(By.CSS_SELECTOR, "ol.hits li.hit")
    assert hits, "no hits for %r at %s" % (ctx.query, d.current_url)
    links = d.find_elements(By.CSS_SELECTOR, "ol.hits li.hit a[href='/subjects/%s']" % ctx.code)
    assert links, "subject %s (%s) not among the %d hits for %r" % (ctx.code, ctx.name, len(hits), ctx.query)
    assert links[0].text.strip() == ctx.name, "hit shows %r, expected %r" % (links[0].text, ctx.name)
    marks = d.find_elements(By.CSS_SELECTOR, "ol.hits li.hit mark")
    assert marks, "no <mark> highlight in the hits for %r" % ctx.query
    marked = links[0].find_elements(By.TAG_NAME, "mark")
    assert marked and any(m.text and m.text in ctx.query for m in marked), \
        "the subject's hit highlights %r, expected part of %r" % ([m.text for m in marked], ctx.query)
    log("      %d hits, %d <mark>s, subject's hit highlights %s" %
        (len(hits), len(marks), "+".join(m.text for m in marked)))
    screenshot(ctx, "search.png")


def step_profile(ctx):
    """(b) the hit leads to the profile: name, badges and a 行政处罚 card with its fields."""
    d = ctx.driver
    link = d.find_element(By.CSS_SELECTOR, "ol.hits li.hit a[href='/subjects/%s']" % ctx.code)
    click_and_wait(d, link)
    assert urllib.parse.urlparse(d.current_url).path == "/subjects/%s" % ctx.code, \
        "clicking the hit went to %s" % d.current_url
    h1 = d.find_element(By.TAG_NAME, "h1").text.strip()
    assert h1 == ctx.name, "profile h1 is %r, expected %r" % (h1, ctx.name)
    badges = d.find_elements(By.CSS_SELECTOR, ".labels .badge")
    assert badges, "profile has no .labels .badge"
    cards = [c for c in d.find_elements(By.CSS_SELECTOR, ".record.negative")
             if "行政处罚" in c.find_element(By.CSS_SELECTOR, ".head").text]
    assert cards, "no .record.negative card headed 行政处罚 on %s" % d.current_url
    card = cards[0]
    terms = [dt.text.strip() for dt in card.find_elements(By.TAG_NAME, "dt")]
    for term in ("来源部门", "决定日期", "法律依据", "公示截止"):
        assert term in terms, "行政处罚 card lacks %s (has %s)" % (term, terms)
        value = card.find_element(By.XPATH, ".//dt[normalize-space()='%s']/following-sibling::dd[1]" % term)
        assert value.text.strip(), "行政处罚 card shows an empty %s" % term
    log("      h1 %s, badges %s, %d penalty card(s), fields %s" %
        (h1, [b.text for b in badges], len(cards), ", ".join(terms[:5])))
    screenshot(ctx, "profile-penalty.png")


def step_report(ctx):
    """(c) 下载信用报告 issues a numbered report whose JSON downloads as an attachment."""
    d = ctx.driver
    button = d.find_element(By.XPATH, "//a[contains(@class,'button') and normalize-space()='下载信用报告']")
    assert button.get_attribute("href").endswith("/reports/%s" % ctx.code), \
        "下载信用报告 links to %s" % button.get_attribute("href")
    click_and_wait(d, button)
    number = wait_for(d, "#report-number").text.strip()
    assert number, "report page shows no report number"
    ctx.report_number = number
    assert ctx.name in d.page_source, "report page does not name the subject %s" % ctx.name
    href = d.find_element(By.CSS_SELECTOR, "#download-json").get_attribute("href")
    assert number in href and "format=json" in href, "#download-json links to %s" % href
    status, headers, body = fetch(href)
    assert status == 200, "GET %s answered %d" % (href, status)
    assert "attachment" in (headers.get("Content-Disposition") or ""), \
        "JSON download is not an attachment: Content-Disposition %r" % headers.get("Content-Disposition")
    document = json.loads(body)
    assert document["report"]["number"] == number, "JSON carries number %r" % document["report"]["number"]
    assert document["report"]["profile"]["subject"]["name"] == ctx.name, "JSON names another subject"
    ctx.report_json = body
    ctx.report_path = os.path.join(ctx.work, "credit-report-%s.json" % number)
    with open(ctx.report_path, "wb") as f:
        f.write(body)
    log("      report %s, JSON %d bytes from %s" % (number, len(body), href))
    screenshot(ctx, "report.png")


def step_verify(ctx):
    """(d) /verify: the uploaded file is genuine, a tampered paste is altered, the number is genuine."""
    d = ctx.driver
    # Upload the downloaded file.
    d.get(ctx.url("/verify"))
    file_input = wait_for(d, "input[type=file][name=document]")
    file_input.send_keys(ctx.report_path)
    submit_and_wait(d, file_input)
    got, text = verdict(d)
    assert got == "genuine", "uploaded untouched report: verdict %r (%s)" % (got, text)
    log("      upload -> %s" % got)
    screenshot(ctx, "verify.png")

    # Paste a copy whose subject name was changed.
    tampered = json.loads(ctx.report_json)
    tampered["report"]["profile"]["subject"]["name"] = ctx.name + "（已改）"
    d.get(ctx.url("/verify"))
    area = wait_for(d, "textarea[name=document]")
    set_value(d, area, json.dumps(tampered, ensure_ascii=False, indent=2))
    submit_and_wait(d, area)
    got, text = verdict(d)
    assert got == "altered", "pasted report with a changed name: verdict %r (%s)" % (got, text)
    log("      tampered paste -> %s" % got)
    screenshot(ctx, "verify-altered.png")

    # The untouched JSON pasted is genuine too.
    d.get(ctx.url("/verify"))
    area = wait_for(d, "textarea[name=document]")
    set_value(d, area, ctx.report_json.decode("utf-8"))
    submit_and_wait(d, area)
    got, text = verdict(d)
    assert got == "genuine", "pasted untouched report: verdict %r (%s)" % (got, text)
    log("      untouched paste -> %s" % got)

    # By number.
    d.get(ctx.url("/verify"))
    box = wait_for(d, "input[name=number]")
    box.send_keys(ctx.report_number)
    submit_and_wait(d, box)
    got, text = verdict(d)
    assert got == "genuine", "report number %s: verdict %r (%s)" % (ctx.report_number, got, text)
    log("      number %s -> %s" % (ctx.report_number, got))

    # A number never issued, and pasted garbage.
    d.get(ctx.url("/verify"))
    box = wait_for(d, "input[name=number]")
    box.send_keys("XY20000101-AAAAAAAAAA")
    submit_and_wait(d, box)
    got, text = verdict(d)
    assert got in ("unknown_number", "malformed"), "a number never issued: verdict %r (%s)" % (got, text)
    log("      unissued number -> %s" % got)
    d.get(ctx.url("/verify"))
    area = wait_for(d, "textarea[name=document]")
    area.send_keys("这不是 JSON {")
    submit_and_wait(d, area)
    got, text = verdict(d)
    assert got == "malformed", "pasted non-JSON: verdict %r (%s)" % (got, text)
    log("      pasted garbage -> %s" % got)


def set_value(driver, element, value):
    """Fill a textarea quickly (send_keys of a long JSON types it key by key)."""
    driver.execute_script("arguments[0].value = arguments[1];", element, value)
    element.send_keys(" ")  # and one real key press, as a person pasting would end up doing


def step_hostile(ctx):
    """(e) hostile text in the search box: never a 500, and markup never echoed unescaped."""
    d = ctx.driver
    long_text = ("郴州建设" * 1250)[:5000]
    cases = [("script tag", SCRIPT), ("SQL injection", "' OR 1=1 --"),
             ("5,000 characters", long_text), ("quotes and ampersands", "\"><img src=x onerror=alert(1)>&amp;")]
    for label, text in cases:
        # The server, with the whole text (the box's maxlength would cut what a browser sends).
        for path in ("/search?q=", "/subjects?q="):
            url = ctx.url(path + urllib.parse.quote(text))
            status, _, body = fetch(url)
            assert status in (200, 303, 400), "%s: GET %s... answered %d" % (label, url[:80], status)
            page = body.decode("utf-8", "replace")
            assert SCRIPT not in page, "%s: GET %s... echoes %s unescaped" % (label, url[:80], SCRIPT)
            assert "<img src=x" not in page, "%s: GET %s... echoes an <img> tag unescaped" % (label, url[:80])
            log("      %-22s %-12s -> %d" % (label, path.split("?")[0], status))
        # The browser, typing into the home page's box.
        d.get(ctx.url("/"))
        box = wait_for(d, "form[action='/search'] input[name=q]")
        box.clear()
        box.send_keys(text)  # the box's maxlength keeps what a person can type short
        submit_and_wait(d, box)
        try:
            alert = d.switch_to.alert
            message = alert.text
            alert.dismiss()
            raise AssertionError("%s: the results page ran a script (alert %r)" % (label, message))
        except NoAlertPresentException:
            pass
        injected = d.execute_script(
            "return Array.from(document.scripts).filter(s => s.textContent.includes('alert(1)')).length"
            " + document.querySelectorAll('img[onerror]').length")
        assert injected == 0, "%s: the results page holds injected elements" % label
        sent = urllib.parse.parse_qs(urllib.parse.urlparse(d.current_url).query).get("q", [""])[0]
        status, _, body = fetch(d.current_url)
        assert status in (200, 400), "%s: %s answered %d in the browser's own URL" % (label, d.current_url[:80], status)
        assert SCRIPT not in body.decode("utf-8", "replace"), "%s: %s echoes the script tag" % (label, d.current_url[:80])
        log("      %-22s browser sent %d chars -> %d" % (label, len(sent), status))


def step_phone(ctx):
    """(f) the profile fits a 390 px wide phone screen without sideways scrolling."""
    d = ctx.driver
    d.set_window_size(*PHONE)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 2, "mobile": True})
    try:
        for path in ("/subjects/%s" % ctx.code, "/", "/search?q=" + urllib.parse.quote(ctx.query or "郴州"),
                     "/verify"):
            d.get(ctx.url(path))
            wait_for(d, "main")
            inner, scroll = d.execute_script(
                "return [window.innerWidth, document.documentElement.scrollWidth]")
            # A mobile browser zooms out to fit content wider than the screen, which widens innerWidth:
            # so both must stay within the screen's width.
            if scroll > inner + 1 or inner > PHONE[0] + 1:
                wide = d.execute_script(
                    "return Array.from(document.querySelectorAll('body *'))"
                    ".filter(e => e.getBoundingClientRect().right > arguments[0] + 1)"
                    ".slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')"
                    " + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')", PHONE[0])
                raise AssertionError("%s overflows a %d px phone screen: scrollWidth %d, innerWidth %d "
                                     "(widest: %s)" % (path, PHONE[0], scroll, inner, ", ".join(wide)))
            log("      %-40s scrollWidth %d <= innerWidth %d" % (path[:40], scroll, inner))
            if path.startswith("/subjects/"):
                screenshot(ctx, "profile-phone.png", full_page=False)
    finally:
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        d.set_window_size(*DESKTOP)


def step_two_words(ctx):
    """(g) two words typed in the search box find the names that hold both (郴州 建设)."""
    d = ctx.driver
    d.get(ctx.url("/search"))
    box = wait_for(d, "form.filters input[name=q]")
    box.send_keys("郴州 建设")
    submit_and_wait(d, box)
    names = [a.text for a in d.find_elements(By.CSS_SELECTOR, "ol.hits li.hit .hit-name a")]
    assert names, "no hits for 郴州 建设"
    wrong = [n for n in names if "郴州" not in n or "建设" not in n]
    # A hit may match on a former name instead; it must then still say so somewhere in its card.
    wrong = [n for n in wrong if not all(w in text_of_hit(d, n) for w in ("郴州", "建设"))]
    assert not wrong, "hits for 郴州 建设 lacking a word: %s" % wrong
    log("      郴州 建设: %d hits on the first page, all with both words" % len(names))


def step_browse(ctx):
    """(h) a list filter, and the publicity and list pages reached from the menu."""
    d = ctx.driver
    # The black-list and region filters, chosen in the selects as a person would.
    d.get(ctx.url("/search"))
    wait_for(d, "form.filters input[name=q]").send_keys("公司")
    Select(d.find_element(By.CSS_SELECTOR, "form.filters select[name=list]")).select_by_value("black")
    Select(d.find_element(By.CSS_SELECTOR, "form.filters select[name=region]")).select_by_visible_text("桂阳县")
    submit_and_wait(d, d.find_element(By.CSS_SELECTOR, "form.filters select[name=list]"))
    assert "list=black" in d.current_url, "the list filter was not sent: %s" % d.current_url
    hits = d.find_elements(By.CSS_SELECTOR, "ol.hits li.hit")
    assert hits, "no 公司 of 桂阳县 on the black list (%s)" % d.current_url
    unbadged = [h.text.splitlines()[0] for h in hits if "黑名单" not in h.text]
    assert not unbadged, "black-list filter shows subjects without a 黑名单 badge: %s" % unbadged[:5]
    elsewhere = [h.text.splitlines()[0] for h in hits if "桂阳县" not in h.text]
    assert not elsewhere, "region filter 桂阳县 shows subjects of other regions: %s" % elsewhere[:5]
    log("      公司 + 黑名单 + 桂阳县: %d hits, each badged 黑名单 and in 桂阳县" % len(hits))

    for link_text, path, heading in (("双公示", "/publicity/penalties", "行政处罚"),
                                     ("红名单", "/lists/red", "红名单"), ("黑名单", "/lists/black", "黑名单")):
        d.get(ctx.url("/"))
        link = wait_for(d, "nav.nav").find_element(By.LINK_TEXT, link_text)
        click_and_wait(d, link)
        assert urllib.parse.urlparse(d.current_url).path == path, "menu %s went to %s" % (link_text, d.current_url)
        h1 = d.find_element(By.TAG_NAME, "h1").text
        assert heading in h1, "%s has h1 %r" % (path, h1)
        log("      menu %s -> %s (%s)" % (link_text, path, h1))
    for path, heading in (("/publicity/licences", "行政许可"), ("/lists/watch", "重点关注名单")):
        status, _, _ = fetch(ctx.url(path))
        assert status == 200, "GET %s answered %d" % (path, status)
        d.get(ctx.url(path))
        h1 = wait_for(d, "h1").text
        assert heading in h1, "%s has h1 %r" % (path, h1)
        log("      %s (%s)" % (path, h1))


def text_of_hit(driver, name):
    for hit in driver.find_elements(By.CSS_SELECTOR, "ol.hits li.hit"):
        if hit.find_element(By.CSS_SELECTOR, ".hit-name a").text == name:
            return hit.text
    return ""


STEPS = [
    ("a", "search from the home page", step_search, ()),
    ("b", "profile with a 行政处罚 card", step_profile, ("a",)),
    ("c", "issue and download a credit report", step_report, ("b",)),
    ("d", "verify: upload, tampered paste, number", step_verify, ("c",)),
    ("e", "hostile input in the search box", step_hostile, ()),
    ("f", "profile on a phone screen", step_phone, ("a",)),
    ("g", "two-word search (郴州 建设)", step_two_words, ()),
    ("h", "list filter, publicity and list pages", step_browse, ()),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--db", required=True, help="the demo server's SQLite file (read only)")
    parser.add_argument("--screenshots", default="docs/screenshots")
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    ctx = Ctx(args)
    started = time.monotonic()
    ctx.driver = make_driver()
    log("browser_test: %s against %s" % (ctx.driver.capabilities.get("browserVersion", "chromium"), ctx.base))
    passed, failed, skipped = [], [], []
    try:
        for key, title, function, needs in STEPS:
            if any(n not in passed for n in needs):
                log("SKIP (%s) %s: needs step %s" % (key, title, ",".join(needs)))
                skipped.append(key)
                continue
            log("STEP (%s) %s" % (key, title))
            t0 = time.monotonic()
            try:
                function(ctx)
            except Exception as error:  # noqa: BLE001 - report every failure and go on
                failed.append(key)
                log("FAIL (%s) %s: %s" % (key, title, error))
                if not isinstance(error, AssertionError):
                    traceback.print_exc()
                try:
                    path = os.path.join(ctx.work, "failure-%s.png" % key)
                    ctx.driver.save_screenshot(path)
                    log("      page at failure: %s (%s)" % (ctx.driver.current_url, path))
                except Exception:  # noqa: BLE001
                    pass
            else:
                passed.append(key)
                log("PASS (%s) %s (%.1f s)" % (key, title, time.monotonic() - t0))
    finally:
        ctx.driver.quit()
        if not failed:
            shutil.rmtree(ctx.work, ignore_errors=True)
    summary = "browser_test: %d of %d steps passed" % (len(passed), len(STEPS))
    if failed:
        summary += ", failed: %s" % " ".join(failed)
    if skipped:
        summary += ", skipped: %s" % " ".join(skipped)
    log("%s (%.1f s)" % (summary, time.monotonic() - started))
    return 1 if failed or skipped else 0


if __name__ == "__main__":
    sys.exit(main())
