"""Governance on the request path: authentication, scopes, quotas, PII policy and audit.

Every `/v1/*` and `/admin/*` request gets a `RequestContext` from `AuditMiddleware`; routers
authenticate it (`authenticated`), services `admit` it before any engine runs and `settle` it
after, and the middleware writes its hash-chained audit record before the response completes.
"""
