"""usage.db through sqlite-utils: migrations, usage rows, breaker state, budgets, savings."""
