#!/usr/bin/env python3
"""Real-browser test of the public credit website (headless Chromium through Selenium).

Drives the site the way a person would: types part of a penalised subject's name into the home page's
search box, opens the profile, issues a signed credit report, verifies it on /verify (upload, tampered
paste, number), feeds hostile input to the search box, checks the profile on a phone-sized screen, searches
two words, uses the filters and opens the publicity and list pages from the menu. Then the office side:
office pages send an anonymous visitor to /login, a wrong password is refused, a department clerk submits
a penalty on /submit and checks a black-listed subject on /checks (and reports which measures it applied),
an administrator opens the office pages and finds the clerk's login in the audit trail, and an auditor
is refused the user administration. Then the search pager (上一页/下一页, page numbers, a page past the last),
the double-publicity listing's total and document-number filter, every public page at desktop and phone
sizes (no English sentences outside code/pre, no sideways scrolling on the phone), and last, once `serve
--demo` has loaded the monitoring demo in the background, Chenzhou's score and ranks in the monitoring table; then a
typical case from the home page and the record it links.
Screenshots of each page go to --screenshots (public pages as NAME-desktop.png and NAME-phone.png); on a
failure, a shot of the page is kept in a temp folder.

Run it through scripts/browser-test, which starts a demo server and passes --base-url, --db and
--server-log (the demo users' passwords are read from the server's log, where `serve --demo` prints them).
Uses the system chromedriver (/usr/bin/chromedriver), so selenium-manager never touches the network.
"""
import argparse
import json
import os
import re
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
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException, WebDriverException
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
DEMO_USERS_HEADER = "demo users (log in at /login; passwords shown once):"
DEMO_USER_LINE = re.compile(r"^\s+(\S+)\t(\S+)\tpassword (\S+)\s*$")
CLERK, ADMIN, AUDITOR = "demo-clerk", "demo-admin", "demo-auditor"
# Where each role lands after logging in without a `next`.
HOMES = {"demo-admin": "/office/quality", "demo-reviewer": "/office/quality", "demo-county": "/office/quality",
         "demo-clerk": "/submit", "demo-auditor": "/office/audit"}
# Pages that need a login: an anonymous browser is sent (303) to /login?next=<the page>.
LOGIN_ONLY = ("/office/quality", "/office/checks", "/office/users", "/office/audit", "/submit", "/checks")
# The scenario of the check: every department that buys anything must refuse a judgment defaulter.
CHECK_SCENARIO = "government_procurement"
CLERK_DEPARTMENT = "431000-market_regulation"  # demo-clerk's
# Three or more Latin words in a row: an English sentence (codes, numbers and single names are fine).
ENGLISH = re.compile(r"[A-Za-z][a-z]+(?:[ ,'’-]+[A-Za-z][a-z]+){2,}")
# The monitoring demo that `serve --demo` loads in the background, and what it must read for Chenzhou.
MONITORING_MONTH = "2018-12"
MONITORING_WAIT = 420  # seconds, counted from the test's start
CHENZHOU = ("431000", "郴州市")
CHENZHOU_EXPECTED = {"2018-12": ("84.32", "47"), "2019-03": (None, "24")}


def log(message):
    print(message, flush=True)


class Ctx:
    """What the steps hand on to each other."""

    def __init__(self, args):
        self.base = args.base_url.rstrip("/")
        self.db = args.db
        self.server_log = args.server_log
        self.shots = args.screenshots
        self.work = tempfile.mkdtemp(prefix="xinyong-browser-")
        self.driver = None
        self.code = None  # the penalised subject
        self.name = None
        self.query = None
        self.report_number = None
        self.report_json = None  # bytes, as downloaded
        self.report_path = None
        self.passwords = None  # demo user -> password, from the server's log
        self.user = None  # who the browser is logged in as
        self.check_id = None  # the clerk's check
        self.started = time.monotonic()
        self.record_path = None  # /records/{id} of a listed record

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


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the redirect itself is the answer


_NO_REDIRECTS = urllib.request.build_opener(_KeepRedirects)


def fetch(url, data=None, headers=None, follow_redirects=True, timeout=60):
    """(status, headers, body bytes) of a request; HTTP errors (and, unless followed, redirects) are
    answers, not exceptions."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    opener = urllib.request.urlopen if follow_redirects else _NO_REDIRECTS.open
    try:
        with opener(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def as_browser(ctx, with_session=True):
    """Request headers of a page the browser asks for, with its session cookie (if it has one)."""
    headers = {"Accept": "text/html"}
    cookie = ctx.driver.get_cookie("xy_session") if with_session else None
    if cookie and cookie.get("value"):
        headers["Cookie"] = "xy_session=%s" % cookie["value"]
    return headers


def wait_for(driver, css, timeout=30):
    return WebDriverWait(driver, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def replaced(old):
    """A wait condition: the page of `old` is gone. Chromium reports an element of a replaced page either as
    stale or, now and then, as "does not belong to the document"; selenium's staleness_of knows only the
    first and raised the second out of the wait."""
    def gone(_):
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
    return gone


def submit_and_wait(driver, element):
    """Submit the form of `element` and wait until the new page has replaced the old one."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.submit()
    WebDriverWait(driver, 60).until(replaced(old))
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")


def click_and_wait(driver, element):
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 60).until(replaced(old))
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


def path_of(driver):
    return urllib.parse.urlparse(driver.current_url).path


def query_of(driver):
    return urllib.parse.parse_qs(urllib.parse.urlparse(driver.current_url).query)


def h1_of(driver):
    return wait_for(driver, "main h1").text.strip()


def db_rows(ctx, sql, params=()):
    """Rows of a query on the demo server's database, opened read only."""
    db = sqlite3.connect("file:%s?mode=ro" % ctx.db, uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def beijing_today():
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))


