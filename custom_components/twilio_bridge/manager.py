"""The call manager: places calls, applies Twilio's webhooks to records, keeps the log.

This is the only place that turns record changes into Home Assistant events, entity
updates and storage writes, so every path (webhook, reconciliation, service) behaves alike.
"""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .conference import ConferenceController
from .const import (
    EVENT_CALL_CONNECTED,
    EVENT_CALL_ENDED,
    EVENT_CALL_PROGRESS,
    EVENT_CALL_STARTED,
    LEG_A_TIME_LIMIT_MARGIN,
    SIGNAL_UPDATED,
    URL_ANSWER,
    URL_DIAL_DONE,
    URL_GATHER,
    URL_STATUS,
    URL_WHISPER,
)
from .core import twiml
from .core.calls import (
    CONFIRM_KEY,
    LEGS,
    RINGING_STATUSES,
    CallOptions,
    CallRecord,
    Change,
    LegName,
)
from .core.contacts import Party
from .core.guards import Usage, check_call
from .core.record_view import (
    call_status,
    connected_event,
    ended_event,
    record_view,
    started_event,
)
from .core.texts import (
    confirm_prompt,
    default_announce,
    not_confirmed_goodbye,
    unavailable_text,
    unreachable_text,
)
from .core.totals import MonthTotals, month_key
from .core.webhooks import (
    CallAnswered,
    ConferenceChanged,
    DialFinished,
    DigitsGathered,
    LegStatusChanged,
)
from .data import BridgeConfig
from .logbook import logbook_entity_id
from .store import CallLogStore
from .timers import Timers
from .twilio_client import CallInfo, NewCall, TwilioApi, TwilioApiError
from .unreachable import async_answer_failure, report_unreachable, webhook_reached

_LOGGER = logging.getLogger(__name__)

# Twilio reports a call's price some time after it ends: ask again after these delays.
PRICE_RETRY_DELAYS = (0.0, 30.0, 120.0, 600.0, 3600.0)
PRICE_LOOKBACK = timedelta(days=1)
PRICE_LOOKUPS_AT_START = 20
# If a finished call's last callbacks never arrive, fetch its legs from Twilio after this.
RECONCILE_AFTER_DIAL = 30.0
RECONCILE_AFTER_RING = 60.0
TWILIO_NOT_FOUND = 20404
# A call still talking when checked is checked again this often (callbacks may be lost).
RECONCILE_RETRY = 300.0


