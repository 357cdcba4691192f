"""Knowledge bases over HTTP (`/v1/knowledge/...`) and grounded chat (`model: "kb:NAME"`)."""
