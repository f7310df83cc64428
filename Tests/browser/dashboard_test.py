#!/usr/bin/env python3
"""The leadership dashboard in headless Chromium, against a running Mobilise service.

Environment:
  MOBILISE_URL            the service, e.g. http://127.0.0.1:8080
  MOBILISE_LEADER_TOKEN   a bearer token with the leader role (for the test's own API calls)
  MOBILISE_LEADER_CODE    a sign-in code for the same leader (the page is read as a leader)
  MOBILISE_OTHER_CODE     a sign-in code for somebody else (a link the leader did not ask for)
  MOBILISE_SIGNER_TOKEN   an employee who has not signed MOBILISE_CAMPAIGN yet (signs during the test)
  MOBILISE_CAMPAIGN       the campaign's slug
  MOBILISE_STORIES        how many approved stories the campaign has (more than a page of 12)
  MOBILISE_OUTPUT         where screenshots go (default .ci/output)

Needs Debian's chromium and chromium-driver and Selenium (pip install selenium); nothing is
downloaded. Exits 0 when every check passes; any JavaScript console error fails the test.
"""
import csv
import io
import json
import datetime
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import urllib.error
import urllib.request

# Selenium Manager must never reach the internet (driver downloads, usage statistics): the browser
# and its driver are Debian's, named explicitly below.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["MOBILISE_URL"].rstrip("/")
LEADER = os.environ["MOBILISE_LEADER_TOKEN"]
LEADER_CODE = os.environ["MOBILISE_LEADER_CODE"]
OTHER_CODE = os.environ["MOBILISE_OTHER_CODE"]
SIGNER = os.environ["MOBILISE_SIGNER_TOKEN"]
CAMPAIGN = os.environ["MOBILISE_CAMPAIGN"]
OUTPUT = os.environ.get("MOBILISE_OUTPUT", ".ci/output")
STORIES = int(os.environ["MOBILISE_STORIES"])

passed, failed = [], []
console_errors = []


def check(name, condition, detail=""):
    (passed if condition else failed).append(name)
    print(("ok   " if condition else "FAIL ") + name + ("" if condition or not detail else ": " + str(detail)), flush=True)
    return condition


def api(method, path, token, accept="application/json"):
    request = urllib.request.Request(BASE + path, method=method, headers={"Authorization": "Bearer " + token, "Accept": accept})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read().decode("utf-8")
    return json.loads(body) if accept == "application/json" and body else body


def find_binary(*names):
    for name in names:
        for folder in os.environ.get("PATH", "").split(":") + ["/usr/bin", "/usr/lib/chromium"]:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    sys.exit("not found: " + " or ".join(names) + " (apt-get install chromium chromium-driver)")


def make_driver(downloads, profile):
    options = Options()
    options.binary_location = find_binary("chromium", "chromium-browser")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800",
                     "--hide-scrollbars", "--lang=en-GB", "--force-device-scale-factor=1", "--user-data-dir=" + profile]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=options, service=Service(find_binary("chromedriver")))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return driver


def collect_console(driver):
    for entry in driver.get_log("browser"):
        if entry.get("level") == "SEVERE":
            console_errors.append(entry.get("message"))


def viewport(driver, width, height, mobile=False):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def screenshot(driver, name, full_page=False):
    path = os.path.join(OUTPUT, name)
    if full_page:
        import base64
        data = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                                   "clip": full_page_clip(driver)})
        with open(path, "wb") as out:
            out.write(base64.b64decode(data["data"]))
    else:
        driver.save_screenshot(path)
    print("     screenshot " + path, flush=True)


def full_page_clip(driver):
    size = driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    return {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}


def dom_number(driver, element_id):
    return driver.find_element(By.ID, element_id).get_attribute("data-value")


