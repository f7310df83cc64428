#!/usr/bin/env python3
"""The employee's page, its widget and the sign-in page in headless Chromium, against a running service.

Environment:
  MOBILISE_URL          the service, e.g. http://127.0.0.1:8080 (its host must be 127.0.0.1: the test
                        intranet is served on another port of that host, i.e. another origin of the same site)
  MOBILISE_CODES        sign-in codes, comma-separated, for five employees who have not signed:
                        English flow, French flow, keyboard flow, widget, screenshots
  MOBILISE_EMPLOYEES    their HR ids, in the same order
  MOBILISE_CROWD_TOKENS  bearer tokens of twenty employees who have not signed (they sign during the widget test)
  MOBILISE_LEADER_CODE  a sign-in code for a leader (the dashboard's accessibility check)
  MOBILISE_CAMPAIGN     the campaign with stories and events (its pledge is in English only)
  MOBILISE_TRANSLATED   a campaign whose title and pledge exist in French and Hindi too
  MOBILISE_FULL_EVENT   the id of an event of MOBILISE_CAMPAIGN whose one place is taken
  MOBILISE_OUTPUT       where screenshots go (default .ci/output)

The widget may be framed by http://127.0.0.1:* (the service's MOBILISE_WIDGET_ORIGINS) and by no
other site: a page on http://localhost:<port> tries and is refused.

Needs Debian's chromium and chromium-driver, Selenium and axe-selenium-python (PyPI), Pillow for the
photo; nothing is downloaded. Exits 0 when every check passes; any unexpected console error fails it.
"""
import base64
import datetime
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.request

os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from PIL import Image
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait as _Wait

BASE = os.environ["MOBILISE_URL"].rstrip("/")
CODES = os.environ["MOBILISE_CODES"].split(",")
EMPLOYEES = os.environ["MOBILISE_EMPLOYEES"].split(",")
CROWD = [token for token in os.environ.get("MOBILISE_CROWD_TOKENS", "").split(",") if token]
LEADER_CODE = os.environ["MOBILISE_LEADER_CODE"]
CAMPAIGN = os.environ["MOBILISE_CAMPAIGN"]
TRANSLATED = os.environ["MOBILISE_TRANSLATED"]
FULL_EVENT = os.environ["MOBILISE_FULL_EVENT"]
OUTPUT = os.environ.get("MOBILISE_OUTPUT", ".ci/output")

def WebDriverWait(driver, timeout):
    """Selenium's wait, through the page's re-renders (an element replaced while it was read is read again)."""
    return _Wait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,))


passed, failed = [], []
console_errors = []


def check(name, condition, detail=""):
    (passed if condition else failed).append(name)
    print(("ok   " if condition else "FAIL ") + name + ("" if condition or detail == "" else ": " + str(detail)), flush=True)
    return condition


def find_binary(*names):
    for name in names:
        for folder in os.environ.get("PATH", "").split(":") + ["/usr/bin", "/usr/lib/chromium"]:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    sys.exit("not found: " + " or ".join(names) + " (apt-get install chromium chromium-driver)")


def make_driver(downloads, language="en-GB"):
    profile = tempfile.mkdtemp(prefix="mobilise-profile-")
    options = Options()
    options.binary_location = find_binary("chromium", "chromium-browser")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
                     "--hide-scrollbars", "--lang=" + language, "--force-device-scale-factor=1", "--user-data-dir=" + profile]:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False,
                                              "intl.accept_languages": language})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(find_binary("chromedriver")))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return driver, profile


def console(driver, expected=()):
    """Collects the console's errors; those matching one of `expected` (substrings) are returned, not kept."""
    seen = []
    for entry in driver.get_log("browser"):
        if entry.get("level") != "SEVERE":
            continue
        message = entry.get("message", "")
        if any(fragment in message for fragment in expected):
            seen.append(message)
        else:
            console_errors.append(message)
    return seen


