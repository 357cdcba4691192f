"""The audit writer process cannot die on content: a poisoned record in the same batch as
another tenant's request leaves that request a 200, the writer alive and the chain intact."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import httpx

from agadir.audit import AuditChain, AuditRecord, PendingContent
from agadir.config import Settings
from agadir.gateway.app import create_app

CHAT = "/v1/chat/completions"


async def until(condition: Callable[[], bool]) -> None:
    """Return once `condition` holds (a state that lasts: the writer child is stopped)."""
    while not condition():
        await asyncio.sleep(0.01)


async def test_a_poisoned_record_does_not_fail_its_batch(settings: Settings) -> None:
    app = create_app(settings, enable_echo=True)
    async with app.router.lifespan_context(app):
        gov = app.state.agadir.governance
        gov.tenants.create("victim", audit_content="full")
        key = gov.keys.create("victim", "chat,models:echo").plaintext
        writer = gov.writer
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
            body = {"model": "echo", "messages": [{"role": "user", "content": "salam"}]}
            headers = {"Authorization": f"Bearer {key}"}
            assert (await client.post(CHAT, json=body, headers=headers)).status_code == 200
            pid = writer._process.pid
            os.kill(pid, signal.SIGSTOP)  # hold the next batch until both records wait in it
            try:
                first = writer.submit(AuditRecord("event", 0, kind="event"))
                await asyncio.wait_for(until(lambda: writer._inflight is not None), 30)
                poison = PendingContent("full", "a\ud800b", "\udfff")  # past the edge's check
                poisoned = writer.submit(AuditRecord("/v1/chat/completions", 200, content=poison))
                victim = asyncio.create_task(client.post(CHAT, json=body, headers=headers))
                # the victim's record waits beside the poisoned one: they go as one batch
                await asyncio.wait_for(until(lambda: len(writer._pending) == 2), 30)
            finally:
                os.kill(pid, signal.SIGCONT)
            answer = await asyncio.wait_for(victim, 30)
            assert answer.status_code == 200, answer.text
            assert await first > 0 and await poisoned > 0
            again = await client.post(CHAT, json=body, headers=headers)
            assert again.status_code == 200
        assert writer._process.pid == pid and writer.stats.failures == 0
        report = AuditChain(gov.store, writer._key).verify()
        assert report.ok, report
