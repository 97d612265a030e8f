"""The printed report: one detail block per part, then one summary table with the targets."""

from __future__ import annotations

import math
from typing import Any

from . import costs

WEBHOOK_RATIO_TARGET = 3.0
WEBHOOK_P99_TARGET_MS = 20.0
MEMORY_TARGET_MB = 5.0
SIMULATOR_TARGET = 200.0
ANSWER_P99_TARGET_MS = 1000.0  # Twilio waits 15 s; a Pi-class budget should answer in 1 s


def _f(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+,.0f}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _webhook(results: dict[str, Any], summary: list[tuple[str, str, str, str]]) -> None:
    part = results["webhook"]
    print("\n1. Signed leg-status webhook, duplicate `ringing` callback of a real call")
    print(
        f"   call {part['call_id']}, {part['params']} form fields; record unchanged after "
        f"the load: {part['record_unchanged']} (status {part['record_status']}, "
        f"{part['progress_events_during_load']} progress events fired)"
    )
    print(
        f"   {'':8} | {'open loop at 200 req/s, from schedule':^38} | {'from send':^15} | "
        f"{'':10} | {'closed loop, 8 connections':^44} |"
    )
    print(
        f"   {'server':8} | {'req/s':>6} {'ok':>5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>8} | "
        f"{'p50 ms':>7} {'p99 ms':>7} | {'CPU µs/req':>10} | {'req/s':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'CPU µs/req':>10} {'CPU s':>9} | {'other CPU s':>11}"
    )
    names = {"bare": "bare", "signed": "+sig", "ha": "HA"}
    for key, label in names.items():
        o, c = part[key]["open"], part[key]["closed"]
        ok = o["statuses"].get("204", 0)
        other = o.get("other_cpu_s", 0.0) + c.get("other_cpu_s", 0.0)
        print(
            f"   {label:8} | {_f(o['throughput_rps'], 1):>6} {ok:>5} {_f(o['p50_ms']):>7} "
            f"{_f(o['p99_ms']):>7} {_f(o['max_ms']):>8} | {_f(o.get('sent_p50_ms')):>7} "
            f"{_f(o.get('sent_p99_ms')):>7} | {_f(o['server_cpu_us_per_request'], 0):>10} | "
            f"{_f(c['throughput_rps'], 0):>7} {_f(c['p50_ms']):>7} {_f(c['p99_ms']):>7} "
            f"{_f(c['server_cpu_us_per_request'], 0):>10} {_f(c['server_cpu_s'], 2):>9} | "
            f"{_f(other, 1):>11}"
        )
    lag = part["ha"]["open"].get("send_lag_p50_ms")
    print(
        f"   (open loop: the generator's own timer lag is {_f(lag)} ms at p50; "
        "'from send' leaves it out)"
    )
    ha, bare, signed = part["ha"], part["bare"], part["signed"]
    ratio = ha["open"]["sent_p50_ms"] / bare["open"]["sent_p50_ms"]
    ratio_signed = ha["open"]["sent_p50_ms"] / signed["open"]["sent_p50_ms"]
    ratio_scheduled = ha["open"]["p50_ms"] / bare["open"]["p50_ms"]
    cpu_ratio = (
        ha["closed"]["server_cpu_us_per_request"] / bare["closed"]["server_cpu_us_per_request"]
    )
    print(
        f"   HA/bare at p50 (open loop, from send): {ratio:.2f}x (from schedule "
        f"{ratio_scheduled:.2f}x); HA/signed: {ratio_signed:.2f}x; server CPU per request "
        f"HA/bare (closed loop): {cpu_ratio:.2f}x"
    )
    summary.append(
        (
            "webhook p50 HA / bare at 200 req/s",
            f"{ratio:.2f}x",
            "<= 3x",
            _verdict(ratio <= WEBHOOK_RATIO_TARGET),
        )
    )
    summary.append(
        (
            "webhook server CPU per request HA / bare",
            f"{cpu_ratio:.2f}x",
            "(info)",
            "-",
        )
    )
    p99 = ha["open"]["p99_ms"]
    summary.append(
        (
            "webhook p99 through HA at 200 req/s",
            f"{p99:.2f} ms",
            "< 20 ms",
            _verdict(p99 < WEBHOOK_P99_TARGET_MS),
        )
    )
    summary.append(
        (
            "webhook max throughput through HA",
            f"{ha['closed']['throughput_rps']:.0f} req/s",
            "(none)",
            "-",
        )
    )


