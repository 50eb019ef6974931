"""The mechanics the benchmarks share (bench/_cluster.py): worker threads that stop on the first error, ratios that
tolerate a missing baseline, and reading a process's peak memory."""
from __future__ import annotations

import contextlib
import os
import threading

import pytest

from bench._cluster import peak_rss_kib, ratio, run_on_threads


def test_every_item_is_handled_once_across_the_threads():
    handled: list[int] = []
    lock = threading.Lock()

    @contextlib.contextmanager
    def session():
        def work(item: int) -> None:
            with lock:
                handled.append(item)
        yield work

    run_on_threads(list(range(50)), 4, session, threading.Event())
    assert sorted(handled) == list(range(50))


def test_the_first_error_stops_the_other_threads_and_is_raised_in_the_caller():
    stop = threading.Event()
    done: list[int] = []
    closed: list[bool] = []

    @contextlib.contextmanager
    def session():
        def work(item: int) -> None:
            if item == 0:
                raise ValueError("item 0 failed")
            stop.wait(5)  # the others are still busy when the error happens
            done.append(item)
        try:
            yield work
        finally:
            closed.append(True)

    with pytest.raises(ValueError, match="item 0 failed"):
        run_on_threads(list(range(100)), 3, session, stop)
    assert stop.is_set()
    assert len(done) <= 2, "only the items already taken are finished"
    assert closed == [True, True, True], "every thread's session is closed"


def test_a_stop_from_outside_ends_the_run_without_error():
    stop = threading.Event()
    stop.set()
    taken: list[int] = []

    @contextlib.contextmanager
    def session():
        yield taken.append

    run_on_threads([1, 2, 3], 2, session, stop)
    assert taken == []


def test_a_ratio_needs_both_figures_and_a_baseline_above_zero():
    assert ratio(3.0, 1.5) == 2.0
    assert ratio(None, 1.0) is None
    assert ratio(1.0, None) is None
    assert ratio(1.0, 0.0) is None


def test_the_peak_memory_of_a_live_process_and_none_for_a_missing_one():
    assert peak_rss_kib(os.getpid()) > 1000
    assert peak_rss_kib(2 ** 22 + 1) is None  # above the kernel's largest pid