def check_policy(what, headers):
    """The answer's Content-Security-Policy allows no inline script (nor eval, nor scripts from anywhere)."""
    policy = headers.get("Content-Security-Policy") or ""
    assert policy, "%s answers without a Content-Security-Policy" % what
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, "%s: the policy %r restricts no scripts (no script-src, no default-src)" % (what, policy)
    loose = [w for w in scripts if w in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:")]
    assert not loose, "%s: the policy %r lets scripts in through %s" % (what, policy, " ".join(loose))
    return policy


def assert_no_inline_script(driver):
    """The page holds no script of its own: no inline <script>, no on… handler attributes."""
    count = driver.execute_script(
        "return Array.from(document.scripts).filter(s => !s.src).length"
        " + Array.from(document.querySelectorAll('*'))"
        ".filter(e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length")
    assert count == 0, "%s holds %d inline script(s) or handler attribute(s)" % (driver.current_url, count)


def verdict(driver):
    element = wait_for(driver, "#verdict")
    return element.get_attribute("data-verdict"), element.text


# ---------------------------------------------------------------- logging in

def demo_passwords(ctx, timeout=60):
    """The demo users' passwords, as `serve --demo` printed them to its log on its first start:
    a header line, then one line per user, `  name<TAB>role<TAB>password XXXX`."""
    if ctx.passwords:
        return ctx.passwords
    assert ctx.server_log, "no --server-log: the demo users' passwords are read from the demo server's log"
    deadline = time.monotonic() + timeout
    while True:
        found = {}
        try:
            with open(ctx.server_log, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            lines = []
        if DEMO_USERS_HEADER in lines:
            # Log lines of standard error may come between them: take every line of the format.
            for line in lines[lines.index(DEMO_USERS_HEADER) + 1:]:
                match = DEMO_USER_LINE.match(line)
                if match:
                    found.setdefault(match.group(1), match.group(3))
        if all(name in found for name in HOMES):
            break
        if time.monotonic() > deadline:
            raise AssertionError(
                "the server's log %s holds no passwords for %s (after the line %r, which %s); `serve --demo` "
                "prints them on its first start" % (ctx.server_log, ", ".join(n for n in HOMES if n not in found),
                                                    DEMO_USERS_HEADER, "it has" if DEMO_USERS_HEADER in lines else "is missing"))
        time.sleep(1)
    ctx.passwords = found
    log("      demo users in the server's log: %s" % ", ".join(sorted(found)))
    return found


def log_in(ctx, name, password=None, expect_path=None):
    """Log in through the login form: the one the browser shows, else /login's. Returns the path landed on."""
    d = ctx.driver
    if path_of(d) != "/login" or not d.find_elements(By.CSS_SELECTOR, "form[action='/login']"):
        d.get(ctx.url("/login"))
    else:
        # A fresh copy of the page shown (keeping its ?next=): the one a failed POST left behind can be a
        # document Chromium no longer lets a driver type into.
        d.get(d.current_url)
    if password is None:
        password = demo_passwords(ctx)[name]
    form = wait_for(d, "form[action='/login']")
    box = form.find_element(By.NAME, "name")
    box.clear()
    box.send_keys(name)
    form.find_element(By.NAME, "password").send_keys(password)
    click_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    path = path_of(d)
    errors = text_of(d, ".result.bad")
    assert path != "/login", "%s could not log in: %s" % (name, errors or "still on %s" % d.current_url)
    if expect_path:
        assert path == expect_path, "%s logged in and landed on %s, expected %s" % (name, d.current_url, expect_path)
    account = wait_for(d, "header nav.account")
    assert name in account.text, "after logging in, the header does not name %s: %r" % (name, account.text)
    buttons = d.find_elements(By.CSS_SELECTOR, "header form.logout button")
    assert buttons and buttons[0].text.strip() == "退出", "after logging in, the header has no 退出 button"
    assert d.get_cookie("xy_session"), "logged in as %s without a session cookie" % name
    ctx.user = name
    log("      logged in as %s -> %s" % (name, path))
    return path


def log_out(ctx):
    """Log out with the header's 退出 button; the browser lands on /login without a session."""
    d = ctx.driver

    def attempt():
        if path_of(d) == "/login" and not (d.get_cookie("xy_session") or {}).get("value"):
            return  # an earlier attempt logged out before Chromium replaced its page
        buttons = d.find_elements(By.CSS_SELECTOR, "header form.logout button")
        if not buttons:
            d.get(ctx.url("/"))
            buttons = d.find_elements(By.CSS_SELECTOR, "header form.logout button")
        assert buttons, "no 退出 button in the header of %s (logged in as %s?)" % (d.current_url, ctx.user)
        assert buttons[0].text.strip() == "退出", "the header's logout button reads %r" % buttons[0].text
        click_and_wait(d, buttons[0])
    who = ctx.user
    retrying_stale_pages(attempt)
    assert path_of(d) == "/login", "退出 went to %s, expected /login" % d.current_url
    assert not (d.get_cookie("xy_session") or {}).get("value"), "退出 left a session cookie"
    ctx.user = None
    log("      %s logged out -> %s" % (who, path_of(d)))


def signed_out(ctx):
    """No one logged in: log out whoever is, or drop the cookies if a failed step left a session behind."""
    if ctx.user is None and not ctx.driver.get_cookie("xy_session"):
        return
    try:
        log_out(ctx)
    except Exception as error:  # noqa: BLE001 - an earlier step's mess, not this step's failure
        log("      could not log %s out (%s); dropping the cookies" % (ctx.user, error))
        ctx.driver.delete_all_cookies()
        ctx.user = None


def signed_in_as(ctx, name):
    if ctx.user == name and ctx.driver.get_cookie("xy_session"):
        return
    signed_out(ctx)

    def attempt():
        # A retry after a replaced page may find the first attempt logged in after all.
        if ctx.user != name or not ctx.driver.get_cookie("xy_session"):
            log_in(ctx, name, expect_path=HOMES.get(name))
    retrying_stale_pages(attempt)


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


def penalty_record(ctx):
    """The fields of a new administrative penalty by the clerk's department: an enterprise of the demo
    database with a valid code, registered by today, and a document number never used."""
    today = beijing_today()
    subjects = db_rows(
        ctx, "SELECT code, name FROM subjects WHERE kind = 'enterprise' AND code IS NOT NULL AND code_check_failed = 0 "
        "AND (registered_on IS NULL OR registered_on <= ?) ORDER BY code DESC LIMIT 1", (today,))
    assert subjects, "the demo database holds no enterprise with a valid code"
    code, name = subjects[0]
    department = db_rows(ctx, "SELECT name, code FROM departments WHERE id = ?", (CLERK_DEPARTMENT,))
    assert department, "the demo database has no department %s (the demo clerk's)" % CLERK_DEPARTMENT
    authority, authority_code = department[0]
    if not authority_code:  # any department's code will do as a valid one
        authority_code = (db_rows(ctx, "SELECT code FROM departments WHERE code IS NOT NULL LIMIT 1") or [(None,)])[0][0]
    assert authority_code, "no department of the demo database has a unified social credit code"
    return {
        "subject_name": name, "subject_code": code,
        "document_no": "郴市监罚〔%s〕浏览器%d号" % (today[:4], int(time.time() * 1000) % 10 ** 9),
        "violation_type": "食品安全", "violation_facts": "销售超过保质期的食品",
        "legal_basis": "《中华人民共和国食品安全法》第一百二十四条", "penalty_category": "罚款",
        "content": "罚款人民币5000元", "fine_amount": "0.5", "decision_date": today, "tier": "一般",
        "authority": authority, "authority_code": authority_code,
    }


def black_listed_subject(ctx):
    """An organisation on the black list today because a court listed it as a judgment defaulter."""
    today = beijing_today()
    sql = ("SELECT s.code, s.name FROM list_memberships m JOIN subjects s ON s.id = m.subject_id "
           "WHERE m.list = 'black' AND m.state = 'listed' AND s.code IS NOT NULL AND m.start_date <= ? "
           "AND m.end_date > ? %s ORDER BY s.code LIMIT 1")
    rows = (db_rows(ctx, sql % "AND m.record_type = 'judgment_defaulter' AND s.code_check_failed = 0", (today, today))
            or db_rows(ctx, sql % "", (today, today)))
    assert rows, "the demo database holds no subject on the black list today"
    return rows[0]


def fill(driver, form, values):
    """Type each value into the form's input of that name; dates are set, as a date picker would."""
    for name, value in values.items():
        boxes = form.find_elements(By.NAME, name)
        assert boxes, "the form has no field %s" % name
        box = boxes[0]
        if box.get_attribute("type") == "date":
            driver.execute_script("arguments[0].value = arguments[1];", box, value)
            assert box.get_attribute("value") == value, "the date field %s took %r, not %r" % (
                name, box.get_attribute("value"), value)
        else:
            box.clear()
            box.send_keys(value)


# ---------------------------------------------------------------- pages at two sizes

def phone_screen(driver):
    driver.set_window_size(*PHONE)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 2, "mobile": True})


def desktop_screen(driver):
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.set_window_size(*DESKTOP)


def phone_screenshot(ctx, filename, max_height=6000):
    """A PNG of the whole page (up to max_height CSS px) on the emulated phone screen."""
    d = ctx.driver
    path = os.path.join(ctx.shots, filename)
    height = d.execute_script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE[0], "height": min(max(int(height), PHONE[1]), max_height), "deviceScaleFactor": 2, "mobile": True})
    try:
        ok = d.save_screenshot(path)
    finally:
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 2, "mobile": True})
    assert ok, "could not save screenshot %s" % path
    log("      screenshot %s" % path)


def assert_fits_phone(driver, what):
    """The page does not scroll sideways on the phone screen; tables may scroll inside their own box
    (.scroll, .table-scroll), the page may not."""
    inner, scroll = driver.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    # A mobile browser zooms out to fit content wider than the screen, which widens innerWidth.
    if scroll > inner + 1 or inner > PHONE[0] + 1:
        wide = driver.execute_script(
            "return Array.from(document.querySelectorAll('body *'))"
            ".filter(e => !e.closest('.scroll, .table-scroll') || e.matches('.scroll, .table-scroll'))"
            ".filter(e => e.getBoundingClientRect().right > arguments[0] + 1)"
            ".slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')"
            " + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')", PHONE[0])
        raise AssertionError("%s overflows a %d px phone screen: scrollWidth %d, innerWidth %d (widest: %s)"
                             % (what, PHONE[0], scroll, inner, ", ".join(wide) or "?"))
    return inner, scroll


def visible_text(driver):
    """The page's text as a person reads it, without the text of code and pre elements."""
    return driver.execute_script(
        "const copy = document.body.cloneNode(true);"
        "copy.querySelectorAll('code, pre, script, style').forEach(e => e.remove());"
        "copy.style.position = 'absolute'; copy.style.left = '-99999px';"
        "document.documentElement.appendChild(copy);"
        "const text = copy.innerText; copy.remove(); return text;")


def assert_chinese(driver, what):
    """No run of three or more Latin words outside code and pre: no English sentence on the page."""
    text = visible_text(driver)
    found = [m.group(0) for m in ENGLISH.finditer(text)]
    assert not found, "%s shows English text outside code/pre: %s" % (what, "; ".join(repr(f) for f in found[:5]))
    return len(text)


def both_sizes(ctx, name, path, ready="main"):
    """Open path at desktop size (no English sentences, full-page shot name-desktop.png), then at phone size
    (no sideways overflow, shot name-phone.png). The window is back at desktop size afterwards."""
    d = ctx.driver
    d.get(ctx.url(path))
    wait_for(d, ready)
    title = d.execute_script("return document.title")
    characters = assert_chinese(d, path)
    screenshot(ctx, "%s-desktop.png" % name)
    phone_screen(d)
    try:
        d.get(ctx.url(path))
        wait_for(d, ready)
        inner, scroll = assert_fits_phone(d, path)
        phone_screenshot(ctx, "%s-phone.png" % name)
    finally:
        desktop_screen(d)
    log("      %-14s %-44s %5d chars, no English; phone scrollWidth %d <= %d  (%s)"
        % (name, path[:44], characters, scroll, inner, title[:30]))


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


def issued_reports(ctx):
    return db_rows(ctx, "SELECT count(*) FROM credit_reports")[0][0]


