from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agadir.governance import InvalidScopeError, ScopeSet, parse_scopes
from agadir.governance.errors import InvalidTimeSpecError
from agadir.governance.quotas import format_reset
from agadir.governance.timespec import parse_duration, parse_expiry


def test_scope_grammar():
    scopes = parse_scopes("chat, models:mistral-*, kb:*,lang")
    assert scopes == {"chat", "models:mistral-*", "kb:*", "lang"}
    granted = ScopeSet.of(scopes)
    assert granted.allows("models:mistral-7b") and not granted.allows("models:smollm2")
    assert granted.allows("kb:anything") and not granted.allows("embeddings")


@pytest.mark.parametrize("bad", ["", "root", "models:", "models:a b", "kb", "files:x", "admin:x"])
def test_bad_scopes_are_refused(bad):
    with pytest.raises(InvalidScopeError):
        parse_scopes(bad)


def test_durations_and_expiries():
    assert parse_duration("180d") == timedelta(days=180)
    assert parse_duration("90m") == timedelta(minutes=90)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_expiry("30d", now=now) == now + timedelta(days=30)
    assert parse_expiry("2027-01-01", now=now) == datetime(2027, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidTimeSpecError):
        parse_expiry("2020-01-01", now=now)
    with pytest.raises(InvalidTimeSpecError):
        parse_duration("soon")


def test_reset_format_follows_openai():
    assert format_reset(0.0) == "0s"
    assert format_reset(1.25) == "1.3s"
    assert format_reset(360) == "6m0s"
    assert format_reset(7384) == "2h3m4s"
