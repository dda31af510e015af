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
        self.get_failure: int | None = None  # every GET (a lookup) answers this status while set
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
                elif self.command == "GET" and vendor.get_failure:
                    status, body, headers = vendor.get_failure, {"code": 20500, "message": "down"}, {}
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


CALL_FINAL = ("completed", "busy", "failed", "no-answer", "canceled")
# Twilio's OpenAPI spec (twilio/twilio-oai spec/json/twilio_api_v2010.json): the
# enums of the parameters we send. Twilio answers a value outside them with 400.
CALL_EVENTS = ("initiated", "ringing", "answered", "completed")  # call_enum_event
HTTP_METHODS = ("GET", "POST")  # format http-method
MACHINE_DETECTION = ("Enable", "DetectMessageEnd")
ASYNC_AMD = ("true", "false")
TWIML_MAX = 4000  # "Max 4000 characters"
BODY_MAX = 1600  # "Can be up to 1,600 characters in length"


def _first(form: dict, name: str) -> str:
    return form.get(name, [""])[0]


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _message_refusal(form: dict) -> tuple[int, str] | None:
    """What Twilio answers a Messages create it refuses (code, message), else None."""
    if not _first(form, "To"):
        return 21604, "A 'To' phone number is required."
    if not (_first(form, "From") or _first(form, "MessagingServiceSid")):
        return 21603, "A 'From' phone number is required."
    if not (_first(form, "Body") or _first(form, "MediaUrl") or _first(form, "ContentSid")):
        return 21602, "Message body is required."
    if not _first(form, "To").startswith("+"):
        return 21211, f"The 'To' number {_first(form, 'To')} is not a valid phone number."
    if len(_first(form, "Body")) > BODY_MAX:
        return 21617, "The concatenated message body exceeds the 1600 character limit."
    if "StatusCallback" in form and not _is_url(_first(form, "StatusCallback")):
        return 21609, "Invalid StatusCallback"
    return None


def _call_refusal(form: dict) -> tuple[int, str] | None:
    """What Twilio answers a Calls create it refuses (code, message), else None.
    Codes Twilio documents per parameter where it has one; 20001 (invalid
    parameter) for a value outside a spec enum."""
    if not _first(form, "To"):
        return 21201, "No 'To' number is specified"
    if not _first(form, "From"):
        return 21213, "No 'From' number is specified"
    if not (_first(form, "Twiml") or _first(form, "Url") or _first(form, "ApplicationSid")):
        return 21205, "Url or Twiml is required"
    if len(_first(form, "Twiml")) > TWIML_MAX:
        return 20001, "Twiml exceeds the 4000 character limit"
    for name in ("StatusCallback", "AsyncAmdStatusCallback", "Url"):
        if name in form and not _is_url(_first(form, name)):
            return 21609 if name == "StatusCallback" else 20001, f"Invalid {name}"
    enums = {
        "StatusCallbackMethod": HTTP_METHODS,
        "AsyncAmdStatusCallbackMethod": HTTP_METHODS,
        "MachineDetection": MACHINE_DETECTION,
        "AsyncAmd": ASYNC_AMD,
    }
    for name, allowed in enums.items():
        if name in form and _first(form, name) not in allowed:
            return 20001, f"{name} must be one of {', '.join(allowed)}"
    if any(event not in CALL_EVENTS for event in form.get("StatusCallbackEvent", [])):
        return 20001, f"StatusCallbackEvent must be among {', '.join(CALL_EVENTS)}"
    if "AsyncAmd" in form and "MachineDetection" not in form:
        return 20001, "AsyncAmd needs MachineDetection"
    return None


class FakeTwilio(FakeVendor):
    """Messages and Calls resources of the 2010-04-01 REST API."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: dict[str, dict] = {}
        self.calls: dict[str, dict] = {}
        self.call_forms: dict[str, dict] = {}  # CA… SID → the create request's form
        self.recordings: dict[str, bytes] = {}  # RE… SID → WAV, as GET Recordings/{sid}.wav serves it

    def add_recording(self, audio: bytes) -> tuple[str, str]:
        """Keep ``audio`` as a recording; its SID and the ``RecordingUrl`` Twilio reports."""
        sid = "RE" + uuid.uuid4().hex
        self.recordings[sid] = audio
        return sid, f"{self.base_url}/2010-04-01/Accounts/{TWILIO_SID}/Recordings/{sid}"

    def answer_call(
        self, sid: str, *, heard_seconds: int, answered_by: str = "human", detection_seconds: int = 4
    ) -> list[tuple[str, dict[str, str]]]:
        """Play the call ``sid`` as Twilio does once answered: the callbacks it makes,
        in order, as (URL, form). Blocking detection (MachineDetection without
        AsyncAmd) plays nothing for ``detection_seconds`` while the call's duration
        runs, and reports AnsweredBy with the final status; background detection
        (AsyncAmd=true) plays at once and reports AnsweredBy on its own callback."""
        form = self.call_forms[sid]
        detecting = bool(_first(form, "MachineDetection"))
        background = _first(form, "AsyncAmd") == "true"
        base = {"CallSid": sid, "AccountSid": TWILIO_SID, "To": _first(form, "To"), "From": _first(form, "From")}
        callbacks = []
        duration = heard_seconds + (detection_seconds if detecting and not background else 0)
        final = {**base, "CallStatus": "completed", "CallDuration": str(duration)}
        if detecting and background:
            amd = {**base, "AnsweredBy": answered_by, "MachineDetectionDuration": str(detection_seconds * 1000)}
            callbacks.append((_first(form, "AsyncAmdStatusCallback"), amd))
        elif detecting:
            final["AnsweredBy"] = answered_by
        self.calls[sid].update(status="completed", duration=str(duration))
        callbacks.append((_first(form, "StatusCallback"), final))
        return callbacks

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
            refusal = _message_refusal(form)
            if refusal:
                return self._error(400, *refusal)
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
            refusal = _call_refusal(form)
            if refusal:
                return self._error(400, *refusal)
            sid = "CA" + uuid.uuid4().hex
            self.call_forms[sid] = form
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
