"""Reading and preparing the next batch while the current one is written.

A sync spends its time in two places that can overlap: Python (reading the
source, transforming, hashing) and the database (staging, upserting, index
work). Database calls release the GIL, so one background thread that runs
ahead by a bounded number of items nearly hides the cheaper of the two.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class _Done:
    pass


@dataclass(frozen=True)
class _Item(Generic[T]):
    value: T


def prefetch(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """The same items in the same order, produced up to `depth` ahead on a background thread.

    An error while producing is raised here, at the item where it happened;
    closing the iterator early stops the producer.
    """
    handoff: queue.Queue[_Item[T] | _Failed | _Done] = queue.Queue(maxsize=max(depth, 1))
    stop = threading.Event()

    def put(entry: _Item[T] | _Failed | _Done) -> bool:
        while not stop.is_set():
            try:
                handoff.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(_Item(item)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put(_Failed(exc))
            return
        put(_Done())

    producer = threading.Thread(target=produce, name="superinsight-prefetch", daemon=True)
    producer.start()
    try:
        while True:
            entry = handoff.get()
            if isinstance(entry, _Done):
                return
            if isinstance(entry, _Failed):
                raise entry.error
            yield entry.value
    finally:
        stop.set()
        producer.join(timeout=5)
