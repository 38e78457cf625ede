"""`make soak`: the whole platform under faults; see docs/reliability.md."""