def ready(driver, timeout=30):
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script("return document.body && document.body.dataset.ready === 'true'"))


def text(driver, element_id):
    return driver.find_element(By.ID, element_id).text


def t(driver, key, params=None):
    return driver.execute_script("return window.MobiliseI18n.t(arguments[0], arguments[1] || undefined);", key, params)


def api(method, path, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, method=method, data=data,
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read().decode("utf-8")
    return json.loads(raw) if raw else None


# axe-selenium-python 2.1.6 bundles axe-core 3.1.1, whose rules are tagged up to WCAG 2.1 AA (it has
# no wcag21a or wcag22aa tags; WCAG 2.2's new criteria are not checked by it).
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}}


def axe_check(driver, name):
    """axe-core on the page as it is now: no serious or critical violation (WCAG 2.0 and 2.1 A and AA rules, best practices)."""
    Axe(driver).inject()
    driver.set_script_timeout(180)
    results = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, arguments[0]).then((r) => done({ violations: r.violations.map((v) => ({ id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })) }), (e) => done({ error: String(e) }));""", AXE_OPTIONS)
    if not check("axe ran: " + name, "violations" in results, results.get("error")):
        return []
    bad = [(v["id"], v["impact"], v["nodes"]) for v in results["violations"] if v["impact"] in ("serious", "critical")]
    check("axe: no serious or critical violation: " + name, not bad, bad)
    return bad


def no_raw_keys(driver, name):
    shown = driver.execute_script("""
        const texts = [document.body.innerText, document.title];
        for (const e of document.querySelectorAll('[aria-label],[placeholder],[title],[alt]'))
            for (const a of ['aria-label', 'placeholder', 'title', 'alt']) if (e.getAttribute(a)) texts.push(e.getAttribute(a));
        return texts.join('\\n');""")
    raw = [word for word in shown.replace("\n", " ").split(" ")
           if "⟦" in word or (word.count(".") >= 1 and word.split(".")[0] in
                              ("page", "language", "signIn", "campaigns", "campaign", "pledge", "story", "feed", "events", "data", "widget", "error",
                               "dashboard")
                              and len(word.split(".")[1]) > 1)]
    check("no raw message key on the page: " + name, not raw, raw[:5])


def screenshot(driver, name, full_page=True):
    path = os.path.join(OUTPUT, name)
    if full_page:
        size = driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        data = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                                   "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}})
        with open(path, "wb") as out:
            out.write(base64.b64decode(data["data"]))
    else:
        driver.save_screenshot(path)
    print("     screenshot " + path, flush=True)


def sign_in(driver, code, campaign=None):
    driver.get(BASE + "/dashboard/sign-in#code=" + code + "&page=employee" + ("&campaign=" + campaign if campaign else ""))
    WebDriverWait(driver, 30).until(lambda d: d.current_url.split("?")[0] in (BASE + "/", BASE))
    ready(driver)


def choose_language(driver, tag):
    driver.execute_script("""
        const select = document.getElementById('language');
        select.value = arguments[0];
        select.dispatchEvent(new Event('change'));""", tag)
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.documentElement.lang") == tag)


def photo(folder):
    path = os.path.join(folder, "team.jpg")
    image = Image.new("RGB", (320, 200), (8, 81, 156))
    for x in range(100, 220):
        for y in range(60, 140):
            image.putpixel((x, y), (245, 166, 35))
    image.save(path, "JPEG", quality=85)
    return path


def download(downloads, name, timeout=20):
    path = os.path.join(downloads, name)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0 and not os.path.exists(path + ".crdownload"):
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        time.sleep(0.1)  # polling the file system for the download: there is no event to wait on
    return None


def employee_flow(driver, downloads, code, subject, language, picture):
    """Signs, withdraws, signs again, posts a story with a photo, RSVPs and exports, in `language`."""
    label = " (" + language + ")"
    sign_in(driver, code, CAMPAIGN)
    if language != "en":
        choose_language(driver, language)
    check("the page is in the chosen language" + label, driver.execute_script("return document.documentElement.lang") == language)
    check("the page names the person's state: not signed" + label, text(driver, "signature-state") == t(driver, "pledge.notSigned"),
          text(driver, "signature-state"))
    pledge = driver.find_element(By.ID, "pledge")
    check("the pledge falls back to the campaign's default language, marked so" + label,
          pledge.get_attribute("lang") == "en" and pledge.text == "I commit to gender equality", (pledge.get_attribute("lang"), pledge.text))
    no_raw_keys(driver, "loaded" + label)
    axe_check(driver, "employee page, not signed" + label)

    # Sign.
    driver.find_element(By.ID, "sign").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "withdraw").is_displayed())
    signature = api("GET", "/v1/campaigns/%s/signature" % CAMPAIGN, token_for(subject))
    expected = t(driver, "pledge.signedAt", {"when": driver.execute_script("return window.MobiliseI18n.dateTime(arguments[0])", signature["signed_at"])})
    check("signing shows the moment I signed" + label, text(driver, "signature-state") == expected, (text(driver, "signature-state"), expected))
    check("the signature is recorded" + label, signature.get("withdrawn_at") is None)
    axe_check(driver, "employee page, signed" + label)
    # Withdraw.
    driver.find_element(By.ID, "withdraw").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "sign").is_displayed())
    withdrawn = api("GET", "/v1/campaigns/%s/signature" % CAMPAIGN, token_for(subject))
    check("the withdrawal is recorded" + label, withdrawn.get("withdrawn_at") is not None)
    expected = t(driver, "pledge.withdrawnAt", {"when": driver.execute_script("return window.MobiliseI18n.dateTime(arguments[0])",
                                                                              withdrawn.get("withdrawn_at") or "")})
    check("withdrawing says so, and when" + label, text(driver, "signature-state") == expected, (text(driver, "signature-state"), expected))
    driver.refresh()
    ready(driver)
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "sign").is_displayed())
    check("after a reload the page still says when I withdrew" + label, text(driver, "signature-state") == expected,
          (text(driver, "signature-state"), expected))
    # A signing that fails (the network refuses it) says so where I am, not below the page's end.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/signature"]})
    driver.find_element(By.ID, "sign").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "message").is_displayed())
    box = driver.execute_script("const r = document.getElementById('message').getBoundingClientRect(); return [r.top, r.bottom, window.innerHeight]")
    check("a failed signing's message is on the screen" + label, box[0] >= 0 and box[1] <= box[2], box)
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    # Sign again.
    driver.find_element(By.ID, "sign").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "withdraw").is_displayed())
    check("signing again is recorded" + label, api("GET", "/v1/campaigns/%s/signature" % CAMPAIGN, token_for(subject)).get("withdrawn_at") is None)

    # A story with a photo: the preview first.
    body = "Story of %s: equality is everyone's business #HeForShe" % subject
    # The counter counts characters as the service does: an emoji is one (String.length says two).
    driver.execute_script("const b = document.getElementById('story-body'); b.value = 'ab\\u{1F44D}'; b.dispatchEvent(new Event('input'));")
    expected = t(driver, "story.characters", {"count": 3, "max": 5000})
    check("the story's counter counts an emoji as one character" + label, text(driver, "story-count") == expected, (text(driver, "story-count"), expected))
    driver.execute_script("const b = document.getElementById('story-body'); b.value = ''; b.dispatchEvent(new Event('input'));")
    driver.find_element(By.ID, "story-body").send_keys(body)
    driver.find_element(By.ID, "story-photo").send_keys(picture)
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "const i = document.getElementById('preview-photo'); return !i.hidden && i.complete && i.naturalWidth > 0;"))
    check("the preview shows the story as colleagues will see it" + label, text(driver, "preview-body") == body)
    axe_check(driver, "employee page, story preview" + label)
    driver.find_element(By.ID, "story-send").click()
    WebDriverWait(driver, 20).until(lambda d: text(d, "story-status") != "")
    check("the story is sent, waiting for HR" + label, text(driver, "story-status") == t(driver, "story.sentPending"), text(driver, "story-status"))
    mine = driver.find_elements(By.CSS_SELECTOR, "#my-stories li")
    check("my story is listed with its state" + label, bool(mine) and body in mine[0].text and t(driver, "story.status.pending") in mine[0].text,
          [m.text for m in mine])
    check("the form is emptied, the preview gone" + label, driver.find_element(By.ID, "story-body").get_attribute("value") == ""
          and not driver.find_element(By.ID, "story-preview").is_displayed())

    # RSVP to the first event with room, and join the waiting list of the full one.
    open_button = driver.find_element(By.CSS_SELECTOR, "#event-list button[data-event]:not([data-event='%s'])" % FULL_EVENT)
    event_id = open_button.get_attribute("data-event")
    open_button.click()
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.CSS_SELECTOR, "#event-list button[data-event='%s']" % event_id).text
                                    == t(d, "events.cancel"))
    item = driver.find_element(By.CSS_SELECTOR, "#event-list button[data-event='%s']" % event_id).find_element(By.XPATH, "..")
    check("RSVP: the page says I am going" + label, t(driver, "events.youGo") in item.text, item.text)
    full = driver.find_element(By.CSS_SELECTOR, "#event-list button[data-event='%s']" % FULL_EVENT)
    check("a full event offers the waiting list" + label, full.text == t(driver, "events.joinWaitingList"), full.text)
    full.click()
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.CSS_SELECTOR, "#event-list button[data-event='%s']" % FULL_EVENT).text
                                    == t(d, "events.cancel"))
    item = driver.find_element(By.CSS_SELECTOR, "#event-list button[data-event='%s']" % FULL_EVENT).find_element(By.XPATH, "..")
    check("waiting list: the page gives my place in it" + label, t(driver, "events.youWaitPosition", {"position": 1}) in item.text, item.text)
    axe_check(driver, "employee page, after RSVPs" + label)
    no_raw_keys(driver, "after every action" + label)

    # After a reload, the page still knows my RSVPs (from my data).
    driver.refresh()
    ready(driver)
    item = driver.find_element(By.CSS_SELECTOR, "#event-list button[data-event='%s']" % event_id).find_element(By.XPATH, "..")
    check("after a reload, my RSVP is still shown" + label, t(driver, "events.youGo") in item.text, item.text)

    # My data.
    for name in os.listdir(downloads):
        os.remove(os.path.join(downloads, name))
    driver.find_element(By.ID, "export").click()
    exported = download(downloads, "mobilise-export.json")
    check("my data downloads" + label, exported is not None, os.listdir(downloads))
    if exported:
        changes = [c["change"] for record in exported.get("signatures", []) for c in record.get("history", [])]
        check("the export has my signature's history: signed, withdrawn, signed" + label, changes == ["signed", "withdrawn", "signed"], changes)
        check("the export has my story and my RSVPs" + label, any(p["body"] == body for p in exported.get("posts", []))
              and len(exported.get("rsvps", [])) == 2, (exported.get("posts"), exported.get("rsvps")))
    # Leave the full event's waiting list, for the next person's test.
    driver.find_element(By.CSS_SELECTOR, "#event-list button[data-event='%s']" % FULL_EVENT).click()
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.CSS_SELECTOR, "#event-list button[data-event='%s']" % FULL_EVENT).text
                                    == t(d, "events.joinWaitingList"))


TOKENS = {}


def token_for(subject):
    return TOKENS[subject]


def press(driver, *keys):
    ActionChains(driver).send_keys(*keys).perform()


def focus_ring(driver):
    return driver.execute_script("""
        const e = document.activeElement; const s = getComputedStyle(e);
        return [s.outlineStyle, parseFloat(s.outlineWidth)];""")


def tab_to(driver, predicate, limit=150):
    """Presses Tab until the focused element matches the JavaScript `predicate` (of `e`); every stop has a visible focus ring."""
    unringed = []
    for _ in range(limit):
        press(driver, Keys.TAB)
        style, width = focus_ring(driver)
        if style == "none" or width < 2:
            unringed.append(driver.execute_script("const e = document.activeElement; return e.tagName + '#' + e.id;"))
        if driver.execute_script("const e = document.activeElement; return !!(" + predicate + ");"):
            return True, unringed
    return False, unringed


def keyboard_flow(driver, code, subject):
    """Signs, writes a story and RSVPs with the keyboard alone."""
    sign_in(driver, code, CAMPAIGN)
    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    found, unringed = tab_to(driver, "e.id === 'sign'")
    check("keyboard: Tab reaches the sign button", found)
    press(driver, Keys.ENTER)
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "withdraw").is_displayed())
    check("keyboard: Enter signs, and the focus moves to the withdraw button",
          driver.switch_to.active_element.get_attribute("id") == "withdraw")
    check("keyboard: the signature is recorded", api("GET", "/v1/campaigns/%s/signature" % CAMPAIGN, token_for(subject)).get("withdrawn_at") is None)
    found, more = tab_to(driver, "e.id === 'story-body'")
    unringed += more
    check("keyboard: Tab reaches the story", found)
    body = "Typed with the keyboard alone by %s" % subject
    press(driver, body)
    found, more = tab_to(driver, "e.id === 'story-send'")
    unringed += more
    press(driver, Keys.ENTER)
    WebDriverWait(driver, 20).until(lambda d: text(d, "story-status") != "")
    posts = [p for p in api("GET", "/v1/me/export", token_for(subject))["posts"] if p["body"] == body]
    check("keyboard: the story is sent", found and len(posts) == 1, posts)
    found, more = tab_to(driver, "e.dataset && e.dataset.event && e.dataset.event !== '%s'" % FULL_EVENT)
    unringed += more
    event_id = driver.switch_to.active_element.get_attribute("data-event")
    press(driver, Keys.ENTER)
    try:
        WebDriverWait(driver, 15).until(lambda d: d.find_element(By.CSS_SELECTOR, "#event-list button[data-event='%s']" % event_id).text
                                        == t(d, "events.cancel"))
        going = True
    except TimeoutException:
        going = False
    check("keyboard: Enter on an event's button RSVPs", found and going)
    check("keyboard: the focus stays on the event's button", driver.switch_to.active_element.get_attribute("data-event") == event_id)
    rsvps = api("GET", "/v1/me/export", token_for(subject))["rsvps"]
    check("keyboard: the RSVP is recorded", any(r["event_id"].lower() == event_id.lower() and r["status"] == "going" for r in rsvps), rsvps)
    check("keyboard: every focused control shows a focus ring", not unringed, unringed)


class Pages(http.server.BaseHTTPRequestHandler):
    """A test intranet: pages that frame the widget, or the employee page."""
    pages = {}

    def do_GET(self):
        page = self.pages.get(self.path)
        if page is None:
            self.send_error(404)
            return
        data = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def intranet_page(title, src):
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><link rel='icon' href='data:,'><title>%s</title></head><body><h1>%s</h1>"
            "<iframe id='frame' title='Mobilise' src='%s' width='420' height='420'></iframe></body></html>") % (title, title, src)


def serve_intranet(host):
    server = http.server.ThreadingHTTPServer((host, 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def widget_flow(driver, code, subject):
    """The widget in an intranet page of another origin (same site): signs, and its count follows live."""
    Pages.pages = {
        "/intranet.html": intranet_page("Acme intranet", BASE + "/widget?campaign=" + CAMPAIGN),
        "/framed-page.html": intranet_page("Acme intranet framing the page", BASE + "/?campaign=" + CAMPAIGN),
        "/elsewhere.html": intranet_page("Another site", BASE + "/widget?campaign=" + CAMPAIGN),
    }
    intranet = serve_intranet("127.0.0.1")
    port = intranet.server_address[1]
    try:
        # Signed in on the service first (a session cookie of this site), then the intranet page.
        sign_in(driver, code, CAMPAIGN)
        console(driver)
        driver.get("http://127.0.0.1:%d/intranet.html" % port)
        frame = WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "frame"))
        driver.switch_to.frame(frame)
        ready(driver)
        check("the widget loads in the intranet page (another origin, configured)", driver.find_element(By.ID, "widget-sign").is_displayed())
        WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "widget-count").get_attribute("data-value"))
        before = int(driver.find_element(By.ID, "widget-count").get_attribute("data-value"))
        axe_check(driver, "widget, not signed")
        driver.find_element(By.ID, "widget-sign").click()
        try:
            WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "widget-open").is_displayed())
            signed = True
        except TimeoutException:
            signed = False
        check("the widget signs and says I signed", signed)
        # The frame is the README's (420 × 420): signed, with its longest text, the widget still fits it.
        fits = driver.execute_script("return [document.documentElement.scrollHeight, window.innerHeight]")
        check("the signed widget fits the README's frame without scrolling", fits[0] <= fits[1], fits)
        check("the signature is recorded", api("GET", "/v1/campaigns/%s/signature" % CAMPAIGN, token_for(subject)).get("withdrawn_at") is None)
        signed_at = datetime.datetime.now(datetime.timezone.utc)
        # The widget shows the count a leader sees: published at intervals and rounded (PRIVACY.md), so
        # that nobody learns from it whether one colleague signed. It is the API's figure...
        def widget_count(d):
            value = d.find_element(By.ID, "widget-count").get_attribute("data-value")
            return int(value) if value else None
        def published(since):
            """The published count, once it is that of an instant at or after `since` (else None)."""
            live = api("GET", "/v1/campaigns/%s/live" % CAMPAIGN, token_for(subject))
            as_of = datetime.datetime.fromisoformat(live["as_of"].replace("Z", "+00:00"))
            return live.get("signatures") if as_of >= since else None
        # ...of a publication after this signature: the one before it may not count it, and when this
        # signature takes the count across a rounding step the figure moves once more (and the +20
        # below would be seen as +40).
        try:
            WebDriverWait(driver, 20).until(lambda d: widget_count(d) is not None and widget_count(d) == published(signed_at))
            agrees = True
        except TimeoutException:
            agrees = False
        check("the widget's count is the published count", agrees, (widget_count(driver), published(signed_at)))
        # ...and it follows others' signatures live, without a reload: twenty more move a published
        # count (one published after every signature before them) by exactly one rounding step of 20.
        shown = widget_count(driver)
        for token in CROWD:
            api("PUT", "/v1/campaigns/%s/signature" % CAMPAIGN, token)
        crowd_signed_at = datetime.datetime.now(datetime.timezone.utc)
        try:
            WebDriverWait(driver, 20).until(lambda d: widget_count(d) == shown + 20 and published(crowd_signed_at) == shown + 20)
            live = True
        except TimeoutException:
            live = False
        check("the widget's count follows other signatures live (+20 after twenty more)", live, (shown, widget_count(driver)))
        axe_check(driver, "widget, signed")
        screenshot(driver, "widget-signed.png", full_page=False)
        driver.switch_to.default_content()

        # Framing anything else, or framing from a site not configured, is refused by the browser.
        console(driver)
        driver.get("http://127.0.0.1:%d/framed-page.html" % port)
        WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "frame"))
        refused = wait_for_console(driver, "frame-ancestors")
        check("the employee page in a frame is refused (frame-ancestors 'none')", bool(refused), refused)
        elsewhere = serve_intranet("127.0.0.1")
        try:
            other = elsewhere.server_address[1]
            driver.get("http://localhost:%d/elsewhere.html" % other)
            WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "frame"))
            refused = wait_for_console(driver, "frame-ancestors")
            check("the widget framed by a site not configured is refused", bool(refused), refused)
            driver.switch_to.frame(driver.find_element(By.ID, "frame"))
            try:
                widget_there = driver.execute_script("return !!document.getElementById('widget');")
            except WebDriverException:
                widget_there = False
            check("nothing of the widget runs in the refused frame", not widget_there)
            driver.switch_to.default_content()
        finally:
            elsewhere.shutdown()
    finally:
        intranet.shutdown()


def wait_for_console(driver, fragment, timeout=10):
    deadline = time.monotonic() + timeout
    found = []
    while time.monotonic() < deadline and not found:
        found = console(driver, expected=(fragment,))
        if not found:
            time.sleep(0.1)  # the console log has no event to wait on
    return found


def main():
    os.makedirs(OUTPUT, exist_ok=True)
    downloads = tempfile.mkdtemp(prefix="mobilise-downloads-")
    pictures = tempfile.mkdtemp(prefix="mobilise-photo-")
    picture = photo(pictures)
    for subject in EMPLOYEES:
        TOKENS[subject] = os.environ["MOBILISE_TOKEN_" + subject.replace("-", "_").upper()]
    profiles = []

    # 1. English, with the mouse.
    driver, profile = make_driver(downloads, "en-GB")
    profiles.append(profile)
    try:
        driver.get(BASE + "/")
        ready(driver)
        check("signed out, the page offers the sign-in", driver.find_element(By.ID, "signed-out").is_displayed())
        axe_check(driver, "employee page, signed out")
        console(driver, expected=("/v1/session",))  # the 401 that says "not signed in"
        driver.get(BASE + "/dashboard/sign-in?page=employee")
        ready_sign_in(driver)
        axe_check(driver, "sign-in page")
        no_raw_keys(driver, "sign-in page")
        employee_flow(driver, downloads, CODES[0], EMPLOYEES[0], "en", picture)
        # Reduced motion: no transition at all.
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
        check("prefers-reduced-motion: no transition on buttons", driver.execute_script(
            "return getComputedStyle(document.getElementById('sign-out')).transitionDuration") in ("0s", "0ms"))
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        # The campaign picker and a translated pledge.
        driver.get(BASE + "/?campaign=" + TRANSLATED)
        ready(driver)
        check("the picker lists both campaigns", len(driver.find_elements(By.CSS_SELECTOR, "#campaign-select option")) == 2)
        choose_language(driver, "fr")
        pledge = driver.find_element(By.ID, "pledge")
        check("a pledge written in French is shown in French, marked so", pledge.get_attribute("lang") == "fr" and pledge.text.startswith("Je"),
              (pledge.get_attribute("lang"), pledge.text))
        choose_language(driver, "en")
        console(driver)
    finally:
        driver.quit()

    # 2. French, chosen with the switcher, kept for the next visit.
    driver, profile = make_driver(downloads, "en-GB")
    profiles.append(profile)
    try:
        employee_flow(driver, downloads, CODES[1], EMPLOYEES[1], "fr", picture)
        driver.refresh()
        ready(driver)
        check("the chosen language is kept", driver.execute_script("return document.documentElement.lang") == "fr")
        console(driver)
    finally:
        driver.quit()

    # 3. The keyboard alone; the browser's language (Polish) chosen by itself.
    driver, profile = make_driver(downloads, "pl-PL")
    profiles.append(profile)
    try:
        keyboard_flow(driver, CODES[2], EMPLOYEES[2])
        check("the browser's language is used when the person chose none", driver.execute_script("return document.documentElement.lang") == "pl")
        console(driver)
    finally:
        driver.quit()

    # 4. The widget.
    driver, profile = make_driver(downloads, "en-GB")
    profiles.append(profile)
    try:
        widget_flow(driver, CODES[3], EMPLOYEES[3])
        console(driver)
    finally:
        driver.quit()

    # 5. Screenshots in Latin, Devanagari and CJK scripts, at desktop and phone widths; every language checked.
    driver, profile = make_driver(downloads, "en-GB")
    profiles.append(profile)
    try:
        sign_in(driver, CODES[4], CAMPAIGN)
        for language in ["en", "fr", "de", "es", "pt-BR", "pl", "hi", "zh-Hans"]:
            choose_language(driver, language)
            no_raw_keys(driver, "employee page in " + language)
            if language in ("en", "hi", "zh-Hans"):
                axe_check(driver, "employee page in " + language)
                screenshot(driver, "employee-%s.png" % language)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 375, "height": 812, "deviceScaleFactor": 1, "mobile": True})
        driver.refresh()
        ready(driver)
        overflow = driver.execute_script("return document.documentElement.scrollWidth") - 375
        check("nothing is wider than a phone screen", overflow <= 0, overflow)
        screenshot(driver, "employee-zh-Hans-375.png")
        choose_language(driver, "hi")
        screenshot(driver, "employee-hi-375.png")
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        choose_language(driver, "en")
        driver.find_element(By.ID, "sign-out").click()
        WebDriverWait(driver, 15).until(lambda d: "/dashboard/sign-in" in d.current_url)
        # The leadership dashboard, for the accessibility check.
        driver.get(BASE + "/dashboard/sign-in#code=" + LEADER_CODE + "&campaign=" + CAMPAIGN)
        WebDriverWait(driver, 30).until(lambda d: "/dashboard?" in d.current_url)
        ready(driver)
        axe_check(driver, "dashboard")
        no_raw_keys(driver, "dashboard in en")
        # The employee's page with a leader's sign-in only: it says whose page it is, offers no action.
        roles = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/v1/session', {credentials: 'same-origin'}).then((r) => r.json()).then((s) => done(s.roles), (e) => done(String(e)));""")
        check("the leader's sign-in code is a leader's only (for the check below)", isinstance(roles, list) and "employee" not in roles, roles)
        driver.get(BASE + "/")
        ready(driver)
        check("a leader's sign-in on the employee page is told the page is for employees, with no sign button",
              driver.find_element(By.ID, "not-employee").is_displayed() and not driver.find_element(By.ID, "sign").is_displayed())
        axe_check(driver, "employee page, leader's sign-in")
        driver.get(BASE + "/dashboard?campaign=" + CAMPAIGN)
        ready(driver)
        # The dashboard in Hindi (its switcher reloads the page in the new language).
        driver.execute_script("""
            const select = document.getElementById('language');
            select.value = 'hi';
            select.dispatchEvent(new Event('change'));""")
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(
            "return document.documentElement.lang === 'hi' && document.body.dataset.ready === 'true'"))
        no_raw_keys(driver, "dashboard in hi")
        axe_check(driver, "dashboard in hi")
        screenshot(driver, "dashboard-hi.png")
        console(driver, expected=("/v1/session",))
    finally:
        driver.quit()

    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)
    shutil.rmtree(downloads, ignore_errors=True)
    shutil.rmtree(pictures, ignore_errors=True)
    check("no unexpected JavaScript error in the console", not console_errors, console_errors)
    print("%d passed, %d failed" % (len(passed), len(failed)))
    return 0 if not failed else 1


def ready_sign_in(driver):
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.documentElement.lang") == "en"
                                    and d.find_element(By.ID, "language").find_elements(By.TAG_NAME, "option"))


if __name__ == "__main__":
    sys.exit(main())
