"""Local fake servers speaking Twilio's and Sparrow's HTTP protocols, on 127.0.0.1.

They check auth and request shape the way the vendors do, keep what they
accepted (so reconciliation can find it), and can be told to fail or to stall
the next POST. ``sign`` is an independent implementation of Twilio's webhook
signature, used to play Twilio calling us back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-test-auth-token"
SPARROW_TOKEN = "sparrow-test-token"
SPARROW_IDENTITY = "TingTing"


def sign(token: str, url: str, params: dict[str, str]) -> str:
    data = url
    for key in sorted(params):
        data += key + params[key]
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


class FakeVendor:
    """Base: a threaded server; subclasses answer in ``handle``."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.scripted: list[tuple] = []  # next POST answers: ("fail", status, body, headers) / ("stall", s)
        self.lock = threading.Lock()
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                form = parse_qs(raw, keep_blank_values=True)
                request = {
                    "method": self.command,
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "form": form,
                    "headers": dict(self.headers),
                }
                with vendor.lock:
                    vendor.requests.append(request)
                    script = vendor.scripted.pop(0) if self.command == "POST" and vendor.scripted else None
                if script and script[0] == "fail":
                    status, body, headers = script[1], script[2], script[3]
                else:
                    status, body, headers = vendor.handle(request)
                    if script and script[0] == "drop":  # accepted, then the connection breaks
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    if script and script[0] == "stall":
                        time.sleep(script[1])  # accepted and kept, but answered too late
                # Bytes are a media file (a recording); everything else is JSON.
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "audio/x-wav" if isinstance(body, bytes) else "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, status: int, body: dict, headers: dict | None = None) -> None:
        self.scripted.append(("fail", status, body, headers or {}))

    def stall_next(self, seconds: float) -> None:
        self.scripted.append(("stall", seconds))

    def drop_next(self) -> None:
        self.scripted.append(("drop",))

    def posts(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "POST"]

    def handle(self, request: dict) -> tuple[int, dict, dict]:
        raise NotImplementedError


MISSING_CODES = {"To": 21604, "From": 21603, "Body": 21602}
CALL_FINAL = ("completed", "busy", "failed", "no-answer", "canceled")


def _first(form: dict, name: str) -> str:
    return form.get(name, [""])[0]