def week_labels_overlap(driver, chart_selector):
    """Pairs of week labels (the bottom axis) of a chart whose boxes meet, as text."""
    return driver.execute_script("""
        const chart = document.querySelector(arguments[0]);
        if (!chart) return ['no chart'];
        const height = chart.viewBox.baseVal.height;
        const labels = [...chart.querySelectorAll('text.axis')].filter((t) => Number(t.getAttribute('y')) > height - 20)
            .map((t) => [t.textContent, t.getBoundingClientRect()]).sort((a, b) => a[1].left - b[1].left);
        const overlaps = [];
        for (let i = 1; i < labels.length; i += 1) {
            if (labels[i][1].left < labels[i - 1][1].right + 2) overlaps.push(labels[i - 1][0] + ' / ' + labels[i][0]);
        }
        const box = chart.getBoundingClientRect();
        for (const [text, rect] of labels) if (rect.left < box.left || rect.right > box.right) overlaps.push(text + ' leaves the chart');
        return overlaps;""", chart_selector)


def fills(driver, selector):
    """The width a chart is drawn at over its card's inner width."""
    return driver.execute_script("""
        const chart = document.querySelector(arguments[0]);
        const drawn = chart.querySelector('polyline').getBoundingClientRect();
        const card = chart.closest('.card');
        const style = getComputedStyle(card);
        return drawn.width / (card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));""", selector)


def cut_off(driver, width):
    """Elements wider than their box, or than the screen's `width` (a phone's layout viewport grows
    to hold what overflows, so the screen's width is given, not read), as text."""
    return driver.execute_script("""
        const found = [];
        const select = document.getElementById('campaign-select').getBoundingClientRect();
        if (select.right > arguments[0] || select.left < 0) found.push('campaign selector ' + select.left + '..' + select.right);
        for (const table of document.querySelectorAll('#ranking-table, table.group')) {
            if (table.scrollWidth > table.parentElement.clientWidth) found.push((table.id || 'group table') + ' ' + table.scrollWidth + ' > ' + table.parentElement.clientWidth);
        }
        return found;""", width)


def close(a, b):
    return a is not None and b is not None and abs(float(a) - float(b)) < 1e-9


def table_rows(driver):
    rows = []
    for tr in driver.find_elements(By.CSS_SELECTOR, "#ranking-table tbody tr"):
        cells = {td.get_attribute("data-col"): td.get_attribute("data-value") for td in tr.find_elements(By.CSS_SELECTOR, "td")}
        rows.append((tr.get_attribute("data-country"), cells))
    return rows


