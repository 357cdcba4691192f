"""The scope grammar of API keys, parsed once and checked on every request.

    scope    := plain | resource
    plain    := "chat" | "completions" | "embeddings" | "lang" | "admin" | "metrics"
    resource := ("models" | "kb") ":" pattern
    pattern  := "*" | NAME | NAME-PREFIX "*"
    NAME     := 1-128 chars of letters, digits and . _ - / : @ +

A key may use a model only with a matching `models:` scope (default deny), and a knowledge base
only with a matching `kb:` scope. Nothing implies anything else: `admin` grants the admin
operations and nothing more (`metrics`: scraping `/metrics` where a key is required, for the
operator's tenant only); the first-serve admin key simply lists every scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agadir.governance.errors import InvalidScopeError, PermissionDeniedError

PLAIN_SCOPES = frozenset({"chat", "completions", "embeddings", "lang", "admin", "metrics"})
RESOURCE_KINDS = frozenset({"models", "kb"})
ALL_SCOPES = ("admin", "chat", "completions", "embeddings", "lang", "metrics", "models:*", "kb:*")
_NAME = re.compile(r"^[A-Za-z0-9._\-/:@+]{1,128}\*?$|^\*$")


def parse_scope(raw: str) -> str:
    """Validate one scope and return its canonical spelling (stripped)."""
    scope = raw.strip()
    if scope in PLAIN_SCOPES:
        return scope
    kind, sep, pattern = scope.partition(":")
    if sep and kind in RESOURCE_KINDS and _NAME.match(pattern):
        return scope
    raise InvalidScopeError(
        f"unknown scope {raw!r}: use one of {', '.join(sorted(PLAIN_SCOPES))}, "
        "models:NAME, models:*, kb:NAME or kb:* (a trailing * matches a prefix)"
    )


def parse_scopes(raw: str | list[str] | tuple[str, ...]) -> frozenset[str]:
    """Parse a comma-separated list (or a sequence); refuse an empty set."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    scopes = frozenset(parse_scope(item) for item in items if item.strip())
    if not scopes:
        raise InvalidScopeError("a key needs at least one scope, e.g. --scopes chat,models:*")
    return scopes


def _matches(pattern: str, name: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return pattern == name


_MEMO_SIZE = 256


@dataclass(frozen=True)
class ScopeSet:
    """The scopes of one key, split for fast checks. Answers are memoised per set (the same
    few scopes are asked on every request of a key); the memo is bounded because resource
    names come from clients."""

    plain: frozenset[str]
    models: tuple[str, ...]
    kbs: tuple[str, ...]
    _memo: dict[str, bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def of(cls, scopes: frozenset[str]) -> ScopeSet:
        return cls(
            plain=frozenset(s for s in scopes if s in PLAIN_SCOPES),
            models=tuple(sorted(s[7:] for s in scopes if s.startswith("models:"))),
            kbs=tuple(sorted(s[3:] for s in scopes if s.startswith("kb:"))),
        )

    def allows(self, scope: str) -> bool:
        """True when `scope` (e.g. "chat", "models:smollm2", "kb:laws") is granted."""
        known = self._memo.get(scope)
        if known is not None:
            return known
        kind, sep, name = scope.partition(":")
        if not sep:
            answer = scope in self.plain
        else:
            patterns = self.models if kind == "models" else self.kbs if kind == "kb" else ()
            answer = any(_matches(p, name) for p in patterns)
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        self._memo[scope] = answer
        return answer

    def require(self, scope: str) -> None:
        if not self.allows(scope):
            raise PermissionDeniedError(
                f"this API key lacks the scope {scope!r}; ask an administrator for a key with it "
                f"(agadir keys create --scopes {scope},...)"
            )