def _burst(results: dict[str, Any], summary: list[tuple[str, str, str, str]]) -> None:
    part = results["burst"]
    print(f"\n2. Burst of {part['calls']} concurrent V-calls end to end (speed {part['speed']:g})")
    print(
        f"   placed {part['placed']} (refused {sum(part['refused'].values())}), all connects "
        f"answered in {part['connect_phase_s']:.2f} s; last call_ended after "
        f"{part['wall_s']:.2f} s = {part['calls_per_s']:.1f} calls/s"
    )
    print(
        f"   call_ended events {part['ended_events']} / {part['placed']} "
        f"(lost {part['lost_events']}); outcomes {part['outcomes']}; records finished "
        f"{part['records_finished']}, completed {part['records_completed']}, price from the "
        f"simulator {part['records_cost_final']}"
    )
    print(
        f"   hass CPU {part['hass_cpu_s']:.2f} s ({part['hass_cpu_share'] * 100:.0f}% of one "
        f"core, {part['hass_cpu_s'] / max(1, part['placed']) * 1000:.1f} ms per call); "
        f"driver + simulator CPU {part['driver_and_simulator_cpu_s']:.2f} s; "
        f"other load {part.get('other_cpu_s', 0.0):.1f} CPU s"
    )
    summary.append(
        (
            f"burst of {part['calls']}: wall time to last call_ended",
            f"{part['wall_s']:.2f} s",
            "(none)",
            "-",
        )
    )
    summary.append(
        (
            f"burst of {part['calls']}: call_ended events lost",
            str(part["lost_events"]),
            "0",
            _verdict(part["lost_events"] == 0 and part["placed"] == part["calls"]),
        )
    )


def _memory(results: dict[str, Any], summary: list[tuple[str, str, str, str]]) -> None:
    part = results["memory"]
    recorder = "with the recorder" if part.get("recorder", True) else "WITHOUT the recorder"
    print(
        f"\n3. hass RSS while logging {part['calls']} calls (call_log_size 500, default; "
        f"{recorder})"
    )
    print("   " + "  ".join(f"{int(s['calls']):>6}" for s in part["samples"]) + "  calls")
    print("   " + "  ".join(f"{s['rss_mb']:>6.1f}" for s in part["samples"]) + "  MB RSS")
    print(
        "   "
        + "  ".join(f"{s['rss_anon_mb']:>6.1f}" for s in part["samples"])
        + "  MB of it anonymous (RssAnon; the rest is mapped files)"
    )
    print(
        "   "
        + "  ".join(f"{s['db_mb']:>6.1f}" for s in part["samples"])
        + "  MB recorder database on disk"
    )
    print(
        "   "
        + "  ".join(f"{s['gc_objects'] / 1000:>6.0f}" for s in part["samples"])
        + "  thousand live Python objects in hass (after gc.collect())"
    )
    end = part["samples"][-1]
    print(
        f"   at the end: {end['records']} records, {end['manager_timers']} twilio_bridge timers, "
        f"{end['timer_handles']} asyncio timer handles, {end['tasks']} tasks, "
        f"{end['bus_listeners']} bus listeners; over the second half: objects "
        f"{_signed(part['objects_growth_second_half'])}, pymalloc blocks "
        f"{_signed(part['blocks_growth_second_half'])}"
    )
    print(
        f"   {part['calls_per_s']:.1f} calls/s, hass CPU {part['hass_cpu_ms_per_call']:.1f} ms "
        f"per call; call_ended events {part['ended_events']}, failures {part['failures']}; "
        f"kept {part['records_kept']} records ({part['records_completed']} completed, "
        f"{part['records_cost_final']} with Twilio's price); other load "
        f"{part['other_cpu_s']:.1f} CPU s"
    )
    growth = part["growth_second_half_mb"]
    half = part["calls"] // 2
    print(
        f"   least-squares slope over the samples from {half} calls on: "
        f"{_f(part.get('slope_second_half_mb_per_10k'), 1)} MB per 10 000 calls"
    )
    summary.append(
        (
            f"hass RSS growth {half} -> {part['calls']} calls",
            f"{_f(growth, 1)} MB",
            "< 5 MB",
            "-" if growth is None else _verdict(growth < MEMORY_TARGET_MB),
        )
    )


