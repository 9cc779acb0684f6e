"""The embedded default's broker loses no message to a consumer polling while it is sent."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from kombu import Connection
from kombu.transport import filesystem

from config import broker

MESSAGES = 200
# Large enough that writing one takes a while: the window in which kombu's own transport
# shows a consumer a message file before its payload is in it.
PAYLOAD = "x" * 200_000


def _options(folder: Path) -> dict[str, Any]:
    (folder / "processed").mkdir(exist_ok=True)
    return {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
        "polling_interval": 0.0005,
    }


def _produce(transport: type, folder: Path) -> None:
    with Connection(transport=transport, transport_options=_options(folder)) as connection:
        queue = connection.SimpleQueue("race")
        for n in range(MESSAGES):
            queue.put({"n": n, "payload": PAYLOAD})


def _race(transport: type, folder: Path) -> tuple[list[int], int]:
    """Send MESSAGES from another process (the web's) while this one (a worker's) polls
    the folder; return the numbers read whole and how many reads failed."""
    producer = multiprocessing.get_context("fork").Process(
        target=_produce, args=(transport, folder)
    )
    received: list[int] = []
    failed = 0
    with Connection(transport=transport, transport_options=_options(folder)) as connection:
        queue = connection.SimpleQueue("race")
        producer.start()
        deadline = time.monotonic() + 60
        while len(received) < MESSAGES and time.monotonic() < deadline:
            try:
                message = queue.get(timeout=0.2)
            except queue.Empty:
                if not producer.is_alive():
                    break  # all sent, nothing left: the rest was lost
                continue
            except Exception:  # a message read before it was whole
                failed += 1
                continue
            assert message.payload["payload"] == PAYLOAD
            received.append(message.payload["n"])
            message.ack()
    producer.join(timeout=60)
    assert producer.exitcode == 0
    return received, failed


def test_every_message_arrives_whole_while_a_consumer_polls(tmp_path: Path) -> None:
    received, failed = _race(broker.Transport, tmp_path)
    assert failed == 0
    assert sorted(received) == list(range(MESSAGES))
    assert not list(tmp_path.glob(f"*{broker.PARTIAL_SUFFIX}"))  # nothing left half-written


def test_kombu_s_own_transport_loses_messages_this_way(tmp_path: Path) -> None:
    # The failure the subclass exists for (measured: 295 of 300 messages lost). Should kombu
    # fix it, this test says so, and the subclass can go.
    received, failed = _race(filesystem.Transport, tmp_path)
    assert failed or len(received) < MESSAGES, "kombu's transport no longer loses messages"


def test_the_embedded_default_uses_it() -> None:
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("a server broker here")
    assert settings.CELERY_BROKER_TRANSPORT == "config.broker:Transport"
    from config.celery import app

    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, broker.Transport)
