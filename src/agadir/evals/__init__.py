"""`agadir eval`: measure any OpenAI-compatible endpoint on Moroccan-language tasks.

A task is a YAML file (`task.py`) naming a JSONL of samples, a prompt template, a scorer
(`scorers/`) and the slices to break results down by. The runner (`runner.py`) asks the
endpoint once per sample, caching each raw answer in SQLite (`cache.py`) so a rerun or a resumed
run costs nothing; scoring then runs offline over the cached answers. Reports (`report.py`)
carry bootstrap 95 % intervals; `compare.py` tests differences between runs on paired samples.
"""
