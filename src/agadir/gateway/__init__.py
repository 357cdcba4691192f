"""The HTTP gateway: OpenAI-compatible endpoints, thin routers over services."""
