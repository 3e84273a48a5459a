"""Whole-network answers: kept per version, refreshed in the background, never lost."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache

from geflecht.lib.remember import PENDING, remembered, wait_for_refreshes


@pytest.fixture
def background(settings):
    settings.GEFLECHT_REFRESH_IN_BACKGROUND = True
    cache.clear()
    yield
    wait_for_refreshes()
    cache.clear()


def test_an_answer_is_kept_for_its_version(background):
    calls = []
    assert remembered("k", 1, lambda: calls.append(1) or "one") == "one"
    assert remembered("k", 1, lambda: calls.append(1) or "other") == "one"
    assert len(calls) == 1


def test_a_moved_version_serves_the_last_answer_while_the_new_one_is_computed(background):
    remembered("k", 1, lambda: "old")
    release = threading.Event()

    def slow():
        release.wait(5)
        return "new"

    assert remembered("k", 2, slow) == "old"  # at once, not after the computation
    release.set()
    wait_for_refreshes()
    assert remembered("k", 2, lambda: "never asked") == "new"


def test_many_requests_start_one_refresh(background):
    remembered("k", 1, lambda: 0)
    started, release = [], threading.Event()

    def slow():
        started.append(1)
        release.wait(5)
        return 2

    for _ in range(20):
        assert remembered("k", 2, slow) == 0
    release.set()
    wait_for_refreshes()
    assert len(started) == 1


def test_without_waiting_the_first_answer_is_pending_then_arrives(background):
    assert remembered("k", 1, lambda: "answer", wait=False) is PENDING
    wait_for_refreshes()
    assert remembered("k", 1, lambda: "never asked", wait=False) == "answer"


def test_a_failed_refresh_keeps_the_last_answer(background):
    remembered("k", 1, lambda: "good")

    def broken():
        raise RuntimeError("database gone")

    assert remembered("k", 2, broken) == "good"
    wait_for_refreshes()
    assert remembered("k", 2, lambda: "recovered") == "good"  # a new refresh was started
    wait_for_refreshes()
    assert remembered("k", 2, lambda: "unused") == "recovered"


def test_with_background_refresh_off_a_moved_version_is_computed_at_once(settings):
    settings.GEFLECHT_REFRESH_IN_BACKGROUND = False
    cache.clear()
    remembered("k", 1, lambda: "old")
    assert remembered("k", 2, lambda: "new") == "new"
    assert remembered("k", 3, lambda: "pending?", wait=False) == "pending?"
