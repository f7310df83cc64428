#!/usr/bin/env python3
"""A real OpenID provider on loopback for the single sign-on tests: Debian's glewlwyd.

Starts glewlwyd on a free port with a fresh SQLite database in a temporary folder, configures it
through its own administration API (an OpenID Connect plugin signing with a new RSA key, one
confidential client whose redirect URI is the Mobilise callback, and the users given), prints one
line of JSON describing it, then runs until its standard input closes (the test ends it that way,
or by SIGTERM), and removes everything it made.

Arguments: --redirect-uri URI  (the Mobilise callback)
           --user USERNAME:PASSWORD:HRID:GROUP[,GROUP...]  (repeatable)

Printed: {"issuer": ..., "client_id": ..., "client_secret": ..., "port": ...}
"""

import argparse
import gzip
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SCHEMA = "/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz"
WEBAPP = "/usr/share/glewlwyd/webapp"
# The login page's own settings. Debian's webapp links config.json to /etc/glewlwyd/config-2.7.json,
# which the package installs as a folder holding config.json: the copy below takes the file itself.
WEBAPP_CONFIG = ["/etc/glewlwyd/config-2.7.json/config.json", "/etc/glewlwyd/config-2.7.json"]
ADMIN_PASSWORD = "password"  # the schema's default administrator; the provider lives for one test

SAMPLE = "/usr/share/doc/glewlwyd/glewlwyd.conf.sample.gz"


