#!/usr/bin/env python3
"""Company sign-in (OpenID Connect) against a real provider, Debian's glewlwyd, on loopback.

A person signs in through glewlwyd's own login form in headless Chromium and lands on the
dashboard with a session; then the bad cases, each of which must answer its error page and open
no session: a wrong state, a replayed code, an HR id unknown to Mobilise, a sign-in that was never
started (or is used twice), and a provider error. A poster's link (the employee's page with its
campaign, channel and event) goes through company sign-in and comes back to that page.

Environment:
  MOBILISE_URL        the service, e.g. http://127.0.0.1:8080
  MOBILISE_HR_TOKEN   a bearer token of an HR admin of MOBILISE_ORG (to set the provider)
  MOBILISE_ORG        the organisation's slug
  MOBILISE_HR_ID      an active employee's HR id (the person who signs in)
  MOBILISE_OUTPUT     where screenshots go (default .ci/output)

Exits 0 when every check passes. Needs glewlwyd, chromium, chromium-driver, Selenium and
axe-selenium-python; nothing is downloaded.
"""
import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glewlwyd_provider import Provider  # noqa: E402

BASE = os.environ["MOBILISE_URL"].rstrip("/")
HR_TOKEN = os.environ["MOBILISE_HR_TOKEN"]
ORG = os.environ["MOBILISE_ORG"]
HR_ID = os.environ["MOBILISE_HR_ID"]
OUTPUT = os.environ.get("MOBILISE_OUTPUT", ".ci/output")
CALLBACK = BASE + "/auth/oidc/callback"

passed, failed = [], []


def check(name, condition, detail=""):
    (passed if condition else failed).append(name)
    print(("ok   " if condition else "FAIL ") + name + ("" if condition or not detail else ": " + str(detail)), flush=True)
    return condition


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A browser without a browser: keeps cookies by hand (per host), follows no redirects."""

    def __init__(self):
        self.cookies = {}
        self.opener = urllib.request.build_opener(NoRedirect)

    def call(self, method, url, body=None, headers=None):
        host = urllib.parse.urlsplit(url).netloc
        headers = dict(headers or {})
        jar = self.cookies.setdefault(host, {})
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        set_cookies = response.headers.get_all("Set-Cookie") or []
        for value in set_cookies:
            name, _, rest = value.partition("=")
            cookie_value = rest.split(";", 1)[0]
            if "max-age=0" in value.lower() or cookie_value == "":
                jar.pop(name, None)
            else:
                jar[name] = cookie_value
        return response.status, dict(response.headers), response.read().decode("utf-8", "replace"), set_cookies


def api(method, path, body=None):
    request = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer " + HR_TOKEN, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def provider_code(client, location, username, password, provider):
    """Signs in at the provider's API as `username` and follows the authorization request: the code."""
    client.call("POST", provider["base"] + "/api/auth/", {"username": username, "password": password})
    status, headers, _, _ = client.call("GET", location + "&g_continue")
    target = headers.get("Location", "")
    return status, target


def start_sign_in(client, return_path=None):
    query = "?" + urllib.parse.urlencode({"return": return_path}) if return_path else ""
    status, headers, body, _ = client.call("GET", f"{BASE}/auth/oidc/{ORG}/sign-in{query}")
    return status, headers.get("Location", ""), body


def opened_session(set_cookies):
    return any(c.startswith("mobilise_session=") and "max-age=0" not in c.lower() for c in set_cookies)


def error_code(headers):
    return headers.get("X-Mobilise-Error") or headers.get("x-mobilise-error")


