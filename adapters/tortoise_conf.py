"""``TORTOISE_ORM`` for Tortoise's own command line (``hello makemigrations`` uses it)."""

from adapters.db import tortoise_config
from adapters.settings import get_settings

TORTOISE_ORM = tortoise_config(get_settings())
