#!/usr/bin/env python3
"""A real SMTP server on loopback for the e-mail reminder tests: aiosmtpd (PyPI).

    smtp_server.py DIRECTORY [--tls | --implicit-tls] [--auth USER:PASSWORD] [--hang-at N]

Listens on 127.0.0.1, on a port the system picks, and writes it to DIRECTORY/port. With --tls it
makes a self-signed certificate for 127.0.0.1 (DIRECTORY/cert.pem, which the test gives the
service as its trusted root) and offers STARTTLS, required before anything else; with --auth it
requires AUTH (PLAIN or LOGIN) with those credentials. Recipients whose local part is `refuse4`
or `refuse5` are refused with 451 or 550. With --hang-at N, the Nth message (counting from 1) is
recorded as accepted and then never answered (the fault tests' crash between the server's accepting
a message and the sender's recording it); every other message is answered at once.

Every accepted message is parsed as MIME with Python's `email` package and recorded, one JSON
line each, in DIRECTORY/messages.jsonl: the envelope, whether the session was encrypted and who
authenticated, the decoded headers, the parts' types, and the decoded text and HTML bodies.
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import ssl
import subprocess
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory, hang_at=None):
        self.path = os.path.join(directory, "messages.jsonl")
        self.hang_at = hang_at
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local == "refuse4":
            return "451 4.3.0 Mailbox busy, try again later"
        if local == "refuse5":
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        problems = []
        parts = []
        if message.get_content_type() != "multipart/alternative":
            problems.append("not multipart/alternative: " + message.get_content_type())
        for part in message.walk():
            if part.is_multipart():
                continue
            parts.append({
                "type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "encoding": part.get("Content-Transfer-Encoding"),
            })
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        for line in raw.split(b"\r\n"):
            if len(line) > 998:
                problems.append("a line longer than 998 bytes")
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None,
            "auth": (session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None),
            "subject": str(message["Subject"]),
            # The header as sent (RFC 2047 encoded words), read without decoding.
            "raw_subject": email.message_from_bytes(raw, policy=email.policy.compat32)["Subject"],
            "from": str(message["From"]),
            "to": str(message["To"]),
            "date": str(message["Date"]) if message["Date"] else None,
            "message_id": str(message["Message-ID"]) if message["Message-ID"] else None,
            "content_language": str(message["Content-Language"]) if message["Content-Language"] else None,
            "list_unsubscribe": str(message["List-Unsubscribe"]) if message["List-Unsubscribe"] else None,
            "list_unsubscribe_post": str(message["List-Unsubscribe-Post"]) if message["List-Unsubscribe-Post"] else None,
            "parts": parts,
            "text": plain.get_content() if plain is not None else None,
            "html": html.get_content() if html is not None else None,
            "problems": problems,
            "defects": [str(defect) for defect in message.defects],
        }
        self.count += 1
        record["hung"] = self.count == self.hang_at
        record["received_at"] = time.time()
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        if record["hung"]:
            # Accepted here, never answered: the sender cannot know.
            await asyncio.Event().wait()
        return "250 2.0.0 Message accepted"


def self_signed(directory):
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run([
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (smtps), instead of STARTTLS")
    parser.add_argument("--auth")
    parser.add_argument("--hang-at", type=int, help="record the Nth message, then never answer it")
    args = parser.parse_args()
    handler = Recorder(args.directory, args.hang_at)
    context = self_signed(args.directory) if (args.tls or args.implicit_tls) else None
    implicit = context if args.implicit_tls else None
    if implicit:
        context = None
    user, password = (args.auth.split(":", 1) if args.auth else (None, None))

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        return AuthResult(success=ok, auth_data=auth_data if ok else None)

    def factory():
        return SMTP(
            handler,
            hostname="mail.test",
            tls_context=context,
            require_starttls=context is not None,
            authenticator=authenticator if user else None,
            auth_required=user is not None,
            auth_require_tls=False if implicit else context is not None,
            enable_SMTPUTF8=True,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, host="127.0.0.1", port=0, ssl=implicit)
    port = server.sockets[0].getsockname()[1]
    temporary = os.path.join(args.directory, "port.tmp")
    with open(temporary, "w") as out:
        out.write(str(port))
    os.rename(temporary, os.path.join(args.directory, "port"))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
