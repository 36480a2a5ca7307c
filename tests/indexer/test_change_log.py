"""The embedded store's change log: what a searcher's vector cache must forget, and when it
must forget everything."""

from __future__ import annotations

from indexer.store.change_log import ChangeLog


def test_a_mark_hears_exactly_the_writes_after_it() -> None:
    log = ChangeLog()
    start = log.mark()
    assert log.since(start) == (start, [])
    log.record(["a", "b"])
    middle = log.mark()
    log.record(["c"])
    now, changed = log.since(start)
    assert now == log.mark() and sorted(changed or []) == ["a", "b", "c"]
    assert log.since(middle)[1] == ["c"]
    assert log.since(log.mark())[1] == []


def test_no_mark_another_epoch_or_a_future_count_means_forget_everything() -> None:
    log, other = ChangeLog(), ChangeLog()
    log.record(["a"])
    assert log.epoch != other.epoch
    assert log.since(None)[1] is None
    assert log.since(other.mark())[1] is None  # a reopened store, or a restarted host
    assert log.since((log.epoch, 99))[1] is None


def test_a_mark_older_than_the_log_or_too_many_changes_means_forget_everything() -> None:
    log = ChangeLog(max_batches=3, max_changed=5)
    start = log.mark()
    for ids in (["a"], ["b"], ["c"]):
        log.record(ids)
    assert sorted(log.since(start)[1] or []) == ["a", "b", "c"]  # just within the log
    log.record(["d"])
    assert log.since(start)[1] is None  # the write right after the mark is gone
    recent = log.mark()
    log.record([f"p{i}" for i in range(6)])
    assert log.since(recent)[1] is None  # more points than one answer lists
