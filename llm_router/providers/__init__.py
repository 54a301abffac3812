"""Provider catalogue: which providers exist, which are configured now, and model prices."""
