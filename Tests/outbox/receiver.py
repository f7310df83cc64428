#!/usr/bin/env python3
"""A webhook receiver on loopback for the outbox tests (Tests/MobiliseAPITests/OutboxTests.swift).

    receiver.py DIRECTORY

Listens on a free loopback port and writes it to DIRECTORY/port. Each POST is answered by the
path's mode, and recorded as one JSON line in DIRECTORY/requests.jsonl:

  /ok       verifies the Standard Webhooks signature with the `standardwebhooks` package (PyPI)
            against the secret in DIRECTORY/secret (written by the test once the webhook exists):
            200 when it verifies, 401 when not; records "verified".
  /teams    checks the Adaptive Card envelope Teams' Workflows/incoming webhooks expect; 200 or 400.
  /slack    checks the Block Kit message a Slack incoming webhook takes; 200 or 400.
  /fail     500 every time.
  /hang     reads the request and never answers (until the client gives up).
  /hang-once  hangs on the first request of each webhook-id (the sender is then killed), then as /ok.

HTTP/1.1 with keep-alive, as Teams', Slack's and most receivers are: a sender may send many requests
over one connection. Each record has the sender's port ("peer_port"), so a test can tell connections apart.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

DIRECTORY = sys.argv[1]
LOCK = threading.Lock()

SLACK_BLOCK_TYPES = {"section", "header", "context", "divider", "actions", "image", "rich_text", "input", "file", "video"}
ADAPTIVE_ELEMENT_TYPES = {"TextBlock", "FactSet", "ColumnSet", "Container", "Image", "ImageSet", "RichTextBlock", "ActionSet", "Table"}


def teams_problems(message):
    problems = []
    if message.get("type") != "message":
        problems.append("type is not 'message'")
    attachments = message.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1:
        return problems + ["attachments is not a list of one card"]
    attachment = attachments[0]
    if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
        problems.append("contentType is not application/vnd.microsoft.card.adaptive")
    card = attachment.get("content") or {}
    if card.get("type") != "AdaptiveCard":
        problems.append("content.type is not AdaptiveCard")
    if card.get("version") not in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5"):
        problems.append("content.version is not 1.0-1.5")
    body = card.get("body")
    if not isinstance(body, list) or not body:
        problems.append("content.body is empty")
    else:
        for element in body:
            if element.get("type") not in ADAPTIVE_ELEMENT_TYPES:
                problems.append("unknown element %r" % element.get("type"))
            if element.get("type") == "TextBlock" and not isinstance(element.get("text"), str):
                problems.append("a TextBlock without text")
            if element.get("type") == "FactSet" and not all(
                    isinstance(f.get("title"), str) and isinstance(f.get("value"), str) for f in element.get("facts", [])):
                problems.append("a FactSet fact without title or value")
    return problems


def slack_problems(message):
    problems = []
    if not isinstance(message.get("text"), str) or not message["text"]:
        problems.append("no text fallback")
    blocks = message.get("blocks")
    if not isinstance(blocks, list) or not blocks or len(blocks) > 50:
        return problems + ["blocks is not a list of 1 to 50 blocks"]
    for block in blocks:
        kind = block.get("type")
        if kind not in SLACK_BLOCK_TYPES:
            problems.append("unknown block type %r" % kind)
        if kind == "header":
            text = block.get("text") or {}
            if text.get("type") != "plain_text" or len(text.get("text", "")) > 150:
                problems.append("a header must be plain_text of at most 150 characters")
        if kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append("a section without text or fields")
            if len(block.get("fields", [])) > 10:
                problems.append("a section with more than 10 fields")
        if kind == "context" and not block.get("elements"):
            problems.append("a context block without elements")
    return problems


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body.decode("utf-8"),
                  "peer_port": self.client_address[1]}
        status = 200
        if self.path == "/hang-once":
            seen = os.path.join(DIRECTORY, "seen-" + "".join(c for c in self.headers.get("webhook-id", "") if c.isalnum() or c in "_-"))
            with LOCK:
                first = not os.path.exists(seen)
                if first:
                    open(seen, "w").close()
            if first:
                record["hung"] = True
                self.write(record)
                time.sleep(3600)
                return
            self.path = "/ok"
        if self.path == "/hang":
            record["hung"] = True
            self.write(record)
            time.sleep(3600)
            return
        if self.path == "/fail":
            status = 500
        elif self.path == "/ok":
            try:
                with open(os.path.join(DIRECTORY, "secret")) as f:
                    secret = f.read().strip()
                Webhook(secret).verify(body, {k: v for k, v in self.headers.items()})
                record["verified"] = True
            except (WebhookVerificationError, OSError) as error:
                record["verified"] = False
                record["problem"] = str(error)
                status = 401
        elif self.path in ("/teams", "/slack"):
            try:
                message = json.loads(body)
                problems = teams_problems(message) if self.path == "/teams" else slack_problems(message)
            except ValueError as error:
                problems = ["not JSON: %s" % error]
            record["problems"] = problems
            status = 400 if problems else 200
        record["status"] = status
        self.write(record)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def write(self, record):
        with LOCK, open(os.path.join(DIRECTORY, "requests.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")


class Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a sender opening 20 connections at once had SYNs
    # dropped and retried a second later (attempts of 1.0-1.4 s in bench/outbox_during_signing).
    request_queue_size = 128


server = Server(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(os.path.join(DIRECTORY, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIRECTORY, "port.tmp"), os.path.join(DIRECTORY, "port"))
server.serve_forever()
