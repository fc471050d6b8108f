"""Tortoise models, one file per module. ``MODEL_MODULES`` is what the ORM loads."""

MODEL_MODULES = ["models.identity", "models.admin", "models.messenger", "models.drive"]

# Model docstrings become SQL comments in migrations, which Tortoise splits on semicolons and
# does not escape: keep semicolons and apostrophes out of them.
