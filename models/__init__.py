"""Tortoise models, one file per module. A new file is listed in ``adapters.db.MODEL_MODULES``,
which is what the ORM loads."""

# Model docstrings become SQL comments in migrations, which Tortoise splits on semicolons and
# does not escape: keep semicolons and apostrophes out of them.