def _simulator(results: dict[str, Any], summary: list[tuple[str, str, str, str]]) -> None:
    part = results["simulator"]
    print("\n4. Simulator alone, manual clock")
    for key, label in (("webhooks", "with webhooks"), ("twiml", "Twiml=, no webhooks")):
        run = part[key]
        print(
            f"   {label:20} {run['calls']} calls ({run['legs_completed']}/{run['legs']} legs "
            f"completed, {run['webhooks']} webhooks, {run['webhooks_failed']} failed) in "
            f"{run['wall_s']:.2f} s = {run['calls_per_s']:.0f} calls/s; simulator CPU "
            f"{run['simulator_cpu_s']:.2f} s, TwiML app {run['app_cpu_s']:.2f} s, other load "
            f"{run['other_cpu_s']:.1f} s"
        )
    rate = part["webhooks"]["calls_per_s"]
    summary.append(
        (
            "simulator calls/s, with webhooks",
            f"{rate:.0f}",
            ">= 200",
            _verdict(rate >= SIMULATOR_TARGET),
        )
    )
    summary.append(
        ("simulator calls/s, Twiml= (no webhooks)", f"{part['twiml']['calls_per_s']:.0f}", "-", "-")
    )


def _throttled(results: dict[str, Any], summary: list[tuple[str, str, str, str]]) -> None:
    part = results["throttled"]
    print(
        f"\n5. {part['calls']} concurrent V-calls, hass held to {part['share']:g} of one CPU "
        f"(speed {part['speed']:g})"
    )
    stats = part["throttle_stats"]
    held = (
        f"throttled in {stats['throttled_periods']} of {stats['periods']} periods, "
        f"{stats['throttled_s']:.1f} s held back"
        if "periods" in stats
        else f"{stats['cycles']} cycles, {stats['stopped_s']:.1f} s stopped"
    )
    print(f"   throttle: {part['throttle']}, {part['throttle_detail']}")
    print(f"   while throttled (from the wait for a quiet machine on): {held}")
    print(
        f"   placed {part['placed']} (refused {sum(part['refused'].values())}), all connects "
        f"answered in {part['connect_phase_s']:.2f} s; last call_ended after "
        f"{part['wall_s']:.2f} s"
    )
    print(
        f"   call_ended events {part['ended_events']} / {part['placed']} (lost "
        f"{part['lost_events']}, duplicated {part['duplicate_events']}); records complete "
        f"{part['records_complete']} / {part['placed']} (outcome completed, talk time, "
        "billed seconds, Twilio's price)"
    )
    print(
        f"   hass CPU {part['hass_cpu_s']:.2f} s ({part['hass_cpu_share'] * 100:.0f}% of one "
        f"core from the first connect to the last call_ended, "
        f"{part['hass_cpu_s'] / max(1, part['placed']) * 1000:.1f} ms per call); other load "
        f"{part.get('other_cpu_s', 0.0):.1f} CPU s"
    )
    print(
        f"   {'webhook':8} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  "
        "(as the simulator timed them)"
    )
    for kind, figures in part["webhooks"].items():
        print(
            f"   {kind:8} {figures['count']:>6} {_f(figures['p50_ms'], 1):>8} "
            f"{_f(figures['p99_ms'], 1):>8} {_f(figures['max_ms'], 1):>8}"
        )
    once = part["at_once"]
    answer_once = once["answer"]
    print(
        f"   then {once['calls']} more calls, all {answer_once['count']} answer webhooks sent "
        f"at once: p50 {_f(answer_once['p50_ms'], 1)} ms, p99 {_f(answer_once['p99_ms'], 1)} "
        f"ms, max {_f(answer_once['max_ms'], 1)} ms; call_ended {once['ended_events']} / "
        f"{once['calls']} (lost {once['lost_events']}, duplicated {once['duplicate_events']}); "
        f"records complete {once['records_complete']} / {once['calls']}"
    )
    print(f"   webhooks failed {part['webhooks_failed']} {part['webhook_errors'] or ''}")
    incomplete = part["placed"] - part["records_complete"]
    incomplete += once["calls"] - once["records_complete"]
    lost = (
        part["lost_events"]
        + part["duplicate_events"]
        + once["lost_events"]
        + once["duplicate_events"]
        + incomplete
    )
    summary.append(
        (
            f"1/4 CPU, {part['calls']}+{once['calls']} calls: events lost/doubled, "
            "records incomplete",
            str(lost),
            "0",
            _verdict(lost == 0 and part["placed"] == part["calls"]),
        )
    )
    answer = part["webhooks"].get("voice", {})
    p99 = answer.get("p99_ms", math.nan)
    summary.append(
        (
            f"1/4 CPU, {part['calls']} calls played: answer webhook p99",
            f"{_f(p99, 0)} ms (p50 {_f(answer.get('p50_ms'), 0)})",
            "< 1000 ms",
            _verdict(p99 < ANSWER_P99_TARGET_MS),
        )
    )
    p99_once = answer_once["p99_ms"]
    summary.append(
        (
            f"1/4 CPU, {once['calls']} answers at once: p99",
            f"{_f(p99_once, 0)} ms (p50 {_f(answer_once['p50_ms'], 0)})",
            "< 1000 ms",
            _verdict(p99_once < ANSWER_P99_TARGET_MS),
        )
    )


