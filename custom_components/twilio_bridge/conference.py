"""Conference mode: both parties in a room, a warning before the end, and extension.

Bridge mode needs none of this: Twilio ends both legs itself. In a conference the
integration does the timing: it places leg B once A answers, announces the warning into
the room warn_before seconds before time_limit, closes the room at time_limit, and makes
sure no leg is left open (and billed) when the other party is gone.
"""

from __future__ import annotations

import logging

from homeassistant.util import dt as dt_util

from .const import (
    LEG_A_TIME_LIMIT_MARGIN,
    URL_ANNOUNCE,
    URL_ANSWER_LEG,
    URL_CONFERENCE,
    URL_DIAL_DONE_LEG,
    URL_STATUS,
)
from .core import twiml
from .core.calls import RINGING_STATUSES, TERMINAL_STATUSES, CallRecord, Change
from .core.texts import unavailable_text, unreachable_text, warning_text
from .data import BridgeConfig
from .timers import Timers
from .twilio_client import NewCall, TwilioApi, TwilioApiError

_LOGGER = logging.getLogger(__name__)

# Twilio's own cap on a <Dial>; the real limit is enforced by the integration (and by each
# leg's REST TimeLimit as a safety net), so that `extend` can move it.
DIAL_TIME_LIMIT = 14400
END_RETRY = 10.0  # seconds before asking Twilio again to close a room past its limit


