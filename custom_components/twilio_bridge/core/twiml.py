"""TwiML documents for the bridge flow, built with the official SDK so text is escaped."""

from __future__ import annotations

from typing import Final

from twilio.twiml.voice_response import Gather, VoiceResponse

from .texts import speakable

__all__ = [
    "LEG_STATUS_EVENTS",
    "bridge_answer",
    "confirm_gather",
    "dial_done",
    "hangup",
    "reject",
    "whisper",
]

# Same events as leg A's REST StatusCallbackEvent, so both legs feed one state machine.
LEG_STATUS_EVENTS: Final = ("initiated", "ringing", "answered", "completed")


def _say(response: VoiceResponse | Gather, message: str | None, language: str) -> None:
    """Append <Say> unless the message is empty (an empty <Say> is a Twilio warning).

    The text is cleaned once more here: a record stored by an older version may hold a
    character XML cannot carry, and one such character makes the whole document invalid.
    """
    text = speakable(message)
    if text:
        response.say(text, language=language)


def bridge_answer(
    *,
    party_b: str,
    caller_id: str,
    ring_timeout: int,
    time_limit: int,
    dial_done_url: str,
    leg_b_status_url: str,
    greeting: str | None,
    language: str,
    whisper_url: str | None = None,
) -> str:
    """Answer leg A: optional greeting, then dial party B with the Twilio number as caller id.

    With `whisper_url`, B's leg runs that TwiML when B answers, before the bridge.
    """
    response = VoiceResponse()
    _say(response, greeting, language)
    dial = response.dial(
        caller_id=caller_id,
        timeout=ring_timeout,
        time_limit=time_limit,
        action=dial_done_url,
        method="POST",
    )
    dial.number(
        party_b,
        status_callback=leg_b_status_url,
        status_callback_event=" ".join(LEG_STATUS_EVENTS),  # TwiML wants it space-separated
        status_callback_method="POST",
        **({"url": whisper_url, "method": "POST"} if whisper_url else {}),
    )
    return str(response)


def confirm_gather(
    *,
    texts: list[str | None],
    gather_url: str,
    timeout: int,
    goodbye: str,
    language: str,
) -> str:
    """Say `texts`, listen for one key; no key at all → goodbye and hang up.

    A key goes to `gather_url`, which decides; silence falls through to the goodbye, so a
    voicemail, which presses nothing, is hung up after `timeout` seconds of silence.
    """
    response = VoiceResponse()
    gather = response.gather(num_digits=1, timeout=timeout, action=gather_url, method="POST")
    for text in texts:
        _say(gather, text, language)
    _say(response, goodbye, language)
    response.hangup()
    return str(response)


def whisper(*, message: str | None, language: str) -> str:
    """B's whisper without confirmation: the call's context, then the bridge."""
    response = VoiceResponse()
    _say(response, message, language)
    return str(response)


def proceed() -> str:
    """An empty document: the call goes on (a whisper that ends bridges B to A)."""
    return str(VoiceResponse())


def dial_done(*, message: str | None, language: str) -> str:
    """Reply to the <Dial action>: optional message, then hang up so leg A stops billing."""
    response = VoiceResponse()
    _say(response, message, language)
    response.hangup()
    return str(response)


def reject(*, busy: bool) -> str:
    """Refuse an incoming call without answering it: nothing is billed to anyone.

    reason="busy" plays a busy tone (the caller will be called back); the default reason
    plays "not in service", which tells a stranger nothing.
    """
    response = VoiceResponse()
    if busy:
        response.reject(reason="busy")
    else:
        response.reject()
    return str(response)


def hangup() -> str:
    """A document that just ends the call."""
    response = VoiceResponse()
    response.hangup()
    return str(response)


# Conference status events the integration listens to (TwiML: one space-separated attribute).
CONFERENCE_EVENTS: Final = ("start", "end", "join", "leave", "announcement")


def conference_join(
    *,
    room: str,
    dial_done_url: str,
    status_callback: str,
    time_limit: int,
    greeting: str | None,
    language: str,
) -> str:
    """Put one party into the call's conference room.

    endConferenceOnExit on both parties: when either leaves, the other is not kept (and
    billed) alone in the room. waitUrl="" waits in silence instead of Twilio's hold music.
    Twilio takes statusCallback from the first participant only, so both send it.
    """
    response = VoiceResponse()
    _say(response, greeting, language)
    dial = response.dial(action=dial_done_url, method="POST", time_limit=time_limit)
    dial.conference(
        room,
        start_conference_on_enter=True,
        end_conference_on_exit=True,
        beep=False,
        wait_url="",
        status_callback=status_callback,
        status_callback_event=" ".join(CONFERENCE_EVENTS),
        status_callback_method="POST",
    )
    return str(response)


def announcement(*, message: str, language: str) -> str:
    """What a conference AnnounceUrl plays to every participant."""
    response = VoiceResponse()
    _say(response, message, language)
    return str(response)