def step_report(ctx):
    """(c) 下载信用报告 offers a report (GET writes nothing); 出具并查看报告 issues a numbered report whose
    JSON downloads as an attachment."""
    d = ctx.driver
    button = d.find_element(By.XPATH, "//a[contains(@class,'button') and normalize-space()='下载信用报告']")
    assert button.get_attribute("href").endswith("/reports/%s" % ctx.code), \
        "下载信用报告 links to %s" % button.get_attribute("href")
    before = issued_reports(ctx)
    click_and_wait(d, button)
    assert path_of(d) == "/reports/%s" % ctx.code, "下载信用报告 went to %s" % d.current_url
    forms = d.find_elements(By.CSS_SELECTOR, "form[action='/reports/%s']" % ctx.code)
    assert forms and (forms[0].get_attribute("method") or "").lower() == "post", \
        "the report page has no form posting to /reports/%s" % ctx.code
    issue = forms[0].find_elements(By.XPATH, ".//button[normalize-space()='出具并查看报告']")
    assert issue, "the report page has no 出具并查看报告 button"
    assert forms[0].find_elements(By.XPATH, ".//button[contains(normalize-space(), 'JSON')]"), \
        "the report page offers no JSON download"
    assert issued_reports(ctx) == before, "GET %s issued a report (GET must never write)" % d.current_url
    click_and_wait(d, issue[0])
    number = wait_for(d, "#report-number").text.strip()
    assert number, "report page shows no report number"
    assert path_of(d) == "/reports/issued/%s" % number, \
        "出具并查看报告 went to %s, expected /reports/issued/%s" % (d.current_url, number)
    assert issued_reports(ctx) == before + 1, \
        "出具并查看报告 stored %d reports, expected 1" % (issued_reports(ctx) - before)
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
    """(f) the profile fits a 390 px wide phone screen without sideways scrolling (step s shoots it)."""
    d = ctx.driver
    phone_screen(d)
    try:
        for path in ("/subjects/%s" % ctx.code, "/", "/search?q=" + urllib.parse.quote(ctx.query or "郴州"),
                     "/verify"):
            d.get(ctx.url(path))
            wait_for(d, "main")
            inner, scroll = assert_fits_phone(d, path)
            log("      %-40s scrollWidth %d <= innerWidth %d" % (path[:40], scroll, inner))
    finally:
        desktop_screen(d)


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

    for link_text, path, heading in (("双公示", "/publicity/penalties", "行政处罚"), ("红黑名单", "/lists/black", "黑名单"),
                                     ("信用修复", "/repair", "信用修复"), ("异议申诉", "/objections", "异议申诉"),
                                     ("信用监测", "/monitoring", "城市信用状况监测")):
        d.get(ctx.url("/"))
        link = wait_for(d, "nav.nav").find_element(By.LINK_TEXT, link_text)
        click_and_wait(d, link)
        assert urllib.parse.urlparse(d.current_url).path == path, "menu %s went to %s" % (link_text, d.current_url)
        h1 = d.find_element(By.TAG_NAME, "h1").text
        assert heading in h1, "%s has h1 %r" % (path, h1)
        log("      menu %s -> %s (%s)" % (link_text, path, h1))
    for path, heading in (("/publicity/licences", "行政许可"), ("/lists/red", "红名单"), ("/lists/watch", "重点关注名单")):
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


def step_login_redirect(ctx):
    """(i) office pages, /submit and /checks send an anonymous visitor to /login?next=…"""
    d = ctx.driver
    signed_out(ctx)
    for path in LOGIN_ONLY:
        status, headers, _ = fetch(ctx.url(path), headers={"Accept": "text/html"}, follow_redirects=False)
        location = headers.get("Location") or ""
        target = urllib.parse.urlparse(location)
        assert status == 303 and target.path == "/login", \
            "anonymous GET %s answered %d %r, expected 303 to /login" % (path, status, location)
        sent_on = urllib.parse.parse_qs(target.query).get("next")
        assert sent_on == [path], "anonymous GET %s is sent to %s, whose next is %s" % (path, location, sent_on)
        log("      anonymous %-16s -> %d %s" % (path, status, location))

    d.get(ctx.url("/office/quality"))
    form = wait_for(d, "form[action='/login']")
    assert path_of(d) == "/login", "anonymous /office/quality went to %s, expected /login" % d.current_url
    assert query_of(d).get("next") == ["/office/quality"], \
        "the login page's address %s does not carry next=/office/quality" % d.current_url
    hidden = form.find_element(By.CSS_SELECTOR, "input[name=next]").get_attribute("value")
    assert hidden == "/office/quality", "the login form's next is %r" % hidden
    for name in ("name", "password", "token"):
        assert form.find_elements(By.NAME, name), "the login form has no %s field" % name
    assert h1_of(d) == "登录", "the login page's h1 is %r" % h1_of(d)
    assert_no_inline_script(d)
    log("      browser: /office/quality -> %s" % d.current_url[len(ctx.base):])
    screenshot(ctx, "login.png")


def step_policy(ctx):
    """(j) every page, error pages too, answers with a Content-Security-Policy that allows no inline script."""
    d = ctx.driver
    paths = ["/", "/login", "/search?q=" + urllib.parse.quote("郴州"), "/verify", "/lists/black",
             "/publicity/penalties", "/search?q=" + "x" * 5000, "/no-such-page"]
    if ctx.code:
        paths[3:3] = ["/subjects/%s" % ctx.code, "/reports/%s" % ctx.code]
    missing = []
    for path in paths:
        status, headers, _ = fetch(ctx.url(path), headers={"Accept": "text/html"})
        try:
            policy = check_policy("GET %s (%d)" % (path[:40], status), headers)
            log("      %-40s %d  %s" % (path[:40], status, policy[:60]))
        except AssertionError as error:
            missing.append(str(error))
            log("      %-40s %d  %s" % (path[:40], status, error))
    assert not missing, "; ".join(missing)
    for path in ("/", "/login", "/verify"):
        d.get(ctx.url(path))
        wait_for(d, "main")
        assert_no_inline_script(d)


def step_wrong_password(ctx):
    """(k) a wrong password keeps the visitor on the login page (401) with the error in Chinese."""
    d = ctx.driver
    signed_out(ctx)
    d.get(ctx.url("/login"))
    form = wait_for(d, "form[action='/login']")
    form.find_element(By.NAME, "name").send_keys(CLERK)
    form.find_element(By.NAME, "password").send_keys("not-the-password-1")
    click_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert path_of(d) == "/login", "a wrong password went to %s, expected to stay on /login" % d.current_url
    errors = d.find_elements(By.CSS_SELECTOR, ".result.bad")
    assert errors, "a wrong password shows no .result.bad error on %s" % d.current_url
    error = errors[0].text.strip()
    assert re.search(r"[\u4e00-\u9fff]", error) and "密码" in error, "the wrong-password error reads %r" % error
    assert wait_for(d, "form[action='/login'] input[name=name]").get_attribute("value") == CLERK, \
        "the login form forgot the account name after a wrong password"
    assert not d.get_cookie("xy_session"), "a wrong password set a session cookie"
    log("      browser: stays on /login with %r" % error)

    # Its status, as a plain request: the login form's token and cookie, and a wrong password.
    status, headers, body = fetch(ctx.url("/login"), headers={"Accept": "text/html"})
    token = re.search(r'name="token" value="([^"]*)"', body.decode("utf-8", "replace"))
    cookie = next((m.group(1) for c in (headers.get_all("Set-Cookie") or [])
                   for m in [re.match(r"xy_login=([^;]*)", c)] if m), None)
    assert status == 200 and token and cookie, "GET /login answered %d without the form's token and cookie" % status
    form_data = urllib.parse.urlencode({"token": token.group(1), "next": "", "name": CLERK,
                                        "password": "not-the-password-2"}).encode()
    status, _, body = fetch(ctx.url("/login"), data=form_data, follow_redirects=False, headers={
        "Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded", "Cookie": "xy_login=" + cookie})
    assert status == 401, "POST /login with a wrong password answered %d, expected 401" % status
    assert "result bad" in body.decode("utf-8", "replace"), "the 401 login page shows no error"
    log("      POST /login with a wrong password -> %d" % status)


def step_clerk_submit(ctx):
    """(l) a department clerk logs in (landing on /submit) and submits one administrative penalty."""
    d = ctx.driver
    signed_out(ctx)
    log_in(ctx, CLERK, expect_path=HOMES[CLERK])
    form = wait_for(d, "form[action='/submit']")
    assert h1_of(d) == "报送信用信息", "/submit has h1 %r" % h1_of(d)
    for name in ("api_key", "department"):
        assert not form.find_elements(By.NAME, name), "the clerk's /submit form still asks for %s" % name
    assert form.find_element(By.CSS_SELECTOR, "input[type=hidden][name=csrf]").get_attribute("value"), \
        "the /submit form carries no csrf token"
    assert_no_inline_script(d)
    link = d.find_element(By.CSS_SELECTOR, "p.types a[href='/submit?type=admin_penalty']")
    click_and_wait(d, link)
    form = wait_for(d, "form[action='/submit']")
    record_type = form.find_element(By.NAME, "record_type").get_attribute("value")
    assert record_type == "admin_penalty", "the 行政处罚 link opened a form for %r" % record_type
    record = penalty_record(ctx)
    required = [e.get_attribute("name") for e in form.find_elements(By.CSS_SELECTOR, "input[required]")]
    missing = [name for name in required if name not in record]
    assert not missing, "the penalty form requires fields the test does not fill: %s" % missing
    fill(d, form, record)
    click_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    result = wait_for(d, ".result")
    heading = result.find_element(By.TAG_NAME, "h2").text.strip()
    assert "ok" in result.get_attribute("class").split() and heading == "报送成功", \
        "submitting %s for %s: %s" % (record["document_no"], record["subject_code"], result.text.replace("\n", " / "))
    batch = re.search(r"批次号\s*(\S+)", result.text)
    assert batch, "the 报送成功 notice gives no 批次号: %r" % result.text
    stored = db_rows(ctx, "SELECT department_id, record_type FROM credit_records WHERE document_no = ?",
                     (record["document_no"],))
    assert stored == [(CLERK_DEPARTMENT, "admin_penalty")], \
        "the database holds %s for document %s" % (stored, record["document_no"])
    log("      %s for %s %s -> 报送成功, batch %s" % (record["document_no"], record["subject_code"],
                                                  record["subject_name"], batch.group(1)))
    screenshot(ctx, "submit.png")


