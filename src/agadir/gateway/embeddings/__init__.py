"""`/v1/embeddings` endpoint."""
