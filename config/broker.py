"""The embedded default's Celery broker: kombu's filesystem transport, each message written
whole before a consumer can see it.

kombu's ``Channel._put`` creates ``<ms>_<uuid>.<queue>.msg`` in the queue's folder and only
then writes the payload into it. A worker polling the same folder can list the new name,
move it away and read it while it is still empty or partial: the JSON fails to load, and
the file is already gone, so the message is lost (a chunk task never ran, and its batch
waited for the sweeper). Here the payload is written under a name no consumer matches (the
``.part`` suffix: ``_get``, ``_size`` and ``_purge`` match ``<queue>.msg`` exactly) and
renamed into place; a rename within one folder is atomic (``os.replace``), so a consumer
sees either no file or the whole message.

A subclass rather than a fork: only ``_put`` changes, the rest is kombu's (selected by
``CELERY_BROKER_TRANSPORT`` in the settings, with ``filesystem://`` kept as the URL).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

PARTIAL_SUFFIX = ".part"


class Channel(filesystem.Channel):  # type: ignore[misc]
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Put ``payload`` onto ``queue``: written under a partial name, then renamed."""
        # kombu's name: consumers take messages in the order of the leading milliseconds.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL_SUFFIX
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):  # type: ignore[misc]
    Channel = Channel