def step_clerk_check(ctx):
    """(m) the clerk checks a black-listed subject on /checks, and reports which measures it applied."""
    d = ctx.driver
    signed_in_as(ctx, CLERK)
    code, name = black_listed_subject(ctx)
    d.get(ctx.url("/checks"))
    form = wait_for(d, "form[action='/checks']")
    assert h1_of(d) == "逢办必查", "/checks has h1 %r" % h1_of(d)
    for field in ("api_key", "department"):
        assert not form.find_elements(By.NAME, field), "the clerk's /checks form still asks for %s" % field
    assert form.find_element(By.CSS_SELECTOR, "input[type=hidden][name=csrf]").get_attribute("value"), \
        "the /checks form carries no csrf token"
    matter = "郴财采〔%s〕浏览器测试" % beijing_today()[:4]
    fill(d, form, {"code": code, "matter": matter})
    Select(form.find_element(By.NAME, "scenario")).select_by_value(CHECK_SCENARIO)
    click_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    result = wait_for(d, ".result")
    heading = result.find_element(By.TAG_NAME, "h2").text.strip()
    assert "命中名单" in heading, "checking black-listed %s (%s) for %s: %r" % (code, name, CHECK_SCENARIO, heading)
    assert code in result.text, "the check's answer does not name %s" % code
    check_id = re.search(r"查询编号\s*(\S+)", result.text)
    assert check_id, "the check's answer gives no 查询编号"
    check_id = check_id.group(1)
    feedback = result.find_elements(By.CSS_SELECTOR, "form.feedback")
    if not feedback:
        stored = db_rows(ctx, "SELECT count(*) FROM check_measures WHERE check_id = ?", (check_id,))[0][0]
        raise AssertionError(
            "check %s on %s for %s stored %d measure(s)/incentive(s), but its answer shows no feedback form "
            "(form.feedback)" % (check_id, code, CHECK_SCENARIO, stored) if stored else
            "the hit on %s for %s returned no measures to report on" % (code, CHECK_SCENARIO))
    feedback = feedback[0]
    assert feedback.get_attribute("action").endswith("/checks/%s/feedback" % check_id), \
        "the feedback form posts to %s" % feedback.get_attribute("action")
    fieldsets = feedback.find_elements(By.TAG_NAME, "fieldset")
    assert fieldsets, "the feedback form lists no measure"
    assert_no_inline_script(d)
    log("      %s %s, %s: %s, check %s, %d measure(s)" % (code, name, CHECK_SCENARIO, heading, check_id, len(fieldsets)))
    screenshot(ctx, "check.png")

    sent = {}
    for i, fieldset in enumerate(fieldsets):
        names = {r.get_attribute("name") for r in fieldset.find_elements(By.CSS_SELECTOR, "input[type=radio]")}
        assert len(names) == 1 and next(iter(names)).startswith("applied_"), "a measure's radios are named %s" % names
        measure = next(iter(names))[len("applied_"):]
        applied = i == 0
        fieldset.find_element(By.CSS_SELECTOR, "input[type=radio][value='%s']" % ("yes" if applied else "no")).click()
        if not applied:
            fieldset.find_element(By.NAME, "reason_%s" % measure).send_keys("本次采购事项不适用该措施")
        sent[measure] = applied
        log("      measure %s (%s): %s" % (measure, fieldset.find_element(By.TAG_NAME, "legend").text.strip()[:30],
                                           "applied" if applied else "not applied, with a reason"))
    feedback.find_element(By.NAME, "outcome").send_keys("取消其参加本次政府采购活动的资格")
    click_and_wait(d, feedback.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    notices = d.find_elements(By.CSS_SELECTOR, ".result.ok")
    errors = text_of(d, ".result.bad")
    assert notices, "sending the feedback shows no .result.ok notice%s" % (": " + errors if errors else "")
    notice = notices[0].text.strip()
    assert "已记录查询" in notice and "谢谢反馈" in notice and check_id in notice, "the feedback notice reads %r" % notice
    stored = dict(db_rows(ctx, "SELECT measure_id, applied FROM check_measures WHERE check_id = ?", (check_id,)))
    assert {m: bool(a) if a is not None else None for m, a in stored.items()} == sent, \
        "the database holds the feedback %s for check %s, sent %s" % (stored, check_id, sent)
    ctx.check_id = check_id
    log("      feedback -> %r" % notice)


# ---------------------------------------------------------------- due process

REVIEWER = "demo-reviewer"


def open_case_free_record(ctx, where, params=()):
    """(record id, document number, subject code) of a public record matching `where`, with no objection or
    repair application on it yet."""
    today = beijing_today()
    rows = db_rows(
        ctx, "SELECT r.id, r.document_no, s.code FROM credit_records r JOIN subjects s ON s.id = r.subject_id "
        "WHERE r.status = 'active' AND r.publicity_start <= ? AND r.publicity_end > ? AND s.code IS NOT NULL "
        "AND s.code_check_failed = 0 AND s.kind <> 'natural_person' AND %s "
        "AND NOT EXISTS (SELECT 1 FROM objections o WHERE o.record_id = r.id) "
        "AND NOT EXISTS (SELECT 1 FROM repair_applications a WHERE a.record_id = r.id) ORDER BY r.id LIMIT 1" % where,
        (today, today) + tuple(params))
    assert rows, "the demo database holds no public record with %s and no case on it" % where
    return rows[0]


def evidence_file(ctx, name, content):
    path = os.path.join(tempfile.gettempdir(), "xy-%d-%s" % (os.getpid(), name))
    with open(path, "wb") as f:
        f.write(content)
    return path


def fill_filer(driver, form):
    fill(driver, form, {"filer_name": "郴州市浏览器测试有限公司", "filer_identifier": "91431000MA4L000001",
                        "contact": "0735-2000000"})


def office_case(ctx, path, number):
    """The reviewer's office page of open cases, and the block of one case on it."""
    d = ctx.driver
    d.get(ctx.url(path + "?status="))
    wait_for(d, "main h1")
    blocks = d.find_elements(By.ID, "case-%s" % number)
    assert blocks, "%s does not list %s" % (path, number)
    return blocks[0]


def step_objection(ctx):
    """(u) the public files an objection with a PDF from a profile, follows it by number and code; a reviewer
    accepts it and rejects it with reasons; the 异议处理中 flag comes and goes."""
    d = ctx.driver
    signed_out(ctx)
    record_id, document_no, code = open_case_free_record(ctx, "r.record_type = 'admin_penalty' AND r.tier = 'general'")
    d.get(ctx.url("/subjects/%s" % code))
    links = d.find_elements(By.CSS_SELECTOR, "a[href='/records/%s/objection']" % record_id)
    assert links, "the profile of %s offers no 异议申诉 button for %s" % (code, document_no)
    click_and_wait(d, links[0])
    form = wait_for(d, "#objection-form")
    Select(form.find_element(By.NAME, "kind")).select_by_value("content")
    fill(d, form, {"statement": "处罚金额与决定书记载不一致，请核实。"})
    fill_filer(d, form)
    form.find_element(By.NAME, "evidence").send_keys(evidence_file(ctx, "decision.pdf", b"%PDF-1.4\n% browser test\n"))
    submit_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    number = text_of(d, "#receipt-number")
    follow_up = text_of(d, "#follow-up-code")
    assert number.startswith("YY") and len(follow_up) == 12, "the receipt shows %r / %r" % (number, follow_up)
    screenshot(ctx, "objection-receipt.png")
    d.get(ctx.url("/subjects/%s" % code))
    assert "异议处理中" in d.find_element(By.TAG_NAME, "main").text, "the profile shows no 异议处理中 after filing"
    d.get(ctx.url("/objections/%s" % number))
    assert text_of(d, "#case-status") == "已提交", "the status page says %r" % text_of(d, "#case-status")
    form = wait_for(d, "form.record-form")
    fill(d, form, {"code": "WRONGCODE123"})
    submit_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "查询码与编号不符" in d.page_source, "a forged follow-up code was not refused"
    d.get(ctx.url("/objections/%s" % number))
    form = wait_for(d, "form.record-form")
    fill(d, form, {"code": follow_up})
    submit_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "decision.pdf" in d.page_source, "the follow-up code does not show the filing's details"

    signed_in_as(ctx, REVIEWER)
    retrying_stale_pages(lambda: reject_objection(ctx, number))
    signed_out(ctx)
    d.get(ctx.url("/objections/%s" % number))
    assert text_of(d, "#case-status") == "异议不成立", "after the decision the status page says %r" % text_of(d, "#case-status")
    d.get(ctx.url("/records/%s" % record_id))
    assert "异议处理中" not in d.find_element(By.TAG_NAME, "main").text, "the flag stayed after the decision"
    log("      %s on %s: filed, followed, accepted, rejected; flag gone" % (number, document_no))


def step_repair(ctx):
    """(v) repair refused before its date (the page names the date); after it, an application with the
    commitment, forwarded and granted on the office page: the record leaves the profile, the black list
    and a check."""
    d = ctx.driver
    signed_out(ctx)
    today = beijing_today()
    early = db_rows(ctx, "SELECT id, repair_eligible_from FROM credit_records WHERE record_type = 'admin_penalty' "
                    "AND status = 'active' AND repair_eligible_from > ? AND publicity_start <= ? AND publicity_end > ? LIMIT 1",
                    (today, today, today))
    assert early, "the demo database holds no penalty before its repair date"
    d.get(ctx.url("/records/%s/repair" % early[0][0]))
    assert early[0][1] in d.find_element(By.TAG_NAME, "main").text, "the refusal does not name the date %s" % early[0][1]

    record_id, document_no, code = open_case_free_record(
        ctx, "r.record_type = 'serious_dishonesty' AND r.repair_eligible_from <= ?", (today,))
    d.get(ctx.url("/subjects/%s" % code))
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "a[href='/records/%s/repair']" % record_id))
    form = wait_for(d, "#repair-form")
    fill(d, form, {"conduct": "已履行全部义务并完成整改。", "signer": "张三"})
    fill_filer(d, form)
    form.find_element(By.NAME, "agree").click()
    form.find_element(By.NAME, "evidence").send_keys(evidence_file(ctx, "receipt.png", b"\x89PNG\r\n\x1a\n browser test"))
    submit_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    number = text_of(d, "#receipt-number")
    assert number.startswith("XF"), "the repair receipt shows %r" % number

    signed_in_as(ctx, REVIEWER)
    retrying_stale_pages(lambda: grant_repair(ctx, number))
    signed_out(ctx)
    d.get(ctx.url("/subjects/%s" % code))
    assert document_no not in d.find_element(By.TAG_NAME, "main").text, "the repaired record is still on the profile"
    status, _, body = fetch(ctx.url("/lists/black?q=%s" % urllib.parse.quote(code)))
    assert document_no not in body.decode("utf-8", "replace"), "the repaired record still founds a black-list entry"
    state = db_rows(ctx, "SELECT state, ended_reason FROM list_memberships WHERE record_id = ?", (record_id,))
    assert state == [("ended", "repaired")], "the black-list membership of %s is %s" % (document_no, state)
    signed_in_as(ctx, CLERK)
    d.get(ctx.url("/checks"))
    form = wait_for(d, "form[action='/checks']")
    fill(d, form, {"code": code, "matter": "信用修复浏览器测试"})
    Select(form.find_element(By.NAME, "scenario")).select_by_value(CHECK_SCENARIO)
    click_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert document_no not in text_of(d, ".result"), "a check still applies the repaired record %s" % document_no
    log("      %s on %s: repaired; gone from profile, black list and check" % (number, document_no))


