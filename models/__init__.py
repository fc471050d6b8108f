"""Tortoise models, one file per module. ``MODEL_MODULES`` is what the ORM loads."""

MODEL_MODULES = ["models.identity", "models.admin", "models.messenger"]

# Model docstrings become SQL comments in migrations, which Tortoise splits on semicolons and
# does not escape: keep semicolons and apostrophes out of them.
