"""The `agadir` command line: one module per command group, all thin over services."""
