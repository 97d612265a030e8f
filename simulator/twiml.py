"""TwiML documents parsed into typed verbs the engine can run.

Anything Twilio would refuse (not XML, no <Response>, an unknown verb) raises TwimlError,
which the engine turns into Twilio's error 12100 and the end of the call.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

MAX_SAY_SECONDS = 600


class TwimlError(ValueError):
    """The document is not TwiML Twilio would run."""


@dataclass(frozen=True)
class Say:
    text: str
    language: str = "en-US"
    loop: int = 1

    def seconds(self) -> float:
        # About 12 characters a second of synthesised speech, at least a second.
        return float(min(MAX_SAY_SECONDS, max(1, round(len(self.text) / 12)) * max(1, self.loop)))


@dataclass(frozen=True)
class Play:
    url: str
    loop: int = 1

    def seconds(self) -> float:
        return 5.0 * max(1, self.loop)


@dataclass(frozen=True)
class Pause:
    length: float = 1.0


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Reject:
    reason: str = "rejected"


@dataclass(frozen=True)
class Redirect:
    url: str
    method: str = "POST"


@dataclass(frozen=True)
class Gather:
    action: str | None = None
    method: str = "POST"
    timeout: float = 5.0
    num_digits: int | None = None
    finish_on_key: str = "#"
    prompts: tuple[Say | Play | Pause, ...] = ()
    action_on_empty_result: bool = False  # request the action even without input


@dataclass(frozen=True)
class Number:
    number: str
    url: str | None = None  # whisper TwiML run on the callee before the bridge
    method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = ("completed",)


@dataclass(frozen=True)
class Conference:
    name: str
    start_on_enter: bool = True
    end_on_exit: bool = False
    beep: str = "true"
    wait_url: str | None = None
    muted: bool = False
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = ()
    participant_label: str | None = None


@dataclass(frozen=True)
class Dial:
    numbers: tuple[Number, ...] = ()
    conference: Conference | None = None
    action: str | None = None
    method: str = "POST"
    timeout: float = 30.0
    time_limit: float = 14400.0
    caller_id: str | None = None
    answer_on_bridge: bool = False
    ring_tone: str | None = None


Verb = Say | Play | Pause | Hangup | Reject | Redirect | Gather | Dial


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() == "true"


def _float(element: ET.Element, name: str, default: float) -> float:
    raw = element.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as err:
        raise TwimlError(f"<{element.tag}> attribute {name}={raw!r} is not a number") from err
    if not math.isfinite(value):  # "1e999" or "nan" would break int() and the clock
        raise TwimlError(f"<{element.tag}> attribute {name}={raw!r} is not a finite number")
    return value


def _events(raw: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(raw.split()) if raw else default


def _text(element: ET.Element) -> str:
    return (element.text or "").strip()


def _say(element: ET.Element) -> Say:
    return Say(
        text=_text(element),
        language=element.get("language", "en-US"),
        loop=int(_float(element, "loop", 1)),
    )


def _play(element: ET.Element) -> Play:
    return Play(url=_text(element), loop=int(_float(element, "loop", 1)))


def _number(element: ET.Element) -> Number:
    callback = element.get("statusCallback")
    return Number(
        number=_text(element),
        url=element.get("url"),
        method=element.get("method", "POST").upper(),
        status_callback=callback,
        status_callback_method=element.get("statusCallbackMethod", "POST").upper(),
        status_callback_events=_events(
            element.get("statusCallbackEvent"), ("completed",) if callback else ()
        ),
    )


def _conference(element: ET.Element) -> Conference:
    return Conference(
        name=_text(element),
        start_on_enter=_bool(element.get("startConferenceOnEnter"), True),
        end_on_exit=_bool(element.get("endConferenceOnExit"), False),
        beep=element.get("beep", "true"),
        wait_url=element.get("waitUrl"),
        muted=_bool(element.get("muted"), False),
        status_callback=element.get("statusCallback"),
        status_callback_method=element.get("statusCallbackMethod", "POST").upper(),
        status_callback_events=_events(element.get("statusCallbackEvent"), ()),
        participant_label=element.get("participantLabel"),
    )


def _dial(element: ET.Element) -> Dial:
    numbers: list[Number] = []
    conference: Conference | None = None
    for child in element:
        if child.tag == "Number":
            numbers.append(_number(child))
        elif child.tag == "Conference":
            conference = _conference(child)
        else:
            raise TwimlError(f"<Dial> cannot contain <{child.tag}>")
    if not numbers and conference is None and _text(element):
        numbers.append(Number(number=_text(element)))
    if not numbers and conference is None:
        raise TwimlError("<Dial> has nothing to dial")
    return Dial(
        numbers=tuple(numbers),
        conference=conference,
        action=element.get("action"),
        method=element.get("method", "POST").upper(),
        timeout=_float(element, "timeout", 30.0),
        time_limit=_float(element, "timeLimit", 14400.0),
        caller_id=element.get("callerId"),
        answer_on_bridge=_bool(element.get("answerOnBridge"), False),
        ring_tone=element.get("ringTone"),
    )


def _gather(element: ET.Element) -> Gather:
    prompts: list[Say | Play | Pause] = []
    for child in element:
        if child.tag == "Say":
            prompts.append(_say(child))
        elif child.tag == "Play":
            prompts.append(_play(child))
        elif child.tag == "Pause":
            prompts.append(Pause(length=_float(child, "length", 1.0)))
        else:
            raise TwimlError(f"<Gather> cannot contain <{child.tag}>")
    num_digits = element.get("numDigits")
    if num_digits and not (num_digits.isascii() and num_digits.isdigit()):
        # str.isdigit() alone accepts "²", which int() refuses.
        raise TwimlError(f"<Gather> numDigits={num_digits!r} is not a number")
    return Gather(
        action=element.get("action"),
        method=element.get("method", "POST").upper(),
        timeout=_float(element, "timeout", 5.0),
        num_digits=int(num_digits) if num_digits else None,
        finish_on_key=element.get("finishOnKey", "#"),
        prompts=tuple(prompts),
        action_on_empty_result=_bool(element.get("actionOnEmptyResult"), False),
    )


def _verb(element: ET.Element) -> Verb:
    match element.tag:
        case "Say":
            return _say(element)
        case "Play":
            return _play(element)
        case "Pause":
            return Pause(length=_float(element, "length", 1.0))
        case "Hangup":
            return Hangup()
        case "Reject":
            return Reject(reason=element.get("reason", "rejected"))
        case "Redirect":
            url = _text(element)
            if not url:
                raise TwimlError("<Redirect> needs a URL")
            return Redirect(url=url, method=element.get("method", "POST").upper())
        case "Gather":
            return _gather(element)
        case "Dial":
            return _dial(element)
    raise TwimlError(f"unknown TwiML verb <{element.tag}>")


@dataclass(frozen=True)
class Document:
    verbs: tuple[Verb, ...] = field(default_factory=tuple)


def parse(source: str | bytes) -> Document:
    """Parse a TwiML document; raise TwimlError for anything Twilio would not run."""
    try:
        root = ET.fromstring(source)
    except ET.ParseError as err:
        raise TwimlError(f"not XML: {err}") from err
    if root.tag != "Response":
        raise TwimlError(f"root element is <{root.tag}>, not <Response>")
    return Document(verbs=tuple(_verb(child) for child in root))
