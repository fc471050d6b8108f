"""The Open Platform: apps and their bots, tokens, persisted documents and webhooks."""
