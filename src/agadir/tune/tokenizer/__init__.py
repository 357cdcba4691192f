"""Tokenizer extension for target scripts: continued BPE merges, embedding init, stage-1 freeze."""
