"""Governance on the request path: authentication, scopes, quotas, PII policy and audit.

One concept per module, wired by the app factory (`gateway.app.build_governance`):
`Authenticator` (who is asking; run once by `AuditMiddleware` where a request enters),
`Admission` (scope and model policy, quota, input PII policy: one call for every data
endpoint, and `settle` after), `AuditSink` (the hash-chained record, durable before the
response completes). Routers read the caller with the `authenticated` dependency.
"""
