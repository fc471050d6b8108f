"""The one rule for names people give things: files, folders, chats, display names,
departments, groups, organizations.

Refused, not stripped: a name is shown to others, and silently changing what someone typed hides
the attempt (``invoice<U+202E>txt.exe`` renders as ``invoiceexe.txt``) instead of telling them.
Refused are control characters (Cc), format characters (Cf: bidirectional embeddings,
overrides and isolates U+202A to U+202E and U+2066 to U+2069, the marks U+200E, U+200F and
U+061C, zero-width spaces and joiners, soft hyphens, the byte-order mark...), line and
paragraph separators (Zl, Zp) and lone surrogates (Cs, which no database stores).

Joiners are kept where writing needs them, and only there:
- ZERO WIDTH NON-JOINER (U+200C) and ZERO WIDTH JOINER (U+200D) between two letters (or
  combining marks) of a script that shapes joined letters: Persian writes ``می‌خواهم`` with a
  non-joiner, Indic scripts use both after a virama. Between Latin, Greek or Cyrillic letters,
  which never need them, they only hide a difference between two names, and are refused;
- ZERO WIDTH JOINER (U+200D) between two emoji (woman + laptop, family, heart on fire), after
  an optional variation selector or skin-tone modifier of the first;
- tag characters (U+E0020 to U+E007E, closed by U+E007F) right after a black flag (U+1F3F4),
  which spell subdivision flags such as Scotland's.
"""

from __future__ import annotations

import unicodedata

from resolvers.core.errors import CoreErrorCode, DomainError, ErrorCode

ZWJ = "\u200d"
ZWNJ = "\u200c"
_UNJOINED_SCRIPTS = ("LATIN ", "GREEK ", "CYRILLIC ")
BLACK_FLAG = "\U0001f3f4"
CANCEL_TAG = "\U000e007f"
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
# What may sit between an emoji and a following ZWJ: the emoji presentation selector and the
# five skin-tone modifiers.
_EMOJI_TRAILERS = {"\ufe0f"} | {chr(c) for c in range(0x1F3FB, 0x1F400)}


def _is_emoji(ch: str) -> bool:
    # "Other symbol" covers the pictographs (and dingbats like ❤); regional letters and
    # keycaps are not joined with ZWJ.
    return unicodedata.category(ch) == "So"


def _shaping_letter(ch: str) -> bool:
    if unicodedata.category(ch)[0] not in "LM":
        return False
    return not unicodedata.name(ch, "").startswith(_UNJOINED_SCRIPTS)


def _joins_letters(value: str, i: int) -> bool:
    """Is the joiner at ``value[i]`` between two letters of a script that may need it?"""
    return (
        0 < i < len(value) - 1 and _shaping_letter(value[i - 1]) and _shaping_letter(value[i + 1])
    )


def _is_tag(ch: str) -> bool:
    return 0xE0020 <= ord(ch) <= 0xE007F


def _joins_emoji(value: str, i: int) -> bool:
    """Is the ZWJ at ``value[i]`` inside an emoji sequence?"""
    j = i - 1
    while j >= 0 and value[j] in _EMOJI_TRAILERS:
        j -= 1
    return j >= 0 and i + 1 < len(value) and _is_emoji(value[j]) and _is_emoji(value[i + 1])


def _tag_run_end(value: str, i: int) -> int | None:
    """If a subdivision-flag tag sequence starts at ``value[i]`` (after a black flag), the index
    just past its cancel tag; otherwise None."""
    if i == 0 or value[i - 1] != BLACK_FLAG:
        return None
    j = i
    while j < len(value) and _is_tag(value[j]) and value[j] != CANCEL_TAG:
        j += 1
    if j == i or j >= len(value) or value[j] != CANCEL_TAG:
        return None
    return j + 1


def hidden_character(value: str) -> str | None:
    """The first character a name may not contain, or None."""
    i = 0
    while i < len(value):
        ch = value[i]
        if (ch == ZWJ and _joins_emoji(value, i)) or (
            ch in (ZWJ, ZWNJ) and _joins_letters(value, i)
        ):
            i += 1
            continue
        if _is_tag(ch) and (end := _tag_run_end(value, i)) is not None:
            i = end
            continue
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return ch
        i += 1
    return None


def name_errors(
    value: str,
    field: str,
    *,
    max_length: int,
    code: ErrorCode = CoreErrorCode.INVALID_NAME,
    what: str = "Names",
) -> list[DomainError]:
    """Why ``value`` (as given: callers strip it themselves) is not a valid name: empty or
    blank, longer than ``max_length`` characters, or holding a hidden character."""
    if not value.strip() or len(value.strip()) > max_length:
        return [DomainError(f"{what} have 1 to {max_length} characters.", field=field, code=code)]
    bad = hidden_character(value)
    if bad is not None:
        return [
            DomainError(
                f"{what} cannot contain invisible or text-direction control characters "
                f"(found U+{ord(bad):04X}).",
                field=field,
                code=code,
            )
        ]
    return []
