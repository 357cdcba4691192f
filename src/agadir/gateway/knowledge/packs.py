"""Load the configured sample packs when the server starts (first serve only, in effect).

A pack whose base exists is skipped, so later starts cost one query per pack. A pack that
fails to load is logged and the server still starts: sample data must never block serving.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from agadir.errors import AgadirError
from agadir.gateway.knowledge.access import knowledge
from agadir.gateway.state import GatewayState
from agadir.knowledge.packs import load_pack

log = logging.getLogger("agadir.knowledge")


async def load_configured_packs(state: GatewayState) -> None:
    names = state.settings.knowledge.packs
    if not names:
        return
    service = await knowledge(state)
    for name in names:
        try:
            report = await load_pack(service, name)
        except AgadirError as exc:
            log.error("sample pack %s not loaded: %s", name, exc.message)
            continue
        except SQLAlchemyError as exc:  # read-only or full database: serve (with 503s) anyway
            log.error("sample pack %s not loaded: the store refused the write (%s)", name, exc)
            return
        if report is not None:
            log.info(
                "sample pack %s loaded: %d documents, %d chunks, %d skipped",
                name,
                report.count("added") + report.count("replaced"),
                report.chunks,
                report.count("skipped"),
            )
            for f in report.files:
                if f.status == "skipped":
                    log.warning("  %s skipped: %s", f.name, f.reason)
