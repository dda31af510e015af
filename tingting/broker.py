"""kombu's filesystem transport, with messages written atomically.

The embedded default (README command 1) runs Celery on kombu's filesystem transport.
kombu creates a message file, then writes it; a consumer listing the folder in between
moves the empty file away and its ``json.loads("")`` raises out of the worker's event
loop: "Unrecoverable error: JSONDecodeError", and the worker exits (kombu issue #1551,
seen here under beat's every-few-seconds sweeps). Here a message is written to a hidden
``.partial`` file first and renamed into place, so a consumer sees a whole message or
none. The name of a partial file never contains ``.<queue>.msg``, which is what the
consumer, ``_size`` and ``_purge`` look for.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        body = str_to_bytes(dumps(payload))
        # kombu's own name: the millisecond prefix keeps messages in order.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        partial = os.path.join(self.data_folder_out, f".{uuid.uuid4()}.partial")
        try:
            with open(partial, "wb") as file:
                file.write(body)
            os.replace(partial, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
