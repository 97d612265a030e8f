"""Everything the parties hear: built-in texts by language, and the limits on free text.

A text ends up inside a TwiML <Say>: a character XML cannot carry makes the whole document
invalid (Twilio error 12100, heard by the party as "an application error has occurred"),
and a long text makes the document too large to fetch. So free text is cleaned of such
characters and bounded in length before it is stored.
"""

from __future__ import annotations

import re
from typing import Final

# About 40 s of speech in English, over a minute in Japanese: a greeting, not a speech.
MAX_SPOKEN_TEXT: Final = 500
MAX_LABEL: Final = 200

# XML 1.0 forbids C0 controls but tab, newline and carriage return, surrogates and U+FFFE/F;
# DEL and C1 controls are legal XML but no voice reads them.
_NOT_SPEAKABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class TextTooLongError(ValueError):
    """A free text is longer than its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"longer than {limit} characters")
        self.limit = limit


def clean_text(text: str, limit: int = MAX_SPOKEN_TEXT) -> str:
    """Free text made XML-safe (characters removed, white space trimmed); raises if too long."""
    cleaned = _NOT_SPEAKABLE.sub("", text).strip()
    if len(cleaned) > limit:
        raise TextTooLongError(limit)
    return cleaned


def speakable(text: str | None) -> str | None:
    """What a <Say> may carry: a stored text from an older version is cleaned, never refused."""
    if text is None:
        return None
    return _NOT_SPEAKABLE.sub("", text).strip()[:MAX_SPOKEN_TEXT] or None


def _japanese(language: str) -> bool:
    return language.lower().startswith("ja")


def unreachable_text(language: str) -> str:
    """Said to party A when B could not be reached, before the call is hung up."""
    if _japanese(language):
        return "申し訳ありません。相手の方につながりませんでした。"
    return "Sorry, the other party could not be reached."


def warning_text(language: str, seconds: int) -> str:
    """The default "time is nearly up" message (conference mode)."""
    japanese = _japanese(language)
    if seconds % 60 == 0:
        minutes = seconds // 60
        if japanese:
            return f"まもなく通話が終了します。残り時間はあと{minutes}分です。"
        return f"This call will end in {minutes} minute{'s' if minutes != 1 else ''}."
    if japanese:
        return f"まもなく通話が終了します。残り時間はあと{seconds}秒です。"
    return f"This call will end in {seconds} seconds."


def confirm_prompt(language: str) -> str:
    """Asked of a party who must confirm: press 1 (CONFIRM_KEY) to be connected."""
    if _japanese(language):
        return "おつなぎする場合は 1 を押してください。"
    return "To be connected, press 1."


def not_confirmed_goodbye(language: str) -> str:
    """Said when no 1 was pressed, before the leg is hung up."""
    if _japanese(language):
        return "お電話をおつなぎせずに終了します。失礼いたします。"
    return "The call will not be connected. Goodbye."


def default_announce(language: str) -> str:
    """Said to B before the bridge when B must confirm and no `announce` text was given."""
    if _japanese(language):
        return "お電話がつながっています。"
    return "You have a call waiting."


def unavailable_text(language: str) -> str:
    """Said to A when B answered but did not confirm."""
    if _japanese(language):
        return "申し訳ありません。相手の方は現在お出になれません。"
    return "Sorry, the other party is not available."
