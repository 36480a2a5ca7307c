"""Analytics from events, checked against a generated event log counted by hand."""

from __future__ import annotations

import random

from indexer.merch.analytics import report
from indexer.merch.events import Event, SearchLog

DAY0 = 1_780_000_000.0  # 2026-05-28 20:26 UTC


def generated_log(seed: int = 7) -> tuple[list[SearchLog], list[Event]]:
    rng = random.Random(seed)
    queries = ["red dress", "blue jeans", "white shoes", "gibberish"]
    searches, events = [], []
    for i in range(600):
        q = rng.choice(queries)
        ts = DAY0 + rng.uniform(0, 3 * 86400)
        results = 0 if q == "gibberish" else 20
        searches.append(SearchLog(f"q{i}", q, results, ts, f"s{i % 50}"))
        if results and q != "white shoes":
            for j in range(rng.choice([0, 0, 1, 2])):
                events.append(Event(f"c{i}.{j}", "click", f"p{rng.randrange(10)}", f"s{i % 50}", ts + 5,
                                    f"q{i}", rng.randint(1, 10)))
            if rng.random() < 0.1:
                events.append(Event(f"b{i}", "purchase", "p1", f"s{i % 50}", ts + 60, f"q{i}",
                                    value=round(rng.uniform(10, 90), 2)))
    return searches, events


def test_report_matches_a_hand_count_of_the_generated_log() -> None:
    searches, events = generated_log()
    body = report(searches, events)
    by_q = {e.query_id: [] for e in events}
    for e in events:
        by_q[e.query_id].append(e)
    clicked = sum(1 for s in searches if any(e.type == "click" for e in by_q.get(s.query_id, [])))
    bought = sum(1 for s in searches if any(e.type == "purchase" for e in by_q.get(s.query_id, [])))
    positions = [e.position for e in events if e.type == "click"]
    overall = body["overall"]
    assert overall["searches"] == 600
    assert overall["ctr"] == round(clicked / 600, 6)
    assert overall["conversion"] == round(bought / 600, 6)
    assert overall["avg_click_position"] == round(sum(positions) / len(positions), 4)
    assert overall["revenue"] == round(sum(e.value or 0 for e in events if e.type == "purchase"), 2)
    assert [q["query"] for q in body["no_click_queries"]] == ["white shoes"]
    zero = body["zero_result_queries"]
    assert zero == [{"query": "gibberish", "searches": sum(s.query == "gibberish" for s in searches)}]
    clicks_p = {}
    for e in events:
        if e.type == "click":
            clicks_p[e.product_id] = clicks_p.get(e.product_id, 0) + 1
    assert body["top_products"][0]["clicks"] == max(clicks_p.values())
    assert sum(d["searches"] for d in body["days"]) == 600 and len(body["days"]) in (3, 4)


def test_a_date_range_keeps_only_its_days() -> None:
    searches, events = generated_log()
    first = report(searches, events)["days"][0]
    body = report(searches, events, start=first["day"], end=first["day"])
    assert body["overall"]["searches"] == first["searches"]
    assert body["overall"]["ctr"] == first["ctr"]
    assert [d["day"] for d in body["days"]] == [first["day"]]
