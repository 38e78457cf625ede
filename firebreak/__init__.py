"""The composition root: the CLI, process entrypoints and the embedded all-in-one mode."""
