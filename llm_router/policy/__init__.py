"""The policy engine: load YAML with positions, validate, layer, compile, evaluate, explain."""
