"""Parallel map with bounded in-flight work, for corpora of any size.

`executor.map(f, items)` submits every item at once and keeps every finished result until the
consumer reaches it: over 600k clips that is 600k futures and, when one worker lags, a pile of
decoded audio. `bounded_map` keeps at most `in_flight` chunks submitted and yields results in
input order as soon as the oldest is done, so memory stays flat whatever the corpus size.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from itertools import islice
from typing import Callable, Iterable, Iterator, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def _apply(function: Callable, chunk: list) -> list:
    return [function(item) for item in chunk]


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def bounded_map(function: Callable[[Item], Result], items: Iterable[Item], workers: int, *,
                chunk_size: int = 16, in_flight: int | None = None, processes: bool = True) -> Iterator[Result]:
    """map(function, items) in order, on `workers` processes (threads if processes=False).

    Items are sent in chunks of `chunk_size` (amortises inter-process overhead); at most
    `in_flight` chunks (default 4 per worker) are queued or running at any time, and `items` is
    consumed only as fast as results are taken. workers <= 1 runs in this process.
    """
    if workers <= 1:
        yield from map(function, items)
        return
    limit = in_flight or 4 * workers
    task = partial(_apply, function)
    executor = ProcessPoolExecutor if processes else ThreadPoolExecutor
    with executor(max_workers=workers) as pool:
        pending: deque = deque()
        try:
            for chunk in _chunks(items, chunk_size):
                pending.append(pool.submit(task, chunk))
                if len(pending) >= limit:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:  # the consumer stopped early: drop the queued work
                future.cancel()