def check_history(profile):
    """The browser's own history database keeps no credential that still opens anything."""
    history = os.path.join(profile, "Default", "History")
    if not check("the browser kept a history database", os.path.exists(history), history):
        return
    connection = sqlite3.connect("file:" + history + "?mode=ro", uri=True)
    urls = [row[0] for row in connection.execute("SELECT url FROM urls")]
    connection.close()
    check("the history holds the sign-in pages visited", any("/dashboard/sign-in" in url for url in urls), urls)
    check("no bearer token in the browser's history", not any("token=" in url or LEADER in url or "eyJ" in url for url in urls),
          [url for url in urls if "token=" in url or "eyJ" in url])
    # Every code used to sign in is spent; the link of the other person, never used, is left to expire.
    codes = {url.split("code=", 1)[1].split("&", 1)[0] for url in urls if "code=" in url} - {OTHER_CODE}
    check("the used sign-in link is in the history", LEADER_CODE in codes, codes)
    for code in sorted(codes):
        request = urllib.request.Request(BASE + "/v1/session", method="POST", data=json.dumps({"code": code}).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        check("a sign-in code found in the history opens nothing (%s…)" % code[:8], status == 401, status)


def main():
    os.makedirs(OUTPUT, exist_ok=True)
    downloads = tempfile.mkdtemp(prefix="mobilise-downloads-")
    profile = tempfile.mkdtemp(prefix="mobilise-profile-")
    driver = make_driver(downloads, profile)
    wait = WebDriverWait(driver, 30)
    try:
        viewport(driver, 1280, 800)
        # Sign in through a one-click link: a single-use code rides in the fragment.
        driver.get(BASE + "/dashboard/sign-in#code=" + LEADER_CODE + "&campaign=" + CAMPAIGN)
        wait.until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
        check("the sign-in link opens the dashboard", driver.current_url.startswith(BASE + "/dashboard?campaign=" + CAMPAIGN), driver.current_url)
        check("the code is not left in the address bar", LEADER_CODE not in driver.current_url)
        wait.until(lambda d: d.find_element(By.ID, "live-status").text == "● live")
        check("the live counter is connected", True)

        ranking = api("GET", "/v1/campaigns/%s/rankings?metric=participation" % CAMPAIGN, LEADER)
        total = ranking["total"]
        check("headline signatures = API total", dom_number(driver, "stat-signatures") == str(total["signatures"]),
              (dom_number(driver, "stat-signatures"), total["signatures"]))
        check("headline eligible = API total", dom_number(driver, "stat-eligible") == str(total["eligible"]))
        check("headline participation = API total", close(dom_number(driver, "stat-participation"), total["participation"]))
        pace = driver.find_element(By.ID, "pace-status").text
        check("the pace says on track or behind", pace.startswith("On track") or pace.startswith("Behind by") or pace == "Goal reached", pace)

        rows = table_rows(driver)
        expected = ranking["rows"] + ([ranking["other"]] if ranking["other"] else [])
        check("the table lists the API's rows in order", [code for code, _ in rows] == [row["country"] for row in expected],
              ([code for code, _ in rows], [row["country"] for row in expected]))
        same = all(cells.get("signatures") == str(row["signatures"]) and cells.get("eligible") == str(row["eligible"])
                   and cells.get("last_7_days") == str(row["last_7_days"]) and (cells.get("rank") or None) == (str(row["rank"]) if "rank" in row else None)
                   and (close(cells.get("participation"), row["participation"]) if row.get("participation") is not None else cells.get("participation") == "")
                   for (_, cells), row in zip(rows, expected))
        check("the table's numbers equal the API's", same and len(rows) == len(expected))
        check("a folded 'other' row is shown (privacy)", ranking["other"] is None or rows[-1][0] == "other")

        # The map's metrics come from the API (the rankings answer's `metrics`, the domain's list), not from the page:
        # a metric added to the domain appears in the select.
        options = [o.get_attribute("value") for o in driver.find_elements(By.CSS_SELECTOR, "#metric-select option")]
        check("the map's metrics are the API's", options == ranking["metrics"] and len(options) >= 4, (options, ranking.get("metrics")))
        check("every metric the API lists has a label", all(o.text.strip() for o in driver.find_elements(By.CSS_SELECTOR, "#metric-select option")))

        shown = driver.find_elements(By.CSS_SELECTOR, "#map path.country.shown")
        check("the map colours every ranked country", len(shown) == len(ranking["rows"]),
              len(shown))
        titles = [p.find_element(By.TAG_NAME, "title").get_attribute("textContent") for p in shown[:3]]
        check("map countries have names for hover and screen readers", all(": " in t for t in titles) and all(p.get_attribute("aria-label") for p in shown[:3]), titles)
        momentum = driver.find_elements(By.CSS_SELECTOR, "#momentum-chart polyline")
        check("the momentum chart has the total and the top countries", len(momentum) == 6, len(momentum))
        check("the momentum chart fills its card", fills(driver, "#momentum-chart") > 0.9, fills(driver, "#momentum-chart"))
        check("the momentum chart's week labels do not overlap", not week_labels_overlap(driver, "#momentum-chart svg"),
              week_labels_overlap(driver, "#momentum-chart svg"))
        check("the momentum chart has a table equivalent", len(driver.find_elements(By.CSS_SELECTOR, "#momentum-table tbody tr")) > 0)
        check("stories are shown", len(driver.find_elements(By.CSS_SELECTOR, "#stories li.story")) >= 1)
        try:
            WebDriverWait(driver, 10).until(lambda d: d.execute_script(
                "const i = document.querySelector('#stories img'); return !!i && i.complete && i.naturalWidth > 0;"))
            photo = True
        except TimeoutException:
            photo = False
        check("a story's photo loads (through the session cookie)", photo)
        check("events are shown", len(driver.find_elements(By.CSS_SELECTOR, "#events li.event")) >= 1)

        screenshot(driver, "dashboard-1280x800.png")
        screenshot(driver, "dashboard-1280-full.png", full_page=True)

        # Stories come a page of 12 at a time; "More stories" follows the cursor to the rest.
        stories = lambda d: len(d.find_elements(By.CSS_SELECTOR, "#stories li.story"))
        more = driver.find_element(By.ID, "more-stories")
        check("the first page shows 12 stories", stories(driver) == 12, stories(driver))
        check("'More stories' is offered when there are more", more.is_displayed())
        if more.is_displayed():
            more.click()
            try:
                WebDriverWait(driver, 10).until(lambda d: stories(d) == STORIES and not d.find_element(By.ID, "more-stories").is_displayed())
                everything = True
            except TimeoutException:
                everything = False
            check("'More stories' appends the rest, then goes away", everything, stories(driver))
            bodies = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#stories li.story > p:first-of-type")]
            check("no story is shown twice", len(bodies) == len(set(bodies)), bodies)

        # The CSV download holds exactly the rows shown, as the API's CSV does.
        driver.find_element(By.ID, "download-csv").click()
        path = os.path.join(downloads, CAMPAIGN + "-ranking.csv")
        try:
            WebDriverWait(driver, 15).until(lambda d: os.path.exists(path) and os.path.getsize(path) > 0)
            with open(path, encoding="utf-8", newline="") as f:
                downloaded = f.read()
        except TimeoutException:
            downloaded = ""
        check("the CSV was downloaded", bool(downloaded), os.listdir(downloads))
        parsed = list(csv.DictReader(io.StringIO(downloaded)))
        check("the CSV has the table's rows", [(r["country"], r["signatures"]) for r in parsed] ==
              [(code, cells["signatures"]) for code, cells in rows], parsed[:2])
        api_csv = api("GET", "/v1/campaigns/%s/rankings.csv?metric=participation" % CAMPAIGN, LEADER, accept="text/csv")
        check("the CSV equals the API's CSV byte for byte", downloaded == api_csv,
              "\n" + downloaded[:300] + "\n---\n" + api_csv[:300])

        # Sorting by a column re-orders the rows.
        driver.find_element(By.CSS_SELECTOR, "button[data-sort='eligible']").click()
        eligible = [int(cells["eligible"]) for code, cells in table_rows(driver) if code != "other"]
        check("sorting by eligible orders the table", eligible == sorted(eligible, reverse=True), eligible)
        driver.find_element(By.CSS_SELECTOR, "button[data-sort='signatures']").click()
        wait.until(lambda d: d.find_element(By.ID, "ranking-caption").text.startswith("Ranked by signatures"))
        by_signatures = api("GET", "/v1/campaigns/%s/rankings?metric=signatures" % CAMPAIGN, LEADER)
        check("sorting by signatures shows the API's ranking by signatures",
              [code for code, _ in table_rows(driver) if code != "other"] == [r["country"] for r in by_signatures["rows"]])
        marks = {th.find_element(By.TAG_NAME, "button").get_attribute("data-sort"): th.get_attribute("aria-sort")
                 for th in driver.find_elements(By.CSS_SELECTOR, "#ranking-head th")}
        check("the signatures column, not the rank, is marked sorted", marks.get("signatures") == "descending"
              and [key for key, mark in marks.items() if mark != "none"] == ["signatures"], marks)
        check("after sorting, the focus is back on the column's button",
              driver.switch_to.active_element.get_attribute("data-sort") == "signatures", driver.switch_to.active_element.get_attribute("outerHTML")[:120])

        # A leader's figures are approximate (issue 19), and the page says so in one sentence.
        note = driver.find_element(By.ID, "figures-note")
        check("the page says a leader's figures are approximate, and why",
              note.is_displayed() and "rounded" in note.text and "colleague" in note.text, note.text)

        # Keyboard: each country of the map is a tab stop; the link before the map passes them all.
        driver.execute_script("document.getElementById('metric-select').focus()")
        driver.switch_to.active_element.send_keys(Keys.TAB)
        skip = driver.switch_to.active_element
        check("Tab after the metric menu reaches the link that skips the map", skip.get_attribute("id") == "skip-map"
              and skip.is_displayed(), skip.get_attribute("outerHTML")[:200])
        skip.send_keys(Keys.ENTER)
        driver.switch_to.active_element.send_keys(Keys.TAB)
        landed = driver.switch_to.active_element.get_attribute("id")
        check("after skipping the map, the next Tab reaches the ranking's CSV download", landed == "download-csv", landed)

        # Live: after a signature, the counter shows the next published figure without a reload
        # (for a leader it moves at published instants only, and by a rounded step if at all).
        driver.execute_script("window.__noReload = true;")
        signed = api("PUT", "/v1/campaigns/%s/signature" % CAMPAIGN, SIGNER)
        check("the API took the signature", signed.get("country") is not None)
        signed_at = datetime.datetime.now(datetime.timezone.utc)

        def shows_publication(d):
            live = api("GET", "/v1/campaigns/%s/live" % CAMPAIGN, LEADER)
            published = datetime.datetime.fromisoformat(live["as_of"].replace("Z", "+00:00"))
            return live["approximate"] is True and published >= signed_at and \
                d.find_element(By.ID, "stat-signatures").get_attribute("data-value") == str(live["signatures"])
        try:
            WebDriverWait(driver, 20).until(shows_publication)
            changed = True
        except TimeoutException:
            changed = False
        check("the live counter shows the next published figure", changed, dom_number(driver, "stat-signatures"))
        check("without reloading the page", driver.execute_script("return window.__noReload === true;"))

        # A country page: click the first country of the table.
        first = driver.find_element(By.CSS_SELECTOR, "#ranking-table tbody tr a[data-country]")
        code = first.get_attribute("data-country")
        first.click()
        wait.until(lambda d: d.find_element(By.ID, "country-panel").is_displayed()
                   and d.find_elements(By.ID, "country-signatures"))
        country = api("GET", "/v1/campaigns/%s/countries/%s" % (CAMPAIGN, code), LEADER)
        check("the country page opens with its own address", ("country=" + code) in driver.current_url, driver.current_url)
        check("the country page's figures equal the API's", dom_number(driver, "country-signatures") == str(country["country"]["signatures"]))
        check("the country page lists sites and org units", len(driver.find_elements(By.CSS_SELECTOR, "#country-body table.group")) == 2)
        check("the country page has its weekly timeline", len(driver.find_elements(By.CSS_SELECTOR, "#country-body polyline")) == 1)
        check("the country's timeline fills its card", fills(driver, "#country-body .chart") > 0.9, fills(driver, "#country-body .chart"))
        check("the country's week labels do not overlap", not week_labels_overlap(driver, "#country-body svg.line-chart"),
              week_labels_overlap(driver, "#country-body svg.line-chart"))
        screenshot(driver, "dashboard-country-1280x800.png")

        # Opening the country address directly works too.
        driver.get(BASE + "/dashboard?campaign=%s&country=%s" % (CAMPAIGN, code))
        wait.until(lambda d: d.find_elements(By.ID, "country-signatures"))
        check("a country address opens its page", dom_number(driver, "country-signatures") == str(country["country"]["signatures"]))

        # Phone width (an iPhone's 375 pixels), on the country page so its tables are there too.
        viewport(driver, 375, 812, mobile=True)
        driver.get(BASE + "/dashboard?campaign=%s&country=%s" % (CAMPAIGN, code))
        wait.until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'") and d.find_elements(By.ID, "country-signatures"))
        overflow = driver.execute_script("return document.documentElement.scrollWidth") - 375
        check("nothing is wider than a phone screen", overflow <= 0, overflow)
        check("nothing is cut off at phone width", not cut_off(driver, 375), cut_off(driver, 375))
        check("the charts' week labels do not overlap at phone width",
              not week_labels_overlap(driver, "#momentum-chart svg") and not week_labels_overlap(driver, "#country-body svg.line-chart"),
              week_labels_overlap(driver, "#momentum-chart svg") + week_labels_overlap(driver, "#country-body svg.line-chart"))
        screenshot(driver, "dashboard-375x812.png")
        screenshot(driver, "dashboard-375-full.png", full_page=True)

        # Printed to PDF (what leaders forward).
        viewport(driver, 1280, 800)
        import base64
        pdf = driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": False, "paperWidth": 8.27, "paperHeight": 11.69})
        with open(os.path.join(OUTPUT, "dashboard.pdf"), "wb") as out:
            out.write(base64.b64decode(pdf["data"]))
        check("the page prints to PDF", len(pdf["data"]) > 1000)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        check("the controls are hidden in print", not driver.find_element(By.ID, "download-csv").is_displayed())
        screenshot(driver, "dashboard-print.png", full_page=True)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

        # A link made for somebody else does not switch this signed-in browser silently (login CSRF).
        # The service's refusals (409, then 401 for the used link) are expected here: the browser logs
        # them as errors, so they are set aside from the console check.
        collect_console(driver)
        driver.get(BASE + "/dashboard/sign-in#code=" + OTHER_CODE + "&campaign=" + CAMPAIGN)
        prompt = wait.until(lambda d: d.find_element(By.ID, "replace-prompt") if d.find_element(By.ID, "replace-prompt").is_displayed() else None)
        check("another person's link asks before replacing the session", "lead-1" in prompt.text, prompt.text)
        check("the keep button has the focus", driver.switch_to.active_element.get_attribute("id") == "replace-keep")
        driver.find_element(By.ID, "replace-keep").click()
        wait.until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
        me = driver.execute_async_script(
            "const done = arguments[0]; fetch('/v1/me').then(r => r.json()).then(b => done(b.subject)).catch(e => done(String(e)));")
        check("keeping the session keeps the person signed in as themselves", me == "lead-1", me)
        # The link used at the start opens nothing a second time.
        driver.get(BASE + "/dashboard/sign-in#code=" + LEADER_CODE)
        wait.until(lambda d: "expired or has been used" in d.find_element(By.ID, "sign-in-status").text)
        check("a used sign-in link is refused with a sentence saying so", True)
        errors = [entry.get("message", "") for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
        expected = [message for message in errors if "/v1/session" in message and ("(Conflict)" in message or "(Unauthorized)" in message)]
        check("the service refused the other person's link, then the used one", len(expected) == 2, errors)
        console_errors.extend(message for message in errors if message not in expected)

        # Signing out ends the session.
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.get(BASE + "/dashboard?campaign=" + CAMPAIGN)
        wait.until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
        driver.find_element(By.ID, "sign-out").click()
        wait.until(lambda d: "/dashboard/sign-in" in d.current_url)
        collect_console(driver)
        check("no JavaScript error in the console", not console_errors, console_errors)
    finally:
        driver.quit()
    check_history(profile)
    shutil.rmtree(profile, ignore_errors=True)
    print("%d passed, %d failed" % (len(passed), len(failed)))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
