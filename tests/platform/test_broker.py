"""The embedded default's broker (kombu's filesystem transport, README command 1):
a worker polling the queue while a message is being written never reads it half
written. kombu creates the file before writing it: the worker read it empty and
exited ("Unrecoverable error: JSONDecodeError"), taking scripts/run down with it."""

import os
import subprocess
import sys
from queue import Empty

from kombu import Connection
from kombu.transport import filesystem

import tingting.broker

TRANSPORT = "tingting.broker:Transport"


def test_celery_on_a_filesystem_url_uses_the_atomic_transport(tmp_path):
    env = {**os.environ, "CELERY_BROKER_URL": "filesystem://", "TINGTING_VAR_DIR": str(tmp_path)}
    code = (
        "import django; django.setup(); from tingting.celery import app; "
        "t = app.connection_for_write().transport; print(type(t).__module__, type(t).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["tingting.broker", "Transport"]


def _options(folder) -> dict:
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir()
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


def test_a_consumer_polling_during_a_write_sees_nothing_then_the_whole_message(tmp_path, monkeypatch):
    options = _options(tmp_path)
    with (
        Connection("filesystem://", transport=TRANSPORT, transport_options=options) as producing,
        Connection("filesystem://", transport=TRANSPORT, transport_options=options) as consuming,
    ):
        producer, consumer = producing.default_channel, consuming.default_channel

        def poll():
            try:
                return consumer._get("celery")
            except Empty:
                return "nothing yet"

        seen = []

        class PollingFile:
            """A file being written: the consumer polls just before each write."""

            def __init__(self, file):
                self.file = file

            def write(self, data):
                seen.append(poll())
                return self.file.write(data)

            def __getattr__(self, name):
                return getattr(self.file, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.file.close()

        def open_polling(path, mode="r", *args, **kwargs):
            file = open(path, mode, *args, **kwargs)  # noqa: SIM115 - closed by the caller
            return PollingFile(file) if "w" in mode else file

        # Both the project's transport and kombu's look ``open`` up in their module.
        monkeypatch.setattr(tingting.broker, "open", open_polling, raising=False)
        monkeypatch.setattr(filesystem, "open", open_polling, raising=False)
        producer._put("celery", {"task": "x"})
        monkeypatch.undo()
        assert seen == ["nothing yet"]
        assert poll() == {"task": "x"}
        assert poll() == "nothing yet"
