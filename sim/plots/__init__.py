"""Charts: functions that return a matplotlib Figure, one module per topic."""