class ConferenceController:
    """The conference-mode half of the call manager."""

    def __init__(self, config: BridgeConfig, api: TwilioApi, timers: Timers) -> None:
        self._config = config
        self._api = api
        self._timers = timers
        # When each room started, on Home Assistant's clock: the limit counts from here.
        self._started: dict[str, float] = {}

    def _url(self, template: str, record: CallRecord, **parts: str) -> str:
        return self._config.url(template, call_id=record.call_id, **parts)

    def leg_cap(self, record: CallRecord) -> int:
        """A leg's REST TimeLimit: talk limit plus room for ringing, greeting, warning."""
        config = self._config
        return (
            (record.time_limit or config.time_limit)
            + 2 * config.ring_timeout
            + (LEG_A_TIME_LIMIT_MARGIN)
        )

    # ------------------------------------------------------------------ webhooks

    def answer(self, record: CallRecord, leg: str, *, greet: bool = True) -> str:
        """TwiML that puts a party into the room; A's going in dials B.

        Said first (unless `greet` is false: it was said before a confirmation): the
        greeting to A, the announcement to B.
        """
        if leg == "a" and record.legs["b"].sid is None and not record.legs["b"].ended:
            self._timers.now(record.call_id, "place B", lambda: self._place_b(record))
        return twiml.conference_join(
            room=record.room,
            dial_done_url=self._url(URL_DIAL_DONE_LEG, record, leg=leg),
            status_callback=self._url(URL_CONFERENCE, record),
            time_limit=DIAL_TIME_LIMIT,
            greeting=(record.greeting if leg == "a" else record.announce) if greet else None,
            language=self._config.language,
        )

    def announcement(self, record: CallRecord) -> str:
        config = self._config
        message = config.warning_message or warning_text(config.language, config.warn_before)
        return twiml.announcement(message=message, language=config.language)

    async def _place_b(self, record: CallRecord) -> None:
        config = self._config
        try:
            info = await self._api.create_call(
                NewCall(
                    to=record.party_b,
                    from_=config.phone_number.e164,
                    url=self._url(URL_ANSWER_LEG, record, leg="b"),
                    status_callback=self._url(URL_STATUS, record, leg="b"),
                    status_callback_events=twiml.LEG_STATUS_EVENTS,
                    timeout=config.ring_timeout,
                    time_limit=self.leg_cap(record),
                )
            )
        except TwilioApiError as err:
            _LOGGER.warning("Call %s: party B could not be called: %s", record.call_id, err)
            leg_b = record.legs["b"]
            leg_b.status, leg_b.ended_at = "failed", dt_util.utcnow()
            await self._release_a(record)
            return
        if record.legs["b"].sid is None:
            record.legs["b"].sid = info.sid
        if not record.active or record.legs["a"].ended:
            await self._hang_up(info.sid, ringing=True)  # A gave up while we were dialing

    # ------------------------------------------------------------------ reactions

    def resume(self, record: CallRecord) -> None:
        """After a restart: the room started at connected_at; re-arm what is left."""
        if record.connected_at and record.talk_ended_at is None:
            self._started[record.call_id] = record.connected_at.timestamp()
            self._arm(record)

    def after_changes(self, record: CallRecord, changes: list[Change]) -> None:
        """React to what just happened to a conference-mode record."""
        for change in changes:
            if change.kind == "conference_started":
                self._started[record.call_id] = dt_util.utcnow().timestamp()
                self._arm(record)
            elif change.kind == "conference_ended":
                self._disarm(record)
            elif change.kind == "progress" and change.status in TERMINAL_STATUSES:
                self._leg_over(record, change.leg)

    def _leg_over(self, record: CallRecord, leg: str | None) -> None:
        leg_a, leg_b = record.legs["a"], record.legs["b"]
        if leg == "b" and leg_b.joined_at is None and not leg_a.ended and leg_a.sid:
            # B never made it into the room: tell A, then end A's leg.
            self._timers.now(record.call_id, "release A", lambda: self._release_a(record))
        elif leg == "a" and (sid := leg_b.sid) and not leg_b.ended and leg_b.joined_at is None:
            # A is gone while B still rings: stop ringing B.
            self._timers.now(record.call_id, "cancel B", lambda: self._hang_up(sid, ringing=True))

    async def _release_a(self, record: CallRecord) -> None:
        leg_a = record.legs["a"]
        if leg_a.sid is None or leg_a.ended:
            return
        language = self._config.language
        answered_unconfirmed = record.legs["b"].answered_at and record.awaits_confirmation("b")
        message = unavailable_text(language) if answered_unconfirmed else unreachable_text(language)
        document = twiml.dial_done(message=message, language=language)
        try:
            await self._api.redirect(leg_a.sid, document)
        except TwilioApiError as err:
            _LOGGER.warning("Call %s: could not release party A: %s", record.call_id, err)

    async def _hang_up(self, sid: str, *, ringing: bool) -> None:
        try:
            await self._api.hangup(sid, ringing=ringing)
        except TwilioApiError as err:
            _LOGGER.warning("Could not hang up a conference leg: %s", err)

    # ------------------------------------------------------------------ the limit

    def _arm(self, record: CallRecord) -> None:
        started = self._started.get(record.call_id)
        if started is None or not record.active:
            return
        config = self._config
        limit = record.time_limit or config.time_limit
        elapsed = dt_util.utcnow().timestamp() - started
        warn_in = limit - config.warn_before - elapsed
        if warn_in > 0:
            self._timers.later(record.call_id, "warn", warn_in, lambda: self._warn(record))
        else:
            self._timers.cancel(record.call_id, "warn")
        end_in = max(0.0, limit - elapsed)
        self._timers.later(record.call_id, "end", end_in, lambda: self._end(record))

    def _disarm(self, record: CallRecord) -> None:
        self._timers.cancel(record.call_id, "warn")
        self._timers.cancel(record.call_id, "end")
        self._started.pop(record.call_id, None)

    async def _warn(self, record: CallRecord) -> None:
        if record.conference_sid and record.active and record.talk_ended_at is None:
            try:
                await self._api.announce(record.conference_sid, self._url(URL_ANNOUNCE, record))
            except TwilioApiError as err:
                _LOGGER.warning("Call %s: warning not announced: %s", record.call_id, err)

    async def _end(self, record: CallRecord) -> None:
        if record.conference_sid and record.talk_ended_at is None:
            try:
                await self._api.end_conference(record.conference_sid)
            except TwilioApiError as err:
                # Every minute past the limit is billed twice over: try again soon.
                _LOGGER.warning(
                    "Call %s: conference not ended, retrying in %s s: %s",
                    record.call_id,
                    END_RETRY,
                    err,
                )
                self._timers.later(record.call_id, "end", END_RETRY, lambda: self._end(record))

    async def async_extend(self, record: CallRecord, seconds: int) -> int:
        """Move the limit; re-arm the warning and the end. Returns the new limit."""
        record.time_limit = (record.time_limit or self._config.time_limit) + seconds
        self._arm(record)
        cap = self.leg_cap(record)
        for leg in record.legs.values():
            if leg.sid and not leg.ended:
                await self._api.set_time_limit(leg.sid, cap)
        return record.time_limit

    async def async_hangup(self, record: CallRecord) -> None:
        """End the room if it runs; otherwise end whichever legs still ring or wait."""
        if record.conference_sid and record.connected_at and record.talk_ended_at is None:
            await self._api.end_conference(record.conference_sid)
            return
        for leg in record.legs.values():
            if leg.sid and not leg.ended:
                await self._api.hangup(leg.sid, ringing=leg.status in RINGING_STATUSES)
