#!/usr/bin/env python3
"""A poster's QR code link in headless Chromium, against a running service.

Opens the link as a person who is not signed in, follows the page's sign-in link (which keeps the
campaign, the channel and the event) with a sign-in code, signs on the employee's page, and checks
that the page's signing call carried the link's channel and event (GET …/signature).

Environment:
  MOBILISE_URL    the service, e.g. http://127.0.0.1:8080
  MOBILISE_LINK   the link read from the poster's QR code
  MOBILISE_CODE   a sign-in code for an employee of the campaign's audience who has not signed

Needs Debian's chromium and chromium-driver, Selenium and axe-selenium-python (PyPI). Exits 0 when
every check passes.
"""
import json
import os
import shutil
import sys
import tempfile
import urllib.parse

os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait as _Wait

BASE = os.environ["MOBILISE_URL"].rstrip("/")
LINK = os.environ["MOBILISE_LINK"]
CODE = os.environ["MOBILISE_CODE"]

passed, failed = [], []


def check(name, condition, detail=""):
    (passed if condition else failed).append(name)
    print(("ok   " if condition else "FAIL ") + name + ("" if condition or detail == "" else ": " + str(detail)), flush=True)
    return condition


def wait(driver, timeout=30):
    return _Wait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,))


def find_binary(*names):
    for name in names:
        for folder in os.environ.get("PATH", "").split(":") + ["/usr/bin", "/usr/lib/chromium"]:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    sys.exit("not found: " + " or ".join(names) + " (apt-get install chromium chromium-driver)")


def ready(driver):
    wait(driver).until(lambda d: d.execute_script("return document.body && document.body.dataset.ready === 'true'"))


def main():
    link = urllib.parse.urlsplit(LINK)
    wanted = dict(urllib.parse.parse_qsl(link.query))
    profile = tempfile.mkdtemp(prefix="mobilise-profile-")
    options = Options()
    options.binary_location = find_binary("chromium", "chromium-browser")
    # A phone's width: posters are scanned with phones.
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=390,844",
                     "--lang=en-GB", "--user-data-dir=" + profile]:
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(find_binary("chromedriver")))
    try:
        # The link, signed out: the page offers sign-in, keeping what the link says.
        driver.get(BASE + link.path + "?" + link.query)
        ready(driver)
        anchor = driver.find_element(By.CSS_SELECTOR, "#signed-out a")
        check("signed out: the sign-in panel shows", driver.find_element(By.ID, "signed-out").is_displayed())
        target = urllib.parse.urlsplit(anchor.get_attribute("href"))
        carried = dict(urllib.parse.parse_qsl(target.query))
        check("the sign-in link keeps the campaign, channel and event",
              all(carried.get(name) == value for name, value in wanted.items()) and carried.get("page") == "employee", carried)

        # Sign in with a code on that link, and land on the employee's page with the link's query.
        driver.get(BASE + target.path + "?" + target.query + "#code=" + CODE)
        wait(driver).until(lambda d: urllib.parse.urlsplit(d.current_url).path == "/")
        ready(driver)
        landed = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(driver.current_url).query))
        check("after sign-in: the page has the link's query", landed == wanted, (landed, wanted))

        button = driver.find_element(By.ID, "sign")
        check("the sign button shows", button.is_displayed())
        button.click()
        wait(driver).until(lambda d: d.find_element(By.ID, "withdraw").is_displayed())
        answer = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/v1/campaigns/' + encodeURIComponent(arguments[0]) + '/signature', { credentials: 'same-origin' })
              .then((r) => r.json()).then(done, (e) => done({ error: String(e) }));""", wanted["campaign"])
        check("the signature records the link's channel", answer.get("channel") == wanted.get("channel"), answer)
        check("the signature records the link's event", (answer.get("event_id") or "").lower() == wanted.get("event", "").lower(), answer)

        Axe(driver).inject()
        driver.set_script_timeout(180)
        results = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            axe.run(document).then((r) => done({ violations: r.violations.map((v) => ({ id: v.id, impact: v.impact })) }),
                                    (e) => done({ error: String(e) }));""")
        bad = [v for v in results.get("violations", []) if v["impact"] in ("serious", "critical")]
        check("axe: no serious or critical violation on the signed page at a phone's width", "violations" in results and not bad, results)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps({"passed": len(passed), "failed": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
