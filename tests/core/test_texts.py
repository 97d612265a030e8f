"""What the parties hear: built-in texts by language, and free text kept XML-safe and short."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from custom_components.twilio_bridge.core import twiml
from custom_components.twilio_bridge.core.texts import (
    MAX_SPOKEN_TEXT,
    TextTooLongError,
    clean_text,
    unreachable_text,
    warning_text,
)


def test_default_warning_texts() -> None:
    assert warning_text("ja-JP", 60) == "まもなく通話が終了します。残り時間はあと1分です。"
    assert warning_text("ja-JP", 45) == "まもなく通話が終了します。残り時間はあと45秒です。"
    assert warning_text("en-US", 60) == "This call will end in 1 minute."
    assert warning_text("en-GB", 120) == "This call will end in 2 minutes."
    assert warning_text("en-US", 30) == "This call will end in 30 seconds."


def test_free_text_is_made_xml_safe() -> None:
    assert clean_text("  Hello\x00 from\x1b the\x7f desk\ufffe  ") == "Hello from the desk"
    assert clean_text("改行\nと\tタブは残す") == "改行\nと\tタブは残す"


def test_free_text_has_a_length_limit() -> None:
    assert clean_text("a" * MAX_SPOKEN_TEXT) == "a" * MAX_SPOKEN_TEXT
    with pytest.raises(TextTooLongError) as raised:
        clean_text("a" * 100_000)
    assert raised.value.limit == MAX_SPOKEN_TEXT


def test_twiml_stays_xml_whatever_text_it_carries() -> None:
    # A text stored before texts were cleaned still yields a document Twilio can parse.
    document = twiml.bridge_answer(
        party_b="+819033334444",
        caller_id="+815012345678",
        ring_timeout=20,
        time_limit=3600,
        dial_done_url="https://ha.example/d",
        leg_b_status_url="https://ha.example/s",
        greeting="Bell\x07 <& ]]> \x00" + "x" * 10_000,
        language="en-US",
    )
    say = ElementTree.fromstring(document).find("Say")
    assert say is not None
    assert say.text is not None
    assert say.text.startswith("Bell <& ]]>")
    assert len(say.text) <= MAX_SPOKEN_TEXT
    assert twiml.dial_done(message="\x00\x01", language="en-US") == twiml.hangup()


def test_unreachable_text_by_language() -> None:
    assert unreachable_text("ja-JP").startswith("申し訳ありません")
    assert unreachable_text("en-GB") == "Sorry, the other party could not be reached."
    assert unreachable_text("fr-FR") == unreachable_text("en-US")
