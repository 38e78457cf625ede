"""Code every Firebreak service shares: config, app factory, events, bus, timers, auth, metrics."""
