"""The ``Info`` that compiled execution (``server/compiled.py``) hands a resolver declaring one.

Most resolvers read only ``info.context``; building graphql-core's resolve info for each call
(fifteen fields) costs more than many of them do. So the resolver gets strawberry's own
``Info`` class, subclassed so that its ``_raw_info`` is built on first use, exactly as it was
built before, and ``context`` is read without it. Everything else strawberry's ``Info`` offers
(``path``, ``selected_fields``, ``field_name``, ``variable_values``...) reads ``_raw_info`` and
so behaves as before. Only strawberry's plain ``Info`` is subclassed: a schema configured with an
``info_class`` of its own gets that class, built eagerly as before.
"""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

__all__ = ["LazyInfo"]


class LazyInfo(Info):
    """An ``Info`` whose raw resolve info is built by ``maker.info(run, path)`` (the compiled
    field, ``server.compiled._Field.info``) when first read."""

    # Not a dataclass of its own: strawberry's fields (_raw_info, _field) are the property below
    # and the attribute set here, so its __eq__ and __repr__ read them as before. Generated
    # selections (server/compiled_selection.py) make one without calling __init__: they set
    # _maker, _run, _path and _field, and _raw is this class attribute until built.
    _raw: Any = None

    def __init__(self, maker: Any, run: Any, path: Any, field: Any) -> None:
        self._maker = maker
        self._run = run
        self._path = path
        self._raw: Any = None
        self._field = field

    @property
    def _raw_info(self) -> Any:
        raw = self._raw
        if raw is None:
            raw = self._raw = self._maker.info(self._run, self._path)
        return raw

    @_raw_info.setter
    def _raw_info(self, raw: Any) -> None:
        self._raw = raw

    @property
    def context(self) -> Any:
        return self._run.context
