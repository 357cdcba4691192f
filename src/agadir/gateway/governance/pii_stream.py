"""PII policy on streamed output: text is held back just long enough to see whole identifiers.

A phone number or an IBAN can arrive split over several tokens, so the filter keeps the last
`HOLD` characters (longer than any identifier we recognise, spaces included) until more text or
the end of the stream shows whether they belong to one; a match is never cut at the boundary.
"""

from __future__ import annotations

from agadir.lang.pii import PiiPolicy, find_pii

HOLD = 48


class StreamingPiiFilter:
    def __init__(self, policy: PiiPolicy) -> None:
        self.policy = policy
        self.buffer = ""
        self.counts: dict[str, int] = {}

    def _apply(self, text: str) -> str:
        result = self.policy.apply(text)
        for kind, n in result.counts_for_audit().items():
            self.counts[kind] = self.counts.get(kind, 0) + n
        return result.text

    def push(self, text: str) -> str:
        """Add generated text; return what can safely be sent now (policy applied)."""
        self.buffer += text
        if len(self.buffer) <= HOLD:
            return ""
        cut = len(self.buffer) - HOLD
        for match in find_pii(self.buffer):
            if match.start < cut < match.end:
                cut = match.start
        ready, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return self._apply(ready) if ready else ""

    def flush(self) -> str:
        ready, self.buffer = self.buffer, ""
        return self._apply(ready) if ready else ""
