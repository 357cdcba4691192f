"""`/v1/completions` endpoint."""
