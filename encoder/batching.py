"""Micro-batching: queries that arrive together share one forward pass.

One model per process answers every request thread, and a forward pass cannot run twice at
once, so under load requests used to queue for the model one by one: at 8 concurrent
clients a 3 ms text encoding became ~90 ms of waiting. Here whoever finds the model free
runs everything waiting (up to ``max_batch``) in one pass and hands each caller its row;
a batch of eight queries costs well under half as much per query as eight single passes
(benchmarks/encode_batching.py). No request waits for a batch to fill: a lone query runs at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


class _Slot(Generic[T]):
    __slots__ = ("done", "error", "item", "value")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.value: np.ndarray | None = None
        self.error: BaseException | None = None


class MicroBatcher(Generic[T]):
    """``submit(item)`` returns ``run([item, ...])[i]`` for the caller's item, batching callers.

    ``run`` maps a list of items to an ``(n, dim)`` array. If a batch fails, its items are run
    again one by one so that each caller gets its own result or its own error.
    """

    def __init__(self, run: Callable[[Sequence[T]], np.ndarray], max_batch: int = 32) -> None:
        self._run = run
        self.max_batch = max_batch
        self._cond = threading.Condition()
        self._pending: list[_Slot[T]] = []
        self._busy = False
        self.batches = 0
        self.items = 0

    def submit(self, item: T) -> np.ndarray:
        slot = _Slot(item)
        with self._cond:
            self._pending.append(slot)
        while True:
            with self._cond:
                while self._busy and not slot.done:
                    self._cond.wait()
                if slot.done:
                    break
                # The model is free and our item is still waiting: lead a batch (FIFO, so ours
                # is in it unless more than max_batch were ahead of us; then we go round again).
                self._busy = True
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
            try:
                self._fill(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self.batches += 1
                    self.items += len(batch)
                    self._cond.notify_all()
        if slot.error is not None:
            raise slot.error
        assert slot.value is not None
        return slot.value

    def _fill(self, batch: list[_Slot[T]]) -> None:
        try:
            try:
                rows = self._run([s.item for s in batch])
            except Exception as e:
                if len(batch) == 1:
                    batch[0].error = e
                    return
                for s in batch:
                    self._fill_one(s)
                return
            for s, row in zip(batch, rows, strict=True):
                s.value = row
        finally:
            for s in batch:
                if s.value is None and s.error is None:  # the leader was interrupted
                    s.error = RuntimeError("encoding was interrupted")
                s.done = True

    def _fill_one(self, slot: _Slot[T]) -> None:
        try:
            slot.value = self._run([slot.item])[0]
        except Exception as e:
            slot.error = e
