"""vLLM-compatible tokenizer endpoints: `/tokenize`, `/detokenize`, `/tokenizer_info`."""