class FakeTwilio(FakeVendor):
    """Messages and Calls resources of the 2010-04-01 REST API."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: dict[str, dict] = {}
        self.calls: dict[str, dict] = {}
        self.recordings: dict[str, bytes] = {}  # RE… SID → WAV, as GET Recordings/{sid}.wav serves it

    def add_recording(self, audio: bytes) -> tuple[str, str]:
        """Keep ``audio`` as a recording; its SID and the ``RecordingUrl`` Twilio reports."""
        sid = "RE" + uuid.uuid4().hex
        self.recordings[sid] = audio
        return sid, f"{self.base_url}/2010-04-01/Accounts/{TWILIO_SID}/Recordings/{sid}"

    def _error(self, status: int, code: int, message: str) -> tuple[int, dict, dict]:
        return (
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            {},
        )

    def handle(self, request):
        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if request["headers"].get("Authorization") != expected:
            return self._error(401, 20003, "Authenticate")
        prefix = f"/2010-04-01/Accounts/{TWILIO_SID}/"
        if not request["path"].startswith(prefix):
            return self._error(404, 20404, "The requested resource was not found")
        resource = request["path"][len(prefix) :]
        form, query = request["form"], request["query"]
        now = format_datetime(timezone.now())
        if resource == "Messages.json" and request["method"] == "POST":
            for name in ("To", "From", "Body"):
                if not _first(form, name):
                    # Twilio's codes: 21604 'To' required, 21603 'From' required, 21602 body required.
                    return self._error(400, MISSING_CODES[name], f"A '{name}' is required.")
            if not _first(form, "To").startswith("+"):
                return self._error(400, 21211, f"The 'To' number {_first(form, 'To')} is not a valid phone number.")
            sid = "SM" + uuid.uuid4().hex
            self.messages[sid] = {
                "sid": sid,
                "account_sid": TWILIO_SID,
                "to": _first(form, "To"),
                "from": _first(form, "From"),
                "body": _first(form, "Body"),
                "status": "queued",
                "date_created": now,
                "error_code": None,
                "error_message": None,
            }
            return 201, self.messages[sid], {}
        if resource == "Calls.json" and request["method"] == "POST":
            if not _first(form, "To") or not _first(form, "From"):
                return self._error(400, 21201, "No 'To' or 'From' number is specified")
            if not (_first(form, "Twiml") or _first(form, "Url")):
                return self._error(400, 21205, "Url or Twiml is required")
            sid = "CA" + uuid.uuid4().hex
            self.calls[sid] = {
                "sid": sid,
                "account_sid": TWILIO_SID,
                "to": _first(form, "To"),
                "from": _first(form, "From"),
                "status": "queued",
                "date_created": now,
                "duration": None,
                "answered_by": None,
            }
            return 201, self.calls[sid], {}
        if resource.startswith("Recordings/") and request["method"] == "GET":
            sid = resource.removeprefix("Recordings/").removesuffix(".wav")
            if not resource.endswith(".wav") or sid not in self.recordings:
                return self._error(404, 20404, "The requested resource was not found")
            return 200, self.recordings[sid], {}
        for name, store, key in (("Messages", self.messages, "messages"), ("Calls", self.calls, "calls")):
            if resource == f"{name}.json":
                found = [
                    r
                    for r in store.values()
                    if all(r[field.lower()] == query[field][0] for field in ("To", "From") if field in query)
                ]
                return 200, {key: list(reversed(found)), "page": 0, "page_size": 50}, {}
            if resource.startswith(f"{name}/") and resource.endswith(".json"):
                sid = resource[len(name) + 1 : -5]
                if sid not in store:
                    return self._error(404, 20404, "The requested resource was not found")
                if request["method"] == "POST" and _first(form, "Status"):
                    status, current = _first(form, "Status"), store[sid]["status"]
                    if name == "Calls":
                        # Twilio's rules for updating a call: Status is canceled or
                        # completed; canceled hangs up only a queued or ringing call
                        # (an answered one is left as it is); an ended call cannot change.
                        if status not in ("canceled", "completed"):
                            return self._error(400, 20001, "Status must be one of canceled, completed")
                        if current in CALL_FINAL:
                            return self._error(400, 21220, "Call is not in-progress. Cannot redirect.")
                        if status == "canceled" and current not in ("queued", "initiated", "ringing"):
                            return 200, store[sid], {}
                    store[sid]["status"] = status
                return 200, store[sid], {}
        return self._error(404, 20404, "The requested resource was not found")


class FakeSparrow(FakeVendor):
    """``/v2/sms/`` of Sparrow SMS: form fields token, from, to, text."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict] = []

    def handle(self, request):
        if request["path"] != "/v2/sms/" or request["method"] != "POST":
            return 404, {"response_code": 404, "response": "Not found"}, {}
        form = request["form"]
        if not all(_first(form, name) for name in ("token", "from", "to", "text")):
            return 403, {"response_code": 1000, "response": "A required field is missing"}, {}
        if _first(form, "token") != SPARROW_TOKEN:
            return 403, {"response_code": 1002, "response": "Invalid Token"}, {}
        if _first(form, "from") != SPARROW_IDENTITY:
            return 403, {"response_code": 1008, "response": "Invalid Sender"}, {}
        to = _first(form, "to")
        if not (to.isdigit() and len(to) == 10):
            return 403, {"response_code": 1007, "response": "Invalid Receiver"}, {}
        self.sent.append({name: _first(form, name) for name in form})
        return 200, {"count": 1, "response_code": 200, "response": "1 mesages has been queued for delivery"}, {}
