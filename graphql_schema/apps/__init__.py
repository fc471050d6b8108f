"""The Open Platform in the API: apps, their tokens, trusted documents and webhooks."""
