"""The hash-chained, append-only audit log: group-committed writes, verify, export, retention.

Does not decide *what* goes into a record (the gateway does, per tenant policy) and never
stores personal data values: PII is counted by type.
"""

from agadir.audit.chain import GENESIS
from agadir.audit.errors import AuditKeyError, AuditUnavailableError
from agadir.audit.export import export_jsonl
from agadir.audit.record import AuditRecord, ContentPolicy, PendingContent, content_for
from agadir.audit.retention import PurgeResult, purge
from agadir.audit.signing import load_key, load_or_create_key
from agadir.audit.verify import AuditChain, VerifyReport
from agadir.audit.writer import AuditWriter, WriterStats

__all__ = [
    "GENESIS",
    "AuditChain",
    "AuditKeyError",
    "AuditRecord",
    "AuditUnavailableError",
    "AuditWriter",
    "ContentPolicy",
    "PendingContent",
    "PurgeResult",
    "VerifyReport",
    "WriterStats",
    "content_for",
    "export_jsonl",
    "load_key",
    "load_or_create_key",
    "purge",
]
