"""Shared response pieces: usage, ids, timestamps."""

from __future__ import annotations

import random
import time

from pydantic import BaseModel


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, prompt: int, completion: int) -> Usage:
        return cls(
            prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
        )


def new_id(prefix: str) -> str:
    """A response id. Not a secret, so the non-cryptographic generator is fine (uuid4 reads
    os.urandom on every call, which showed up in the gateway's profile)."""
    return f"{prefix}-{random.getrandbits(96):024x}"


def now() -> int:
    return int(time.time())