def make_driver(profile):
    options = Options()
    for name in ["/usr/bin/chromium", "/usr/bin/chromium-browser"]:
        if os.path.exists(name):
            options.binary_location = name
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800",
                     "--lang=en-GB", "--user-data-dir=" + profile]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = next((p for p in ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"] if os.path.exists(p)), "chromedriver")
    return webdriver.Chrome(options=options, service=Service(driver_path))


def axe_violations(driver):
    from axe_selenium_python import Axe
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [v["id"] for v in results["violations"] if v.get("impact") in ("serious", "critical")]


def main():
    os.makedirs(OUTPUT, exist_ok=True)
    users = [f"alice:correct-horse-1:{HR_ID}:leaders", "bob:correct-horse-2:nobody-here:leaders"]
    provider = Provider(CALLBACK, users)
    driver = None
    try:
        info = provider.info
        status, answer = api("PUT", "/v1/sso", {
            "issuer": info["issuer"], "client_id": info["client_id"], "client_secret": info["client_secret"],
            "hr_id_claim": "hr_id", "roles_claim": "groups", "role_mapping": [{"group": "leaders", "role": "leader"}],
        })
        check("an HR admin sets the organisation's provider", status == 200 and "client_secret" not in json.dumps(answer), answer)

        # 1. Through glewlwyd's own login form, in Chromium.
        driver = make_driver(tempfile.mkdtemp(prefix="mobilise-sso-chromium-"))
        # glewlwyd's login page is a React application: elements are replaced as it renders.
        wait = WebDriverWait(driver, 30, ignored_exceptions=[StaleElementReferenceException])
        driver.get(f"{BASE}/dashboard/sign-in?org={ORG}")
        link = wait.until(lambda d: d.find_element(By.ID, "company-link") if d.find_element(By.ID, "company-sign-in").is_displayed() else None)
        check("the sign-in page offers the company account", link.get_attribute("href").endswith(f"/auth/oidc/{ORG}/sign-in"))
        violations = axe_violations(driver)
        check("the sign-in page has no serious or critical axe violation", not violations, violations)
        link.click()
        username = wait.until(lambda d: d.find_element(By.ID, "username") if d.find_elements(By.ID, "username") else None)
        check("the browser is at the provider's login form", driver.current_url.startswith(info["base"] + "/login.html"), driver.current_url)
        username.send_keys("alice")
        driver.find_element(By.ID, "password").send_keys("correct-horse-1")
        driver.find_element(By.ID, "loginbut").click()

        def continue_button(d):
            if d.current_url.startswith(BASE):
                return "back"
            for button in d.find_elements(By.TAG_NAME, "button"):
                if button.text.strip() == "Continue" and button.is_displayed() and button.is_enabled():
                    return button
            return None

        step = wait.until(continue_button)
        if step != "back":
            step.click()
        wait.until(lambda d: d.current_url.startswith(BASE + "/dashboard") and not d.current_url.startswith(BASE + "/dashboard/sign-in"))
        check("the provider sends the browser back to the dashboard", urllib.parse.urlsplit(driver.current_url).path == "/dashboard",
              driver.current_url)
        driver.save_screenshot(os.path.join(OUTPUT, "sso-dashboard.png"))
        cookies = {c["name"]: c for c in driver.get_cookies()}
        session = cookies.get("mobilise_session")
        check("a session cookie was set, HttpOnly and SameSite=Strict",
              session is not None and session.get("httpOnly") and session.get("sameSite") == "Strict", session)
        check("the sign-in cookie is gone", "mobilise_sso" not in cookies, cookies.keys())
        who = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/v1/me', {credentials: 'same-origin'}).then(r => r.json().then(j => done({status: r.status, body: j})))
              .catch(e => done({status: 0, body: String(e)}));""")
        check("the session reads the API as the person, with the mapped role",
              who["status"] == 200 and who["body"].get("subject") == HR_ID and "leader" in who["body"].get("roles", []), who)

        # 1b. A poster's link (the employee's page with a campaign, channel and event), through company
        # sign-in and back to that page with its query. The employee's page reads a campaign that
        # does not exist here: what it logs is not counted below.
        logged = driver.get_log("browser")
        event = "0f0e0d0c-0b0a-4909-8807-060504030201"
        wanted = f"campaign=heforshe&channel=poster&event={event}"
        driver.get(f"{BASE}/dashboard/sign-in?org={ORG}&page=employee&{wanted}")
        link = wait.until(lambda d: d.find_element(By.ID, "company-link") if d.find_element(By.ID, "company-sign-in").is_displayed() else None)
        returned = urllib.parse.parse_qs(urllib.parse.urlsplit(link.get_attribute("href")).query).get("return")
        check("the company sign-in link returns to the poster's page", returned == ["/?" + wanted], link.get_attribute("href"))
        link.click()

        def next_step(d):
            if d.current_url.startswith(BASE) and "/auth/oidc/" not in d.current_url:
                return "back"
            fields = d.find_elements(By.ID, "username")
            if fields and fields[0].is_displayed():
                return "login"
            return continue_button(d)

        for _ in range(3):
            step = wait.until(next_step)
            if step == "back":
                break
            if step == "login":
                driver.find_element(By.ID, "username").send_keys("alice")
                driver.find_element(By.ID, "password").send_keys("correct-horse-1")
                driver.find_element(By.ID, "loginbut").click()
                wait.until(lambda d: not d.find_elements(By.ID, "loginbut") or d.current_url.startswith(BASE))
            else:
                step.click()
        wait.until(lambda d: d.current_url.startswith(BASE) and "/auth/oidc/" not in d.current_url)
        landed = urllib.parse.urlsplit(driver.current_url)
        check("company sign-in keeps the poster's campaign, channel and event", landed.path == "/" and landed.query == wanted,
              driver.current_url)
        driver.get_log("browser")  # the employee's page of a campaign that does not exist here

        # 2. Bad cases, through the provider's API (its login form is the same server), no browser.
        # A wrong state: the answer is not for the sign-in this browser started.
        client = Client()
        status, location, _ = start_sign_in(client)
        check("starting a sign-in redirects to the provider", status == 302 and location.startswith(info["base"]), (status, location))
        check("the authorization request asks for PKCE S256, a state and a nonce",
              all(f"{k}=" in location for k in ["code_challenge", "state", "nonce"]) and "code_challenge_method=S256" in location)
        status, back = provider_code(client, location, "alice", "correct-horse-1", info)
        check("the provider answers with a code", status == 302 and back.startswith(CALLBACK) and "code=" in back, (status, back))
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))
        forged = CALLBACK + "?" + urllib.parse.urlencode({"code": query.get("code", ""), "state": "not-the-state"})
        status, headers, body, set_cookies = client.call("GET", forged)
        check("a wrong state is refused, with no session", status == 400 and error_code(headers) == "sso_state_mismatch"
              and not opened_session(set_cookies), (status, error_code(headers)))
        check("the error page says what to do", "Start again" in body and 'id="sso-error"' in body)

        # The same sign-in cannot be finished afterwards (it was used up by the refused attempt).
        status, headers, _, set_cookies = client.call("GET", back)
        check("a sign-in is used once", status == 400 and error_code(headers) == "sso_login_expired" and not opened_session(set_cookies),
              (status, error_code(headers)))

        # A replayed code: the first use opens a session; the same code with a new sign-in does not.
        client = Client()
        _, location, _ = start_sign_in(client, return_path="/admin?tab=import")
        _, back = provider_code(client, location, "alice", "correct-horse-1", info)
        status, headers, _, set_cookies = client.call("GET", back)
        check("the first use of a code opens a session, and returns to the page asked for (the HR console)",
              status == 303 and headers.get("Location") == "/admin?tab=import" and opened_session(set_cookies),
              (status, headers.get("Location"), error_code(headers)))
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))["code"]
        _, location2, _ = start_sign_in(client)
        state2 = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location2).query))["state"]
        status, headers, _, set_cookies = client.call("GET", CALLBACK + "?" + urllib.parse.urlencode({"code": code, "state": state2}))
        check("a replayed code is refused by the provider, with no session",
              status == 401 and error_code(headers) == "sso_code_refused" and not opened_session(set_cookies), (status, error_code(headers)))

        # An HR id Mobilise does not know.
        client = Client()
        _, location, _ = start_sign_in(client)
        _, back = provider_code(client, location, "bob", "correct-horse-2", info)
        status, headers, body, set_cookies = client.call("GET", back)
        check("an unknown HR id is refused, with no session", status == 403 and error_code(headers) == "sso_unknown_employee"
              and not opened_session(set_cookies), (status, error_code(headers)))
        check("the page names the HR id and whom to ask", "nobody-here" in body and "HR team" in body)
        check("the page links back to the organisation's sign-in page", f'href="/dashboard/sign-in?org={ORG}"' in body)

        # No sign-in started in this browser (a link from elsewhere: login CSRF).
        status, headers, _, set_cookies = Client().call("GET", back)
        check("a callback without a sign-in of this browser is refused", status == 400 and error_code(headers) == "sso_login_expired"
              and not opened_session(set_cookies), (status, error_code(headers)))

        # The provider reports an error (the person cancelled).
        client = Client()
        _, location, _ = start_sign_in(client)
        state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["state"]
        status, headers, _, set_cookies = client.call("GET", CALLBACK + "?" + urllib.parse.urlencode(
            {"error": "access_denied", "error_description": "cancelled", "state": state}))
        check("a provider error is shown, with no session", status == 401 and error_code(headers) == "sso_provider_error"
              and not opened_session(set_cookies), (status, error_code(headers)))

        # The error page in the browser: readable and clean under axe.
        driver.get(forged)
        violations = axe_violations(driver)
        check("the error page has no serious or critical axe violation", not violations, violations)
        driver.save_screenshot(os.path.join(OUTPUT, "sso-error.png"))
        errors = [e["message"] for e in logged + driver.get_log("browser") if e.get("level") == "SEVERE" and BASE in e.get("message", "")
                  and "/auth/oidc/callback" not in e.get("message", "")]
        check("no JavaScript error on Mobilise's pages", not errors, errors)
    finally:
        if driver:
            driver.quit()
        provider.stop()
    print(f"{len(passed)} passed, {len(failed)} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