class CallManager:
    """Owns every call record and the month's totals."""

    def __init__(
        self, hass: HomeAssistant, config: BridgeConfig, api: TwilioApi, store: CallLogStore
    ) -> None:
        self.hass = hass
        self.config = config
        self.api = api
        self._store = store
        self._records: OrderedDict[str, CallRecord] = OrderedDict()
        # The active calls, kept apart: entities and guards ask for them on every update.
        self._active: dict[str, CallRecord] = {}
        self._totals = MonthTotals(month_key(dt_util.now()))
        self.timers = Timers(hass)
        self.conference = ConferenceController(config, api, self.timers)

    # ------------------------------------------------------------------ lifecycle

    async def async_start(self) -> None:
        """Load the log and reconcile calls that were active when Home Assistant stopped."""
        records, totals = await self._store.async_load()
        for record in records:
            self._records[record.call_id] = record
            if record.active:
                self._active[record.call_id] = record
        if totals is not None:
            self._totals = totals
        self._roll_month()
        self._schedule_month_rollover()
        for record in self.active_records():
            if record.conference:
                self.conference.resume(record)
            self.hass.async_create_task(
                self.async_reconcile(record), f"twilio_bridge reconcile {record.call_id}"
            )
        # Prices still missing (Home Assistant was down when they settled): ask again, but
        # only for recent calls, so a start-up never turns into hundreds of API requests.
        since = dt_util.utcnow() - PRICE_LOOKBACK
        unpriced = [
            record
            for record in self.records()
            if not record.active
            and not record.cost_final
            and record.legs["a"].sid
            and record.ended_at is not None
            and record.ended_at >= since
        ]
        for record in unpriced[:PRICE_LOOKUPS_AT_START]:
            self._schedule_price(record, 0)

    @callback
    def async_stop(self) -> None:
        self.timers.stop()

    async def async_save_now(self) -> None:
        """Write the log now (unload): the next manager resumes the calls in progress."""
        await self._store.async_save_now(list(self._records.values()), self._totals)

    # ------------------------------------------------------------------ queries

    def record(self, call_id: str) -> CallRecord | None:
        return self._records.get(call_id)

    def active_records(self) -> list[CallRecord]:
        return list(self._active.values())

    def records(self, limit: int | None = None) -> list[CallRecord]:
        """Newest first."""
        newest = list(reversed(self._records.values()))
        return newest if limit is None else newest[:limit]

    def last_finished(self) -> CallRecord | None:
        for record in reversed(self._records.values()):
            if not record.active:
                return record
        return None

    @property
    def totals(self) -> MonthTotals:
        self._roll_month()
        return self._totals

    def _roll_month(self) -> None:
        self._totals = self._totals.rolled(month_key(dt_util.now()))

    def _schedule_month_rollover(self) -> None:
        """At local midnight on the first, month totals restart: refresh the entities."""
        now = dt_util.now()
        first = dt_util.start_of_local_day((now.replace(day=1) + timedelta(days=32)).replace(day=1))

        async def rolled() -> None:
            self._roll_month()
            self._changed()
            self._schedule_month_rollover()

        self.timers.at("", "month", first, rolled)

    def mask(self, number: str) -> str:
        return self.config.mask(number)

    def view(self, record: CallRecord) -> dict[str, Any]:
        """A record as shown in attributes and service responses."""
        return record_view(record, self.mask)

    @staticmethod
    def status(record: CallRecord) -> str:
        return call_status(record)

    # ------------------------------------------------------------------ placing calls

    def check_parties(self, party_a: str, party_b: str) -> tuple[Party, Party]:
        """Both parties (numbers or contact names), once every guard passed.

        Raises CallRefusedError.
        """
        policy = self.config.call_policy
        contacts = self.config.contacts
        resolved_a = contacts.resolve(policy, party_a, "party_a")
        resolved_b = contacts.resolve(policy, party_b, "party_b")
        usage = Usage(active_calls=len(self._active), month_cost=self.totals.cost)
        check_call(policy, usage, resolved_a.number, resolved_b.number)
        return resolved_a, resolved_b

    def url(self, template: str, **parts: str) -> str:
        return self.config.url(template, **parts)

    async def async_connect(
        self, party_a: Party, party_b: Party, options: CallOptions
    ) -> CallRecord:
        """Create the record, then place leg A. Raises TwilioApiError (nothing is kept)."""
        call_id = secrets.token_hex(16)  # unguessable: it is part of every webhook URL
        record = CallRecord(
            call_id=call_id,
            mode=options.mode,
            party_a=party_a.number.e164,
            party_b=party_b.number.e164,
            class_a=party_a.number.rate_class,
            class_b=party_b.number.rate_class,
            created_at=dt_util.utcnow(),
            currency=self.config.rates.currency,
            label=options.label,
            time_limit=options.time_limit,
            greeting=options.greeting,
            confirm=options.confirm,
            confirm_timeout=options.confirm_timeout,
            announce=options.announce,
            callback_of=options.callback_of,
            party_a_name=party_a.name,
            party_b_name=party_b.name,
        )
        # The record exists before the request, so it counts against max_concurrent_calls
        # and an early callback (Twilio may call back before the response) finds it.
        self._records[call_id] = record
        self._active[call_id] = record
        try:
            info = await self.api.create_call(
                NewCall(
                    to=party_a.number.e164,
                    from_=self.config.phone_number.e164,
                    url=self.url(URL_ANSWER, call_id=call_id),
                    status_callback=self.url(URL_STATUS, call_id=call_id, leg="a"),
                    status_callback_events=twiml.LEG_STATUS_EVENTS,
                    timeout=self.config.ring_timeout,
                    time_limit=self.conference.leg_cap(record)
                    if record.conference
                    else options.time_limit + self.config.ring_timeout + LEG_A_TIME_LIMIT_MARGIN,
                )
            )
        except TwilioApiError:
            del self._records[call_id]
            del self._active[call_id]
            raise
        if record.legs["a"].sid is None:
            record.legs["a"].sid = info.sid
        self._roll_month()
        self._totals.calls += 1
        self._trim_log()
        _LOGGER.info(
            "Call %s placed: %s -> %s", call_id, party_a.number.masked, party_b.number.masked
        )
        self.fire(EVENT_CALL_STARTED, started_event(record, self.mask))
        # By then leg A has been answered or has ended: if no callback said which, ask.
        self._schedule_reconcile(record, float(self.config.ring_timeout + RECONCILE_AFTER_RING))
        self._changed()
        return record

    def _trim_log(self) -> None:
        """Keep at most call_log_size records; active calls are never dropped."""
        excess = len(self._records) - self.config.call_log_size
        if excess <= 0:
            return
        for call_id in [c for c, r in self._records.items() if not r.active][:excess]:
            del self._records[call_id]

    # ------------------------------------------------------------------ webhooks

    def answer(self, record: CallRecord, leg: LegName, event: CallAnswered) -> str:
        """TwiML for a party who answered: bridge mode dials B from A's call."""
        if leg == "b" and not record.conference:
            return twiml.hangup()  # bridge mode never calls B with a URL of its own
        webhook_reached(self.hass)
        changes = record.mark_answered(leg, event.call_sid, dt_util.utcnow())
        self._apply(record, changes)
        if record.awaits_confirmation(leg):
            return self._ask_to_confirm(record, leg)
        return self._go_on(record, leg, greet=True)

    def _go_on(self, record: CallRecord, leg: LegName, *, greet: bool) -> str:
        """TwiML for a party who may go on: A gets B dialed; in a conference, the room."""
        if record.conference:
            return self.conference.answer(record, leg, greet=greet)
        needs_whisper = record.confirm.requires("b") or record.announce
        return twiml.bridge_answer(
            party_b=record.party_b,
            caller_id=self.config.phone_number.e164,
            ring_timeout=self.config.ring_timeout,
            time_limit=record.time_limit or self.config.time_limit,
            dial_done_url=self.url(URL_DIAL_DONE, call_id=record.call_id),
            leg_b_status_url=self.url(URL_STATUS, call_id=record.call_id, leg="b"),
            greeting=record.greeting if greet else None,
            language=self.config.language,
            whisper_url=self.url(URL_WHISPER, call_id=record.call_id) if needs_whisper else None,
        )

    def _ask_to_confirm(self, record: CallRecord, leg: LegName) -> str:
        """Say who calls and why (A: the greeting; B: the announcement), then ask for 1."""
        language = self.config.language
        context = record.greeting if leg == "a" else record.announce or default_announce(language)
        return twiml.confirm_gather(
            texts=[context, confirm_prompt(language)],
            gather_url=self.url(URL_GATHER, call_id=record.call_id, leg=leg),
            timeout=record.confirm_timeout or self.config.confirm_timeout,
            goodbye=not_confirmed_goodbye(language),
            language=language,
        )

    def whisper(self, record: CallRecord, event: CallAnswered) -> str:
        """TwiML run on B's leg before the bridge: the call's context, and the question."""
        if not record.active:
            return twiml.hangup()
        self._apply(record, record.mark_answered("b", event.call_sid, dt_util.utcnow()))
        if record.awaits_confirmation("b"):
            return self._ask_to_confirm(record, "b")
        return twiml.whisper(message=record.announce, language=self.config.language)

    def gathered(self, record: CallRecord, leg: LegName, event: DigitsGathered) -> str:
        """The key a party pressed: 1 lets the call go on; anything else ends this leg."""
        language = self.config.language
        if not record.active:
            return twiml.hangup()
        if event.digits != CONFIRM_KEY:
            # A wrong key is no confirmation: the leg ends; the record finishes from the
            # callbacks as for a voicemail.
            return twiml.dial_done(message=not_confirmed_goodbye(language), language=language)
        self._apply(record, record.confirm_leg(leg, event.call_sid, dt_util.utcnow()))
        if leg == "b" and not record.conference:
            return twiml.proceed()  # the whisper ends: Twilio bridges B to A
        return self._go_on(record, leg, greet=False)

    def dial_done(self, record: CallRecord, event: DialFinished) -> str:
        """TwiML for the <Dial action>: hang leg A up at once so it stops billing."""
        if record.conference:
            return twiml.hangup()  # the room closed: this party's leg ends with it
        changes = record.apply_dial_result(
            status=event.status,
            bridged=event.bridged,
            duration=event.duration,
            dial_call_sid=event.dial_call_sid,
            at=dt_util.utcnow(),
        )
        self._apply(record, changes)
        if record.active:
            # Leg A's final callback should follow our <Hangup/>; if it never does, ask.
            self._schedule_reconcile(record, RECONCILE_AFTER_DIAL)
        return twiml.dial_done(
            message=self._dial_message(record, event), language=self.config.language
        )

    def _dial_message(self, record: CallRecord, event: DialFinished) -> str | None:
        """What A hears when the <Dial> is over: nothing after a talk."""
        if event.bridged:
            return None
        language = self.config.language
        if record.confirm.requires("b") and event.status in ("completed", "answered"):
            return unavailable_text(language)  # B answered but did not press 1
        return unreachable_text(language)

    def leg_status(self, record: CallRecord, leg: LegName, event: LegStatusChanged) -> None:
        """Apply one status callback of leg A or B."""
        changes = record.apply_status(
            leg,
            call_sid=event.call_sid,
            status=event.status,
            sequence=event.sequence,
            at=event.at,
            call_duration=event.call_duration,
            sip_code=event.sip_code,
        )
        self._apply(record, changes)

    def conference_event(self, record: CallRecord, event: ConferenceChanged) -> None:
        """Apply one conference status callback."""
        changes = record.apply_conference_event(
            event.kind,
            conference_sid=event.conference_sid,
            call_sid=event.call_sid,
            at=event.at,
        )
        self._apply(record, changes)

    def recover(self, record: CallRecord) -> None:
        """A webhook of this call could not be processed: ask Twilio soon instead."""
        if record.active:
            self._schedule_reconcile(record, RECONCILE_AFTER_DIAL)

    # ------------------------------------------------------------------ record changes

    def _apply(self, record: CallRecord, changes: list[Change]) -> None:
        if not changes:
            return
        for change in changes:
            if change.kind == "progress":
                self.hass.bus.async_fire(
                    EVENT_CALL_PROGRESS,
                    {"call_id": record.call_id, "leg": change.leg, "status": change.status},
                )
            elif change.kind == "connected":
                _LOGGER.debug("Call %s connected", record.call_id)
                self.fire(EVENT_CALL_CONNECTED, connected_event(record))
            elif change.kind == "ended":
                self._ended(record)
        if record.conference:
            self.conference.after_changes(record, changes)
        if record.active and any(record.legs[name].ended for name in LEGS):
            # One leg is over; if the other's last callback is lost, Twilio will tell us.
            self._schedule_reconcile(record, RECONCILE_AFTER_DIAL)
        # Entities show active calls, the last finished call and totals: progress within a
        # call changes none of them, so only the end of a call updates them.
        self._changed(notify=any(change.kind == "ended" for change in changes))

    def _ended(self, record: CallRecord) -> None:
        self._active.pop(record.call_id, None)
        record.cost = record.estimate_cost(self.config.rates)
        self._roll_month()
        self._totals.talk_seconds += record.duration or 0
        self._totals.cost += record.cost
        self.timers.cancel(record.call_id, "reconcile")
        _LOGGER.info(
            "Call %s ended: %s, %s s talk", record.call_id, record.outcome, record.duration
        )
        self.fire(EVENT_CALL_ENDED, ended_event(record, self.mask))
        self._schedule_price(record, 0)

    def fire(self, event_type: str, data: dict[str, Any]) -> None:
        """Fire a call event; its entity_id lets entity-filtered logbooks show it."""
        entity_id = logbook_entity_id(self.hass, self.config.account_sid, event_type)
        self.hass.bus.async_fire(event_type, {**data, "entity_id": entity_id})

    def _changed(self, *, notify: bool = True) -> None:
        """Save soon (coalesced), and refresh the entities if they may show something new."""
        self._store.schedule_save(self._records.values(), self._totals)
        if notify:
            async_dispatcher_send(self.hass, SIGNAL_UPDATED)

    # ------------------------------------------------------------------ timers

    def _schedule_reconcile(self, record: CallRecord, delay: float) -> None:
        self.timers.later(record.call_id, "reconcile", delay, lambda: self.async_reconcile(record))

    def _schedule_price(self, record: CallRecord, attempt: int) -> None:
        if attempt >= len(PRICE_RETRY_DELAYS):
            return
        delay = PRICE_RETRY_DELAYS[attempt]

        async def fetch() -> None:
            await self._async_fetch_prices(record, attempt)

        if delay == 0:
            self.timers.now(record.call_id, "price", fetch)
        else:
            self.timers.later(record.call_id, "price", delay, fetch)

    # ------------------------------------------------------------------ Twilio's truth

    async def _async_fetch_prices(self, record: CallRecord, attempt: int) -> None:
        prices: dict[LegName, Decimal | None] = {}
        try:
            for name in LEGS:
                sid = record.legs[name].sid
                if sid is None:
                    continue
                info = await self.api.fetch_call(sid)
                if info.price is not None and info.price_unit not in (None, record.currency):
                    # Adding a USD price to JPY totals would be wrong: keep the estimate.
                    _LOGGER.warning(
                        "Twilio bills this account in %s but rates.currency is %s: costs stay "
                        "estimated; set rates.currency to %s",
                        info.price_unit,
                        record.currency,
                        info.price_unit,
                    )
                    return
                prices[name] = info.price
        except TwilioApiError as err:
            _LOGGER.debug("Price of call %s not fetched yet: %s", record.call_id, err)
        before = record.cost or Decimal(0)
        if record.apply_prices(prices):
            self._roll_month()
            if month_key(dt_util.as_local(record.created_at)) == self._totals.key:
                self._totals.cost += (record.cost or Decimal(0)) - before
            self._changed()
            return
        self._schedule_price(record, attempt + 1)

    async def async_reconcile(self, record: CallRecord) -> None:
        """Ask Twilio about a call whose callbacks stopped coming, and apply the answer."""
        if not record.active:
            return
        try:
            for name in LEGS:
                sid = record.legs[name].sid
                if sid is not None and not record.legs[name].ended:
                    await self._async_reconcile_leg(record, name, sid)
            leg_a = record.legs["a"]
            if record.active and leg_a.ended and leg_a.sid and record.legs["b"].sid is None:
                children = await self.api.list_children(leg_a.sid)
                for info in children[:1]:
                    self._apply(record, self._from_resource(record, "b", info))
                if record.active and not children:
                    # Twilio never dialed B: nothing more will come.
                    await self._async_finish_undialed(record)
        except TwilioApiError as err:
            _LOGGER.warning("Could not reconcile call %s: %s", record.call_id, err)
        if record.active:
            self._schedule_reconcile(record, RECONCILE_RETRY)

    async def _async_reconcile_leg(self, record: CallRecord, leg: LegName, sid: str) -> None:
        try:
            info = await self.api.fetch_call(sid)
        except TwilioApiError as err:
            if err.code != TWILIO_NOT_FOUND:
                raise
            # Twilio has no such call (another account, or a log restored elsewhere): it
            # will never end by itself, and must not count as active for good.
            _LOGGER.warning("Call %s: Twilio knows no leg %s; it is closed", record.call_id, leg)
            changes = record.apply_status(
                leg, call_sid=sid, status="failed", sequence=None, at=dt_util.utcnow()
            )
            self._apply(record, changes)
            return
        self._apply(record, self._from_resource(record, leg, info))

    async def _async_finish_undialed(self, record: CallRecord) -> None:
        """Close a call that never reached B: maybe because Twilio could not reach us."""
        failure = await async_answer_failure(
            self.api, record, self.url(URL_ANSWER, call_id=record.call_id)
        )
        if failure is None:
            self._apply(record, record.finish(dt_util.utcnow()))
            return
        report_unreachable(self.hass, record.call_id, failure)
        self._apply(record, record.finish_unreachable(dt_util.utcnow()))

    @staticmethod
    def _from_resource(record: CallRecord, leg: LegName, info: CallInfo) -> list[Change]:
        return record.apply_status(
            leg,
            call_sid=info.sid,
            status=info.status,
            sequence=None,
            at=dt_util.utcnow(),
            call_duration=info.duration,
        )

    # ------------------------------------------------------------------ hang up

    async def async_hangup(self, call_id: str | None) -> tuple[list[str], list[str]]:
        """End one active call, or all of them: (call ids asked to end, call ids that failed).

        One call Twilio refuses to end never keeps the others running; for a single call
        the error is raised.
        """
        targets = self.active_records() if call_id is None else [self._records[call_id]]
        ended: list[str] = []
        failed: list[str] = []
        for record in targets:
            leg_a = record.legs["a"]
            if leg_a.sid is None or not record.active:
                continue
            try:
                if record.conference:
                    await self.conference.async_hangup(record)
                else:
                    # Leg B is a <Dial> child of leg A: Twilio ends it with A.
                    await self.api.hangup(leg_a.sid, ringing=leg_a.status in RINGING_STATUSES)
            except TwilioApiError as err:
                if call_id is not None:
                    raise
                _LOGGER.warning("Call %s not hung up: %s", record.call_id, err)
                failed.append(record.call_id)
                self._schedule_reconcile(record, 0)  # what does Twilio say of it?
                continue
            ended.append(record.call_id)
        return ended, failed

    async def async_extend(self, record: CallRecord, seconds: int) -> int:
        """Move a conference call's time limit; returns the new limit in seconds."""
        new_limit = await self.conference.async_extend(record, seconds)
        self._changed()
        return new_limit
