"""`/v1/chat` endpoint."""
