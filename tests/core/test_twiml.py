"""Tests for the TwiML builders (parsed back, not compared as strings)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from custom_components.twilio_bridge.core.twiml import bridge_answer, dial_done, hangup

_ARGS = {
    "party_b": "+819012345678",
    "caller_id": "+815012345678",
    "ring_timeout": 20,
    "time_limit": 3600,
    "dial_done_url": "https://ha.example.com/api/webhook/abc?leg=a&call=1",
    "leg_b_status_url": "https://ha.example.com/api/webhook/abc?leg=b",
    "language": "ja-JP",
}


def _parse(document: str) -> ET.Element:
    """Parse a TwiML document, checking it is a complete XML document with a <Response> root."""
    assert document.startswith("<?xml")
    root = ET.fromstring(document.encode())
    assert root.tag == "Response"
    return root


def test_bridge_answer_with_greeting() -> None:
    """Greeting first, then <Dial> with every attribute and a <Number> for party B."""
    root = _parse(bridge_answer(greeting="お電話をおつなぎします", **_ARGS))  # type: ignore[arg-type]
    say, dial = list(root)
    assert say.tag == "Say"
    assert say.text == "お電話をおつなぎします"
    assert say.attrib == {"language": "ja-JP"}
    assert dial.tag == "Dial"
    assert dial.attrib == {
        "callerId": "+815012345678",
        "timeout": "20",
        "timeLimit": "3600",
        "action": "https://ha.example.com/api/webhook/abc?leg=a&call=1",
        "method": "POST",
    }
    (number,) = list(dial)
    assert number.tag == "Number"
    assert number.text == "+819012345678"
    assert number.attrib == {
        "statusCallback": "https://ha.example.com/api/webhook/abc?leg=b",
        "statusCallbackEvent": "initiated ringing answered completed",
        "statusCallbackMethod": "POST",
    }


def test_bridge_answer_without_greeting() -> None:
    """No greeting (None or blank) means no <Say>: dial straight away."""
    for greeting in (None, "", "  "):
        root = _parse(bridge_answer(greeting=greeting, **_ARGS))  # type: ignore[arg-type]
        assert [child.tag for child in root] == ["Dial"]


def test_greeting_is_escaped() -> None:
    """Markup in user text is escaped, not injected as TwiML."""
    document = bridge_answer(greeting='a <Hangup/> & "b" >', **_ARGS)  # type: ignore[arg-type]
    assert "<Hangup" not in document
    root = _parse(document)
    assert root[0].text == 'a <Hangup/> & "b" >'
    assert [child.tag for child in root] == ["Say", "Dial"]


def test_dial_done_with_message() -> None:
    """A message is said before hanging up."""
    root = _parse(dial_done(message="相手が応答しませんでした <&>", language="ja-JP"))
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root[0].text == "相手が応答しませんでした <&>"
    assert root[0].attrib == {"language": "ja-JP"}


def test_dial_done_without_message() -> None:
    """Without a message the call is hung up at once."""
    root = _parse(dial_done(message=None, language="en-US"))
    assert [child.tag for child in root] == ["Hangup"]


def test_hangup() -> None:
    """hangup() is a bare <Hangup/>."""
    root = _parse(hangup())
    assert [child.tag for child in root] == ["Hangup"]
    assert root[0].attrib == {}
    assert not list(root[0])
