"""``TORTOISE_ORM`` for Tortoise's own command line (``hello makemigrations`` uses it)."""

from server.db import tortoise_config
from server.settings import get_settings

TORTOISE_ORM = tortoise_config(get_settings())
