"""`/admin/*`: tenants, API keys and the audit log over HTTP, for keys with the `admin` scope:
the operator's (tenant `admin`) for everything, any other tenant's for that tenant only (`access`).

The same operations as `agadir tenants|keys|audit`, on the same services; the web admin view
calls these endpoints. Every call is itself audited (kind "admin") by `AuditMiddleware`.
"""

from agadir.gateway.admin.router import router

__all__ = ["router"]