def retrying_stale_pages(action, attempts=3):
    """Runs `action` again when Chromium reports an element of a page it has just replaced (a race between a
    redirect and the next lookup, seen now and then on a loaded machine). `action` must be safe to repeat."""
    for attempt in range(attempts):
        try:
            return action()
        except WebDriverException as error:
            stale = isinstance(error, StaleElementReferenceException) or "does not belong to the document" in str(error)
            if not stale or attempt == attempts - 1:
                raise
            log("      (again after a replaced page: %s)" % str(error).splitlines()[0][:120])


def already_decided(ctx, path, status, number):
    """Whether an earlier attempt, whose page was replaced under it, already decided the case: a decided case
    is no longer among the open ones, so a repeat must look for it under its decision."""
    ctx.driver.get(ctx.url(path + "?status=" + status))
    wait_for(ctx.driver, "main h1")
    return bool(ctx.driver.find_elements(By.ID, "case-%s" % number))


def decide_case(ctx, path, number, step, decision, reasons, shot=None):
    """The reviewer takes a case's first step (accepting an objection, forwarding a repair) unless it was
    taken, then records `decision`; safe to repeat after Chromium replaced a page under an earlier attempt."""
    d = ctx.driver
    if already_decided(ctx, path, decision, number):
        return
    block = office_case(ctx, path, number)
    buttons = block.find_elements(By.CSS_SELECTOR, "form[action$='/%s'] button" % step)
    if buttons:
        click_and_wait(d, buttons[0])
        block = office_case(ctx, path, number)
    form = block.find_element(By.CSS_SELECTOR, "form[action$='/decision']")
    Select(form.find_element(By.NAME, "decision")).select_by_value(decision)
    fill(d, form, {"reasons": reasons})
    if shot:
        screenshot(ctx, shot)
    click_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def reject_objection(ctx, number):
    decide_case(ctx, "/office/objections", number, "accept", "rejected", "经核实，与决定书记载一致", shot="office-objections.png")


def grant_repair(ctx, number):
    decide_case(ctx, "/office/repairs", number, "forward", "repaired", "失信行为已纠正，同意修复")


def step_clerk_logout(ctx):
    """(n) 退出 in the header ends the clerk's session: /submit sends the browser to /login again."""
    d = ctx.driver
    signed_in_as(ctx, CLERK)
    d.get(ctx.url("/submit"))
    wait_for(d, "form[action='/submit']")
    old_session = as_browser(ctx)
    log_out(ctx)
    d.get(ctx.url("/submit"))
    wait_for(d, "form[action='/login']")
    assert path_of(d) == "/login" and query_of(d).get("next") == ["/submit"], \
        "after logging out, /submit went to %s, expected /login?next=/submit" % d.current_url
    log("      browser: /submit -> %s" % d.current_url[len(ctx.base):])
    # The old session cookie is dead at the server too.
    status, headers, _ = fetch(ctx.url("/submit"), headers=old_session, follow_redirects=False)
    location = headers.get("Location") or ""
    assert status == 303 and urllib.parse.urlparse(location).path == "/login", \
        "/submit with the logged-out session's cookie answered %d %r, expected 303 to /login" % (status, location)
    log("      the old session cookie -> %d %s" % (status, location))


def step_admin_office(ctx):
    """(o) an administrator logs in (through a login's next) and opens the office pages; the audit trail
    shows the clerk's login."""
    d = ctx.driver
    signed_out(ctx)
    d.get(ctx.url("/office/users"))
    wait_for(d, "form[action='/login']")
    log_in(ctx, ADMIN, expect_path="/office/users")
    pages = (("/office/quality", "数据质量与及时性", "office-quality.png"),
             ("/office/checks", "联合奖惩措施落实情况", None),
             ("/office/users", "用户管理", "office-users.png"),
             ("/office/audit", "审计记录", None))
    for path, heading, shot in pages:
        links = d.find_elements(By.CSS_SELECTOR, "header nav.account a[href='%s']" % path)
        assert links, "the administrator's header has no link to %s" % path
        click_and_wait(d, links[0])
        assert path_of(d) == path, "the header's link to %s went to %s" % (path, d.current_url)
        h1 = h1_of(d)
        assert heading in h1, "%s has h1 %r, expected %s" % (path, h1, heading)
        assert_no_inline_script(d)
        status, headers, _ = fetch(ctx.url(path), headers=as_browser(ctx))
        assert status == 200, "GET %s with the administrator's session answered %d" % (path, status)
        check_policy("GET %s" % path, headers)
        detail = ""
        if path == "/office/checks":
            assert "联合奖惩反馈" in d.title, "/office/checks has title %r" % d.title
            asked = re.search(r"查询 (\d+) 次", text_of(d, "main p.muted"))
            assert asked, "/office/checks does not say how many checks were made"
            if ctx.check_id:
                assert int(asked.group(1)) >= 1, "/office/checks counts %s checks after the clerk's" % asked.group(1)
            detail = ", checks: %s" % asked.group(1)
        if path == "/office/users":
            names = [row.find_element(By.TAG_NAME, "td").text.strip()
                     for row in d.find_elements(By.CSS_SELECTOR, "table tbody tr")]
            missing = [n for n in HOMES if n not in names]
            assert not missing, "/office/users does not list %s (lists %s)" % (missing, names)
            detail = ", %d users" % len(names)
        log("      %-16s %s%s" % (path, h1, detail))
        if shot:
            screenshot(ctx, shot)

    # The clerk's login in the audit trail, found with the page's own filter.
    box = wait_for(d, "form.filters input[name=user]")
    box.clear()
    box.send_keys(CLERK)
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
    rows = [[td.text.strip() for td in row.find_elements(By.TAG_NAME, "td")]
            for row in d.find_elements(By.CSS_SELECTOR, "table tbody tr")]
    logins = [r for r in rows if len(r) > 3 and r[3] == "登录" and CLERK in r[2]]
    assert logins, "the audit trail filtered by %s shows no 登录 row (%d rows, actions %s)" % (
        CLERK, len(rows), sorted({r[3] for r in rows if len(r) > 3}))
    log("      /office/audit?user=%s: %d rows, %d 登录 (latest at %s)" % (CLERK, len(rows), len(logins), logins[0][1]))
    screenshot(ctx, "office-audit.png")
    log_out(ctx)


