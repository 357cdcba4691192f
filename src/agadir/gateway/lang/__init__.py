"""`/v1/lang/*`: Moroccan language tools over HTTP, under the same governance as the models."""