def configuration(port, base, folder):
    """Debian's sample configuration with the settings of a throwaway provider on loopback."""
    settings = {
        "port": str(port), "bind_address": '"127.0.0.1"', "external_url": f'"{base}"',
        "static_files_path": f'"{folder}/webapp/"', "log_mode": '"file"', "log_level": '"WARNING"',
        "log_file": f'"{folder}/glewlwyd.log"', "cookie_domain": '"127.0.0.1"', "cookie_secure": "0",
        "cookie_same_site": '"lax"', "allow_multiple_user_per_session": "false",
    }
    lines = []
    for line in gzip.open(SAMPLE, "rt").read().splitlines():
        key = line.split("=", 1)[0].strip().lstrip("#")
        if "=" in line and key in settings and (not line.startswith("#") or key == "bind_address"):
            line = f"{key}={settings.pop(key)}"
        lines.append(line.replace("/var/cache/glewlwyd/glewlwyd.db", f"{folder}/glewlwyd.db"))
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Admin:
    """The administration API, signed in as the schema's administrator (a session cookie)."""

    def __init__(self, base):
        self.base = base
        self.cookie = None

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        request = urllib.request.Request(self.base + "/api" + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                for value in response.headers.get_all("Set-Cookie") or []:
                    self.cookie = value.split(";", 1)[0]
                text = response.read()
                return response.status, (json.loads(text) if text.strip() else None)
        except urllib.error.HTTPError as error:
            raise SystemExit(f"glewlwyd {method} {path}: {error.code} {error.read()[:500]!r}")


def wait_until_up(base, process, deadline):
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(base + "/config/", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)  # polling a server that is starting: there is nothing to wait on instead
    return False


class Provider:
    """A running glewlwyd: `info` says where and as which client; `stop()` ends it and removes its files."""

    def __init__(self, redirect_uri, users):
        self.folder = tempfile.mkdtemp(prefix="mobilise-glewlwyd-")
        self.process = None
        try:
            self.info = self._start(redirect_uri, users)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _start(self, redirect_uri, users):
        folder = self.folder
        with gzip.open(SCHEMA, "rt") as schema, sqlite3.connect(os.path.join(folder, "glewlwyd.db")) as db:
            db.executescript(schema.read())
        shutil.copytree(WEBAPP, os.path.join(folder, "webapp"), ignore=shutil.ignore_patterns("config.json"))
        shutil.copyfile(next(p for p in WEBAPP_CONFIG if os.path.isfile(p)), os.path.join(folder, "webapp", "config.json"))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with open(os.path.join(folder, "glewlwyd.conf"), "w") as f:
            f.write(configuration(port, base, folder))
        self.process = subprocess.Popen(["glewlwyd", f"--config-file={folder}/glewlwyd.conf"],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until_up(base, self.process, time.monotonic() + 60):
            path = os.path.join(folder, "glewlwyd.log")
            raise SystemExit("glewlwyd did not start: " + (open(path).read()[-2000:] if os.path.exists(path) else ""))
        admin = Admin(base)
        admin.call("POST", "/auth/", {"username": "admin", "password": ADMIN_PASSWORD})

        key = subprocess.run(["openssl", "genrsa", "2048"], capture_output=True, check=True).stdout.decode()
        public = subprocess.run(["openssl", "rsa", "-pubout"], input=key.encode(), capture_output=True, check=True).stdout.decode()
        # The user backend keeps two more properties: the HR id and the groups, both sent as claims.
        modules = admin.call("GET", "/mod/user/database")[1]
        modules["parameters"]["data-format"]["hr_id"] = {"multiple": False, "read": True, "write": True,
                                                         "profile-read": True, "profile-write": False}
        modules["parameters"]["data-format"]["groups"] = {"multiple": True, "read": True, "write": True,
                                                          "profile-read": True, "profile-write": False}
        admin.call("PUT", "/mod/user/database", modules)
        admin.call("PUT", "/mod/user/database/reset")

        issuer = base + "/api/oidc"
        admin.call("POST", "/mod/plugin/", {
            "module": "oidc", "name": "oidc", "display_name": "OpenID Connect", "enabled": True,
            "parameters": {
                "iss": issuer, "jwt-type": "rsa", "jwt-key-size": "256", "key": key, "cert": public,
                "access-token-duration": 3600, "refresh-token-duration": 1209600, "code-duration": 600,
                "refresh-token-rolling": True, "allow-non-oidc": False,
                "auth-type-code-enabled": True, "auth-type-code-revoke-replayed": True,
                "auth-type-token-enabled": False, "auth-type-id-token-enabled": False, "auth-type-none-enabled": False,
                "auth-type-password-enabled": False, "auth-type-client-enabled": False,
                "auth-type-device-enabled": False, "auth-type-refresh-enabled": True,
                "scope": [], "additional-parameters": [],
                "claims": [
                    {"name": "hr_id", "user-property": "hr_id", "type": "string", "scope": [], "mandatory": True, "on-demand": False},
                    {"name": "groups", "user-property": "groups", "type": "string", "scope": [], "mandatory": True, "on-demand": False},
                ],
                "jwks-show": True, "request-parameter-allow": False, "subject-type": "public", "secret-type": "pairwise",
                "name-claim": "no", "email-claim": "no", "scope-claim": "no", "address-claim": {"type": "no"},
                "allowed-scope": ["openid"],
                "pkce-allowed": True, "pkce-method-plain-allowed": False, "pkce-required": True,
                "introspection-revocation-allowed": False, "register-client-allowed": False,
                "session-management-allowed": False,
            },
        })

        client_id = "mobilise-" + secrets.token_hex(4)
        client_secret = secrets.token_urlsafe(24)
        admin.call("POST", "/client/", {
            "client_id": client_id, "name": "Mobilise", "description": "Mobilise's pages", "enabled": True,
            "confidential": True, "client_secret": client_secret, "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"],
            "redirect_uri": [redirect_uri], "authorization_type": ["code", "refresh_token"], "scope": ["openid"],
        })
        for spec in users:
            username, password, hr_id, groups = spec.split(":", 3)
            admin.call("POST", "/user/", {
                "username": username, "name": username, "email": "", "enabled": True, "password": password,
                "scope": ["openid"], "hr_id": hr_id, "groups": [g for g in groups.split(",") if g],
            })
            # The user has granted the client its scope once already: the test is about Mobilise's sign-in,
            # through the provider's login form, not about the provider's consent page.
            user = Admin(base)
            user.call("POST", "/auth/", {"username": username, "password": password})
            user.call("PUT", f"/auth/grant/{client_id}", {"scope": "openid"})
        return {"issuer": issuer, "client_id": client_id, "client_secret": client_secret, "port": port, "base": base}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--redirect-uri", required=True)
    parser.add_argument("--user", action="append", default=[])
    args = parser.parse_args()
    provider = Provider(args.redirect_uri, args.user)
    signal.signal(signal.SIGTERM, lambda *_: (provider.stop(), sys.exit(0)))
    try:
        print(json.dumps(provider.info), flush=True)
        sys.stdin.read()  # until whoever started us closes our standard input
    finally:
        provider.stop()


if __name__ == "__main__":
    main()