def step_evaluation(ctx):
    """(w) an administrator opens 信用评价 from the header, looks up a black-listed firm's explanation (grade D,
    the black-list veto first, its record with objection and repair links, a what-if), turns public grades on,
    sees the grade on the firm's public profile and its public explanation, and turns them off again."""
    d = ctx.driver
    code, name = black_listed_subject(ctx)
    signed_out(ctx)
    log_in(ctx, ADMIN)
    links = d.find_elements(By.CSS_SELECTOR, "header nav.account a[href='/office/evaluation']")
    assert links, "the administrator's header has no link to /office/evaluation"
    click_and_wait(d, links[0])
    assert "公共信用综合评价" in h1_of(d), "/office/evaluation has h1 %r" % h1_of(d)
    tables = d.find_elements(By.CSS_SELECTOR, "main table")
    assert len(tables) >= 4, "/office/evaluation shows %d tables, expected the model and three distributions" % len(tables)
    assert_no_inline_script(d)
    screenshot(ctx, "office-evaluation.png")
    box = wait_for(d, "form[action='/office/evaluation/explain'] input[name=code]")
    box.send_keys(code)
    submit_and_wait(d, d.find_element(By.CSS_SELECTOR, "form[action='/office/evaluation/explain'] button"))
    grade = text_of(d, "p.grade strong")
    assert grade.startswith("D"), "%s (%s) is on the black list but its explanation says %r" % (name, code, grade)
    rows = [[td.text.strip() for td in row.find_elements(By.TAG_NAME, "td")] for row in d.find_elements(By.CSS_SELECTOR, "table tbody tr")]
    assert rows and rows[0][0] == "V01", "the first reason of a black-listed firm is %r, expected the veto V01" % (rows[:1],)
    record_links = d.find_elements(By.CSS_SELECTOR, "table tbody tr td a[href$='/objection']")
    assert record_links, "the explanation links no objection form"
    assert d.find_elements(By.CSS_SELECTOR, "table tbody tr td a[href$='/repair']"), "the explanation links no repair form"
    assert "若修复此记录" in visible_text(d), "the explanation has no what-if"
    screenshot(ctx, "office-evaluation-explain.png")
    log("      %s: %s, %d reasons, what-if: %s" % (name, grade, len(rows), rows[0][-1]))

    d.get(ctx.url("/office/evaluation"))
    submit_and_wait(d, wait_for(d, "form[action='/office/evaluation/public'] button"))
    d.get(ctx.url("/subjects/%s" % code))
    shown = d.find_elements(By.CSS_SELECTOR, "dl.identity span.grade")
    assert shown and shown[0].text.startswith("D"), "with public grades on, the profile of %s shows %r" % (code, [e.text for e in shown])
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "dl.identity a[href='/subjects/%s/evaluation']" % code))
    assert "主要扣分原因" in visible_text(d), "the public explanation lacks its reasons"
    assert_chinese(d, "the public explanation")
    d.get(ctx.url("/office/evaluation"))
    submit_and_wait(d, wait_for(d, "form[action='/office/evaluation/public'] button"))
    status, _, _ = fetch(ctx.url("/subjects/%s/evaluation" % code))
    assert status == 404, "with public grades off again, the public explanation answered %d" % status
    log_out(ctx)


def step_circle(ctx):
    """(z) a visitor opens 示范园区 from the header, a park's page with its targets and its charts beside the
    other parks and the city; then a member rated by 郴州市建筑业协会, whose profile shows the rating in the
    associations' section, labelled as the association's and not the government's."""
    d = ctx.driver
    signed_out(ctx)
    d.get(ctx.url("/"))
    click_and_wait(d, wait_for(d, "header nav a[href='/parks']"))
    assert h1_of(d) == "诚信示范园区", "/parks has h1 %r" % h1_of(d)
    parks = d.find_elements(By.CSS_SELECTOR, "main table tbody tr td a[href^='/parks/']")
    assert len(parks) >= 3, "/parks lists %d parks, the demo names 3" % len(parks)
    click_and_wait(d, next(a for a in parks if a.get_attribute("href").endswith("/parks/gaoxin")))
    charts = d.find_elements(By.CSS_SELECTOR, "div.charts figure svg.chart")
    assert len(charts) == 5, "the park page shows %d charts, expected one per figure and the monthly line" % len(charts)
    bars = charts[0].find_elements(By.CSS_SELECTOR, "rect.bar")
    assert len(bars) == 4 and len(charts[0].find_elements(By.CSS_SELECTOR, "rect.bar.own")) == 1, \
        "the first chart has %d bars, expected this park, the two others and the city" % len(bars)
    verdicts = [e.text for e in d.find_elements(By.CSS_SELECTOR, "main table tbody td span.flag")]
    assert verdicts and all(v in ("达标", "未达标") for v in verdicts), "the targets show %r" % verdicts
    assert "通过复核" in visible_text(d) or "限期整改" in visible_text(d), "the park page lacks last year's review"
    assert_no_inline_script(d)
    assert_chinese(d, "the park page")
    screenshot(ctx, "park.png")
    log("      %s: %d charts, targets %s" % (h1_of(d), len(charts), "/".join(verdicts)))

    rated = db_rows(ctx, """
        SELECT s.code, r.document_no FROM credit_records r JOIN subjects s ON s.id = r.subject_id
        WHERE r.department_id = '431000-association-construction' AND r.record_type = 'association_rating'
        AND r.status = 'active' AND s.code IS NOT NULL ORDER BY r.id LIMIT 1""")
    assert rated, "the demo has no member rated by 郴州市建筑业协会"
    code, number = rated[0]
    d.get(ctx.url("/subjects/%s" % code))
    sections = [s for s in d.find_elements(By.CSS_SELECTOR, "section.records") if "行业协会商会信息" in s.text]
    assert sections, "the profile of %s has no associations' section" % code
    card = next((c for c in sections[0].find_elements(By.CSS_SELECTOR, "div.record") if number in c.text), None)
    assert card is not None, "the associations' section of %s lacks the rating %s" % (code, number)
    assert "非政府部门认定" in card.text and "来源部门" not in card.text, \
        "the rating %s is not labelled as the association's: %r" % (number, card.text[:200])
    screenshot(ctx, "association-rating.png")
    d.get(ctx.url("/associations/431000-association-construction"))
    assert number in visible_text(d), "the association's page does not list %s" % number
    log("      %s: rating %s labelled as the association's" % (code, number))


def step_auditor_refused(ctx):
    """(p) an auditor lands on the audit trail and is refused the user administration (403, 无权访问)."""
    d = ctx.driver
    signed_out(ctx)
    log_in(ctx, AUDITOR, expect_path=HOMES[AUDITOR])
    assert h1_of(d) == "审计记录", "the auditor's home has h1 %r" % h1_of(d)
    assert not d.find_elements(By.CSS_SELECTOR, "header a[href='/office/users']"), \
        "the auditor's header links to /office/users"
    d.get(ctx.url("/office/users"))
    h1 = h1_of(d)
    assert path_of(d) == "/office/users" and h1 == "无权访问", \
        "the auditor's /office/users shows %r at %s, expected 无权访问" % (h1, d.current_url)
    assert not d.find_elements(By.CSS_SELECTOR, "form[action='/office/users']"), "the 403 page holds the add-user form"
    status, headers, _ = fetch(ctx.url("/office/users"), headers=as_browser(ctx), follow_redirects=False)
    assert status == 403, "GET /office/users with the auditor's session answered %d, expected 403" % status
    check_policy("the 403 page of /office/users", headers)
    log("      /office/users -> %d %s (%s)" % (status, h1, text_of(d, "main p")[:60]))
    log_out(ctx)


def pager_state(driver, what):
    """(current page, page count, prev href or None, next href or None, numbered links) of the nav.pager."""
    pagers = driver.find_elements(By.CSS_SELECTOR, "nav.pager")
    assert pagers, "%s shows no nav.pager" % what
    pager = pagers[0]
    current = pager.find_elements(By.CSS_SELECTOR, "[aria-current=page]")
    assert current, "the pager of %s marks no current page (aria-current=page)" % what
    of = re.search(r"第\s*(\d+)\s*/\s*(\d+)\s*页", pager.text)
    assert of, "the pager of %s does not say 第 n / m 页: %r" % (what, pager.text)
    prev = pager.find_elements(By.CSS_SELECTOR, "a[rel=prev]")
    nxt = pager.find_elements(By.CSS_SELECTOR, "a[rel=next]")
    for link, label in ((prev, "上一页"), (nxt, "下一页")):
        if link:
            assert link[0].text.strip() == label, "the pager's %s link of %s reads %r" % (label, what, link[0].text)
        else:
            assert label in pager.text, "the pager of %s has neither a %s link nor a disabled %s" % (what, label, label)
    numbers = [a for a in pager.find_elements(By.TAG_NAME, "a") if a.text.strip().isdigit()]
    assert int(current[0].text.strip()) == int(of.group(1)), \
        "the pager of %s marks page %s but says %r" % (what, current[0].text, of.group(0))
    return (int(of.group(1)), int(of.group(2)), prev[0].get_attribute("href") if prev else None,
            nxt[0].get_attribute("href") if nxt else None, numbers)


