"""The default conference warning, in the <Say> language."""

from __future__ import annotations

from custom_components.twilio_bridge.conference import warning_text


def test_default_warning_texts() -> None:
    assert warning_text("ja-JP", 60) == "まもなく通話が終了します。残り時間はあと1分です。"
    assert warning_text("ja-JP", 45) == "まもなく通話が終了します。残り時間はあと45秒です。"
    assert warning_text("en-US", 60) == "This call will end in 1 minute."
    assert warning_text("en-GB", 120) == "This call will end in 2 minutes."
    assert warning_text("en-US", 30) == "This call will end in 30 seconds."
