"""`/v1/models` endpoint."""