def step_search_pager(ctx):
    """(q) the search pager: previous/next and page numbers, page 2 has hits, a page past the last shows the
    last page and says so."""
    d = ctx.driver
    d.get(ctx.url("/search?q=" + urllib.parse.quote("公司")))
    wait_for(d, "ol.hits")
    hits = d.find_elements(By.CSS_SELECTOR, "ol.hits li.hit")
    assert len(hits) == PAGE_SIZE, "the first page of 公司 shows %d hits, expected %d" % (len(hits), PAGE_SIZE)
    page, pages, prev, nxt, numbers = pager_state(d, "/search?q=公司")
    assert page == 1 and prev is None, "the first page of 公司 is page %d with a 上一页 link %s" % (page, prev)
    assert nxt, "the first page of 公司 (of %d pages) has no 下一页 link" % pages
    assert numbers, "the pager of 公司 shows no page-number links"
    summary = text_of(d, "p.summary")
    capped = "capped" in (d.find_element(By.CSS_SELECTOR, "p.summary").get_attribute("class") or "")
    log("      公司: page %d of %d, %d hits, page links %s%s" % (
        page, pages, len(hits), " ".join(a.text for a in numbers), ", capped: %s" % summary[:40] if capped else ""))
    first_names = [h.text.splitlines()[0] for h in hits]

    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "nav.pager a[rel=next]"))
    assert query_of(d).get("page") == ["2"], "下一页 went to %s" % d.current_url
    hits = d.find_elements(By.CSS_SELECTOR, "ol.hits li.hit")
    assert hits, "page 2 of 公司 shows no hits"
    page, pages2, prev, nxt, _ = pager_state(d, "page 2 of 公司")
    assert page == 2 and prev, "page 2 of 公司: pager on page %d, 上一页 link %s" % (page, prev)
    assert pages2 == pages, "page 2 of 公司 counts %d pages, page 1 counted %d" % (pages2, pages)
    repeated = [h.text.splitlines()[0] for h in hits if h.text.splitlines()[0] in first_names]
    assert len(repeated) < len(hits), "page 2 of 公司 repeats page 1: %s" % repeated[:3]
    assert not d.find_elements(By.CSS_SELECTOR, "p.message[role=status]"), \
        "page 2 of 公司 shows a notice: %s" % text_of(d, "p.message[role=status]")
    log("      下一页 -> page %d, %d hits, 上一页 -> %s" % (page, len(hits), prev[len(ctx.base):]))

    d.get(ctx.url("/search?q=%s&page=999" % urllib.parse.quote("公司")))
    wait_for(d, "ol.hits")
    hits = d.find_elements(By.CSS_SELECTOR, "ol.hits li.hit")
    assert hits, "page 999 of 公司 shows an empty page"
    page, last, prev, nxt, _ = pager_state(d, "page 999 of 公司")
    assert page == last == pages, "page 999 of 公司 shows page %d of %d, expected the last (%d)" % (page, last, pages)
    assert nxt is None, "the last page of 公司 has a 下一页 link %s" % nxt
    notice = text_of(d, "p.message[role=status]")
    assert "超出范围" in notice and "999" in notice, "page 999 of 公司 does not say it is out of range: %r" % notice
    log("      page=999 -> page %d, %d hits, %r" % (page, len(hits), notice))


def step_listing(ctx):
    """(r) the double-publicity listing: a total and a table; the document-number filter narrows it."""
    d = ctx.driver
    d.get(ctx.url("/publicity/penalties"))
    total = wait_for(d, "p.listing-summary strong.total").text.strip()
    found = re.fullmatch(r"共\s*(\d+)\s*条", total)
    assert found, "/publicity/penalties shows the total %r, expected 共 … 条" % total
    count = int(found.group(1))
    rows = d.find_elements(By.CSS_SELECTOR, ".table-scroll table.listing tbody tr")
    assert count > 0 and rows, "/publicity/penalties: %s, %d table rows" % (total, len(rows))
    headers = [th.text.strip() for th in d.find_elements(By.CSS_SELECTOR, "table.listing thead th")]
    assert "文书号" in headers and "主体名称" in headers, "the listing's columns are %s" % headers
    link = rows[0].find_element(By.CSS_SELECTOR, "td.doc a")
    document = link.text.strip()
    ctx.record_path = urllib.parse.urlparse(link.get_attribute("href")).path
    prefix = document.split("〔")[0] if "〔" in document else document[:4]
    assert prefix, "the first row's document number is %r" % document
    log("      /publicity/penalties: %s, %d rows on the page, first %s (%s)" % (total, len(rows), document,
                                                                                ctx.record_path))

    box = d.find_element(By.CSS_SELECTOR, "form.filters input[name=doc]")
    box.clear()
    box.send_keys(prefix)
    submit_and_wait(d, box)
    assert query_of(d).get("doc") == [prefix], "the 文书号 filter sent %s" % d.current_url
    total = wait_for(d, "p.listing-summary strong.total").text.strip()
    narrowed = int(re.fullmatch(r"共\s*(\d+)\s*条", total).group(1))
    documents = [a.text.strip() for a in d.find_elements(By.CSS_SELECTOR, "table.listing tbody td.doc a")]
    assert documents and narrowed >= 1, "doc=%s shows %s and %d rows" % (prefix, total, len(documents))
    assert document in documents or narrowed > len(documents), "doc=%s lost the first row's %s" % (prefix, document)
    wrong = [x for x in documents if not x.startswith(prefix)]
    assert not wrong, "doc=%s shows rows with other document numbers: %s" % (prefix, wrong[:5])
    assert narrowed <= count, "doc=%s counts %d, more than the unfiltered %d" % (prefix, narrowed, count)
    log("      doc=%s: %s, all %d rows start with it" % (prefix, total, len(documents)))


def public_pages(ctx):
    """(name, path) of the public pages shot at both sizes (the monitoring ones come with step t)."""
    d = ctx.driver
    if not ctx.record_path or not ctx.code:
        d.get(ctx.url("/publicity/penalties"))
        row = wait_for(d, "table.listing tbody tr")
        ctx.record_path = ctx.record_path or urllib.parse.urlparse(
            row.find_element(By.CSS_SELECTOR, "td.doc a").get_attribute("href")).path
        subject = ctx.code or urllib.parse.urlparse(
            row.find_element(By.CSS_SELECTOR, "td.subject a").get_attribute("href")).path.rsplit("/", 1)[-1]
    else:
        subject = ctx.code
    return [("home", "/"), ("search", "/search?q=" + urllib.parse.quote("公司")), ("profile", "/subjects/" + subject),
            ("penalties", "/publicity/penalties"), ("licences", "/publicity/licences"), ("black", "/lists/black"),
            ("red", "/lists/red"), ("record", ctx.record_path), ("verify", "/verify"), ("repair", "/repair"),
            ("objections", "/objections"), ("login", "/login")]


def step_pages(ctx):
    """(s) every public page: no English sentences, a desktop and a phone screenshot, no sideways scrolling
    on the phone."""
    signed_out(ctx)
    failures = []
    for name, path in public_pages(ctx):
        try:
            both_sizes(ctx, name, path)
        except AssertionError as error:
            failures.append(str(error))
            log("      %-14s %s: %s" % (name, path, error))
    assert not failures, "; ".join(failures)


def monitoring_months(ctx, timeout=60):
    status, _, body = fetch(ctx.url("/api/v1/monitoring/months"), headers={"Accept": "application/json"},
                            timeout=timeout)
    assert status == 200, "GET /api/v1/monitoring/months answered %d" % status
    answer = json.loads(body)
    assert isinstance(answer.get("months"), list), "/api/v1/monitoring/months answered %r" % answer
    return answer["months"]


