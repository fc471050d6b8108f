"""Tortoise models, one file per module. ``MODEL_MODULES`` is what the ORM loads."""

MODEL_MODULES = ["models.identity"]
