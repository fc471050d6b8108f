"""The adapters: Hello's ground floor, where the code meets what is outside the process.

Settings, the database (Tortoise configuration and our asyncpg client), the event bus and its
Redis backend, the key-value store, the blob stores, logs, and the handles the app's lifespan
sets up (``runtime``). Every layer above may import from here; nothing here imports anything of
ours above it (import-linter's layers contract in ``pyproject.toml`` checks it).
"""