def chenzhou_row(ctx, month):
    """The cells of 郴州市's row in the prefecture table of month, found with the table's own filter."""
    d = ctx.driver
    d.get(ctx.url("/monitoring?month=%s&group=prefecture&q=%s" % (month, urllib.parse.quote("郴州"))))
    wait_for(d, "section.monitoring")
    rows = [[td.text.strip() for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in d.find_elements(By.CSS_SELECTOR, "table.ranking tbody tr")]
    mine = [r for r in rows if len(r) > 5 and r[1].startswith(CHENZHOU[1])]
    assert mine, "%s: the prefecture table filtered by 郴州 has no %s row (rows %s; %s)" % (
        month, CHENZHOU[1], [r[1] for r in rows if len(r) > 1][:5], text_of(d, "section.monitoring p.empty"))
    return mine[0]


def step_monitoring(ctx):
    """(t) the monitoring demo is loaded; 郴州市 reads 84.32 points and rank 47 in 2018-12, rank 24 in 2019-03."""
    d = ctx.driver
    deadline = ctx.started + MONITORING_WAIT
    waited = time.monotonic()
    months, slow = [], 0
    while True:
        asked = time.monotonic()
        try:
            months = monitoring_months(ctx, timeout=max(5, min(30, deadline - asked)))
        except (TimeoutError, urllib.error.URLError) as error:  # busy storing the demo's months: ask again
            slow += 1
            log("      /api/v1/monitoring/months did not answer in %.0f s (%s); asking again"
                % (time.monotonic() - asked, getattr(error, "reason", error)))
        else:
            if time.monotonic() - asked > 5:
                slow += 1
                log("      /api/v1/monitoring/months took %.1f s to answer" % (time.monotonic() - asked))
        if MONITORING_MONTH in months:
            break
        if time.monotonic() > deadline:
            raise AssertionError(
                "the monitoring demo is not ready %.0f s after the test started: /api/v1/monitoring/months "
                "lists %s, not %s (serve --demo loads it in the background; see the server's log)"
                % (time.monotonic() - ctx.started, months[-5:] or "no month", MONITORING_MONTH))
        time.sleep(3)
    log("      months ready (%s … %s, %d) after waiting %.0f s, %.0f s after the test started%s" % (
        months[0], months[-1], len(months), time.monotonic() - waited, time.monotonic() - ctx.started,
        ", %d slow answer(s)" % slow if slow else ""))
    for month, (score, rank) in CHENZHOU_EXPECTED.items():
        assert month in months, "the monitoring demo has no month %s (has %s … %s)" % (month, months[0], months[-1])
        row = chenzhou_row(ctx, month)
        assert row[0] == rank, "%s: %s is ranked %r among prefectures, expected %s" % (month, CHENZHOU[1], row[0], rank)
        if score:
            assert row[5] == score, "%s: %s scores %r, expected %s" % (month, CHENZHOU[1], row[5], score)
        log("      %s: %s rank %s, score %s" % (month, row[1], row[0], row[5]))

    # The unfiltered table (50 to a page) places it at the same rank.
    path = "/monitoring?month=%s&group=prefecture" % MONITORING_MONTH
    d.get(ctx.url(path))
    wait_for(d, "table.ranking")
    expected = int(CHENZHOU_EXPECTED[MONITORING_MONTH][1])
    rows = [[td.text.strip() for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in d.find_elements(By.CSS_SELECTOR, "table.ranking tbody tr")]
    assert len(rows) <= 50, "the monitoring table shows %d rows on a page, expected at most 50" % len(rows)
    mine = [r for r in rows if len(r) > 5 and r[1].startswith(CHENZHOU[1])]
    assert mine and mine[0][0] == str(expected), \
        "the unfiltered prefecture table's first page shows %s (expected %s at rank %d)" % (
            mine[0][:6] if mine else "no %s row" % CHENZHOU[1], CHENZHOU[1], expected)
    pager = d.find_elements(By.CSS_SELECTOR, "nav.pager")
    log("      unfiltered: %d rows on page 1, %s at rank %s%s" % (
        len(rows), CHENZHOU[1], mine[0][0], ", pager %r" % pager[0].text.replace("\n", " ")[:60] if pager else ""))
    both_sizes(ctx, "monitoring", path, ready="table.ranking")
    both_sizes(ctx, "monitoring-city", "/monitoring/cities/%s?month=%s" % (CHENZHOU[0], MONITORING_MONTH),
               ready="section.monitoring.city")


def open_home_case(ctx):
    """From the home page's 典型案例 to the first case's page; returns the case's title."""
    d = ctx.driver
    d.get(ctx.url("/"))
    link = wait_for(d, "section.culture a[href^='/cases/']")
    title = link.text.strip()
    click_and_wait(d, link)
    assert path_of(d).startswith("/cases/"), "the home page's case went to %s" % d.current_url
    return title


def step_case(ctx):
    """(x) a typical case on the home page: open it, see its sanitised text and its linked record, open the record."""
    signed_out(ctx)
    d = ctx.driver
    title = retrying_stale_pages(lambda: open_home_case(ctx))
    assert h1_of(d) == title, "the case page's h1 is %r, the home page said %r" % (h1_of(d), title)
    assert d.find_elements(By.CSS_SELECTOR, ".article-body p"), "the case page has no text"
    assert_no_inline_script(d)
    record = wait_for(d, "ul.linked-records a[href^='/records/']")
    record_path, label = urllib.parse.urlparse(record.get_attribute("href")).path, record.text.strip()
    screenshot(ctx, "case.png")
    click_and_wait(d, record)
    assert path_of(d) == record_path, "the linked record went to %s" % d.current_url
    assert "未找到" not in h1_of(d), "the case's record %s is not public" % record_path
    log("      %s → %s (%s)" % (title, record_path, label))


# ---------------------------------------------------------------- agencies

DEMO_AGENCY = "demo-agency"  # AgencyDemo.swift's agency, registered with every scope


def agency_key(ctx):
    """A key of the demo agency, issued through the admin API in a session of the demo administrator that
    logs in over HTTP (as a script would, the form token of /account in X-CSRF-Token) and then logs out; the
    browser itself stays signed out."""
    def cookie(headers, name):
        found = [c.split(";")[0] for c in headers.get_all("Set-Cookie") or [] if c.startswith(name + "=")]
        assert found, "no %s cookie in %s" % (name, headers.get_all("Set-Cookie"))
        return found[0]

    status, headers, body = fetch(ctx.url("/login"), headers={"Accept": "text/html"})
    token = re.search(r'name="token" value="([^"]+)"', body.decode()).group(1)
    form = urllib.parse.urlencode({"name": ADMIN, "password": demo_passwords(ctx)[ADMIN], "token": token}).encode()
    status, answer, _ = fetch(ctx.url("/login"), data=form, follow_redirects=False, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie(headers, "xy_login")})
    assert status == 303, "the administrator's login over HTTP answered %d" % status
    session = cookie(answer, "xy_session")
    _, _, page = fetch(ctx.url("/account"), headers={"Accept": "text/html", "Cookie": session})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.decode()).group(1)
    body = json.dumps({"role": "agency", "agency_id": DEMO_AGENCY, "name": "browser test"}).encode()
    status, _, answer = fetch(ctx.url("/api/v1/admin/keys"), data=body, headers={
        "Accept": "application/json", "Content-Type": "application/json", "Cookie": session, "X-CSRF-Token": csrf})
    assert status == 201, "POST /api/v1/admin/keys for %s answered %d: %s" % (DEMO_AGENCY, status, answer[:300])
    fetch(ctx.url("/logout"), data=urllib.parse.urlencode({"csrf": csrf}).encode(), follow_redirects=False, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": session})
    return json.loads(answer)["secret"]


def step_agency(ctx):
    """(y) an organisation grants the demo agency a consent through /consents/new; the agency reads the
    consented data over HTTP with its key; /consents/{number} with the code shows that read in the log."""
    signed_out(ctx)
    d = ctx.driver
    # An organisation with a record whose publicity ended: the consented read shows what the public no longer sees.
    rows = db_rows(ctx, "SELECT s.name, s.code FROM subjects s WHERE s.kind <> 'natural_person' AND s.code IS NOT NULL "
                        "AND s.code_check_failed = 0 AND EXISTS (SELECT 1 FROM credit_records r WHERE r.subject_id = s.id "
                        "AND r.publicity_end <= ?) ORDER BY s.id LIMIT 1 OFFSET 7", (beijing_today(),))
    assert rows, "the demo has no organisation with a unified code and a record no longer public"
    name, code = rows[0]
    d.get(ctx.url("/consents/new"))
    form = wait_for(d, "form#consent-form")
    Select(form.find_element(By.NAME, "agency")).select_by_value(DEMO_AGENCY)
    fill(d, form, {"subject_name": name, "subject_code": code, "purpose": "出具第三方信用报告", "signer": "王经理"})
    form.find_element(By.CSS_SELECTOR, "input[name=scopes][value=consented]").click()
    submit_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    number, follow_up = text_of(d, "#consent-number"), text_of(d, "#follow-up-code")
    assert number.startswith("SQ") and len(follow_up) == 12, "the grant showed number %r and code %r: %s" % (
        number, follow_up, text_of(d, ".result.bad"))
    log("      %s granted consent %s to %s" % (name, number, DEMO_AGENCY))

    key = agency_key(ctx)
    status, _, body = fetch(ctx.url("/api/v1/agency/subjects/%s?consent=%s" % (code, number)),
                            headers={"Authorization": "Bearer " + key, "Accept": "application/json"})
    assert status == 200, "the agency's consented read answered %d: %s" % (status, body[:300])
    records = json.loads(body)["records"]
    assert any(not r["is_public"] for r in records), "the consented read of %s holds no record the public no longer sees" % code
    log("      the agency read %d records (%d not public)" % (len(records), sum(not r["is_public"] for r in records)))

    d.get(ctx.url("/consents/" + number))
    form = wait_for(d, "form[action='/consents/%s']" % number)
    fill(d, form, {"code": follow_up})
    submit_and_wait(d, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    log_rows = [tr.text for tr in d.find_elements(By.CSS_SELECTOR, "table#access-log tbody tr")]
    assert any("查询非公开信用信息" in row and "已提供" in row and str(len(records)) in row for row in log_rows), \
        "the consent's access log does not show the read of %d records: %s" % (len(records), log_rows)
    assert_chinese(d, "/consents/" + number)
    screenshot(ctx, "consent.png")
    log("      /consents/%s shows the read: %s" % (number, log_rows[0]))


STEPS = [
    ("a", "search from the home page", step_search, ()),
    ("b", "profile with a 行政处罚 card", step_profile, ("a",)),
    ("c", "issue and download a credit report", step_report, ("b",)),
    ("d", "verify: upload, tampered paste, number", step_verify, ("c",)),
    ("e", "hostile input in the search box", step_hostile, ()),
    ("f", "profile on a phone screen", step_phone, ("a",)),
    ("g", "two-word search (郴州 建设)", step_two_words, ()),
    ("h", "list filter, publicity and list pages", step_browse, ()),
    ("i", "office pages send an anonymous visitor to /login", step_login_redirect, ()),
    ("j", "Content-Security-Policy without inline script", step_policy, ()),
    ("k", "a wrong password is refused", step_wrong_password, ()),
    ("l", "clerk: log in and submit a penalty", step_clerk_submit, ()),
    ("m", "clerk: check a black-listed subject, send feedback", step_clerk_check, ()),
    ("n", "clerk: log out", step_clerk_logout, ()),
    ("o", "administrator: office pages and audit trail", step_admin_office, ()),
    ("p", "auditor: refused the user administration", step_auditor_refused, ()),
    ("q", "search pager: 上一页/下一页, page numbers, a page past the last", step_search_pager, ()),
    ("r", "double publicity: total, table, document-number filter", step_listing, ()),
    ("s", "public pages at desktop and phone sizes, no English sentences", step_pages, ()),
    ("u", "objection: filed with a PDF, followed, accepted and rejected; the flag goes", step_objection, ()),
    ("v", "repair: refused before its date; granted after it; gone from profile, list and check", step_repair, ()),
    ("w", "evaluation: office distributions, a black-listed firm's explanation, public grades on and off", step_evaluation, ()),
    ("z", "a park's page with its charts; an association's rating on a profile, labelled as such", step_circle, ()),
    # Last, so that the other steps give the background monitoring demo time to load.
    ("t", "monitoring: 郴州市 84.32 points, 47th in 2018-12, 24th in 2019-03", step_monitoring, ()),
    ("x", "a typical case from the home page, with its linked record", step_case, ()),
    ("y", "agency: a consent granted through the form, a consented read, the read in the subject's log", step_agency, ()),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--db", required=True, help="the demo server's SQLite file (read only)")
    parser.add_argument("--server-log", help="the demo server's log, where `serve --demo` printed the demo users' "
                        "passwords")
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
