"""Business terms: bounded by relevance (property test), every term explained, popularity smoothed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.merch.business import BusinessConfig, Popularity, apply_business, parse_weights, popularity
from indexer.merch.errors import MerchError
from indexer.merch.events import Event
from indexer.schema import Product
from indexer.search.model import Hit

NOW = 1_780_000_000.0


def hit(i: int, score: float) -> Hit:
    return Hit(f"p{i}", score, {"s_text": score}, Product(id=f"p{i}", title=f"t{i}", image="x.jpg"))


@settings(max_examples=300, deadline=None)
@given(rel=st.lists(st.floats(0, 1, allow_nan=False), min_size=2, max_size=40),
       stock=st.lists(st.floats(0, 1000), min_size=40, max_size=40),
       margin=st.lists(st.floats(0, 100), min_size=40, max_size=40),
       clicks=st.lists(st.integers(0, 500), min_size=40, max_size=40),
       w=st.fixed_dictionaries({"popularity": st.floats(0, 1), "stock": st.floats(0, 1),
                                "field:margin": st.floats(0, 1), "recency": st.floats(0, 1)}),
       cap=st.floats(0, 0.5))
def test_business_cannot_lift_a_product_below_the_relevance_floor_to_the_top(
        rel: list[float], stock: list[float], margin: list[float], clicks: list[int],
        w: dict[str, float], cap: float) -> None:
    # The pool arrives ranked by relevance, as the search core hands it over.
    hits = sorted((hit(i, r) for i, r in enumerate(rel)), key=lambda h: -h.score)
    payloads = {f"p{i}": {"stock": stock[i], "margin": margin[i], "year": 2000 + i % 20}
                for i in range(len(rel))}
    pop = Popularity({f"p{i}": float(clicks[i]) for i in range(len(rel))}, {}, {}, 0.05)
    out = apply_business(hits, BusinessConfig(w, cap), payloads, pop, NOW)
    top_rel, spread = max(rel), max(rel) - min(rel)
    floor = top_rel - cap * spread
    winner = rel[int(out[0].id[1:])]
    assert winner >= floor - 1e-9, "a product below the relevance floor reached the top"


def test_every_term_is_in_the_breakdown_and_business_breaks_near_ties() -> None:
    hits = [hit(0, 0.80), hit(1, 0.79), hit(2, 0.10)]
    payloads = {"p0": {"stock": 0}, "p1": {"stock": 50, "rating": 4.5}, "p2": {"stock": 50, "rating": 5.0}}
    out = apply_business(hits, BusinessConfig({"stock": 0.5, "field:rating": 0.5}, 0.1), payloads, None, NOW)
    assert [h.id for h in out] == ["p1", "p0", "p2"]
    shown = out[0].explained().breakdown  # explained when the hit reaches the page
    terms = shown["business"]["terms"]
    assert terms == {"stock": {"weight": 0.5, "value": 1.0}, "field:rating": {"weight": 0.5, "value": 0.9}}
    assert shown["relevance"] == 0.79


def test_one_click_does_not_crown_a_product() -> None:
    # Twenty ordinary products at 5% CTR, one steady favourite at 30%, one product clicked once
    # in its one view (a raw CTR of 100%).
    events = []
    for p, clicks in [*((f"o{j}", 5) for j in range(20)), ("steady", 30)]:
        events += [Event(f"v{p}{i}", "view", p, "s", NOW - 3600) for i in range(100)]
        events += [Event(f"c{p}{i}", "click", p, "s", NOW - 3600) for i in range(clicks)]
    events += [Event("v-once", "view", "once", "s", NOW - 60),
               Event("c-once", "click", "once", "s", NOW - 60)]
    pop = popularity(events, NOW)
    assert pop.score("steady") > 2 * pop.score("once")
    assert pop.score("once") > pop.score("never") > pop.score("o1")


def test_clicks_decay_with_age() -> None:
    old = popularity([Event("a", "click", "p", "s", NOW - 28 * 86400)], NOW, half_life_d=14)
    assert abs(old.clicks["p"] - 0.25) < 1e-9


def test_bad_weights_are_refused() -> None:
    for bad in ({"price": 0.5}, {"popularity": 2}, {"field:": 0.1}, []):
        try:
            parse_weights(bad)
        except MerchError:
            continue
        raise AssertionError(f"{bad} was accepted")