def _costs(results: dict[str, Any], summary: list[tuple[str, str, str, str]]) -> None:
    print()
    print("\n".join(costs.report(results["costs"])))
    voicemail = {r["gates"]: r for r in results["costs"]["rows"] if r["case"].startswith("A's")}
    gated = voicemail["both"]
    summary.append(
        (
            "A's voicemail with confirm: both",
            f"{gated['cost']:.1f} (leg A {gated['leg_a_s']} s, B not dialed)",
            "one started minute of leg A",
            "ok" if gated["leg_a_s"] <= 60 and gated["leg_b_s"] is None else "MISSED",
        )
    )


def print_report(results: dict[str, Any]) -> None:
    machine = results["machine"]
    print(
        f"\ntwilio_bridge benchmarks: {machine['nproc']} CPUs ({machine['cpu']}), Python "
        f"{machine['python']}, Home Assistant {machine['homeassistant']}, aiohttp "
        f"{machine['aiohttp']}, twilio {machine['twilio']}"
    )
    print(f"   {results.get('pinning', '')}")
    print(
        f"   machine busy before the run (other processes): "
        f"{results.get('background_load', 0.0) * 100:.0f}%; each part reports the CPU seconds "
        "other processes used while it ran"
    )
    summary: list[tuple[str, str, str, str]] = []
    for key, show in (
        ("webhook", _webhook),
        ("burst", _burst),
        ("memory", _memory),
        ("simulator", _simulator),
        ("throttled", _throttled),
        ("costs", _costs),
    ):
        if key in results:
            show(results, summary)
    print(f"\nSummary (total run {results['total_s']:.0f} s)")
    widths = [
        max(len(row[i]) for row in [("figure", "measured", "target", "verdict"), *summary])
        for i in range(4)
    ]
    for row in [("figure", "measured", "target", "verdict"), *summary]:
        print(
            "   " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        )
