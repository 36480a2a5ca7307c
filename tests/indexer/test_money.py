"""Prices with currencies: both decimal conventions, symbols, sale prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indexer.money import parse_money
from workers.feeds import parse_merchant_center, prices


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("1,299.00 USD", "1299.00", "USD"),
        ("1.299,00 EUR", "1299.00", "EUR"),
        ("9.12 NGN", "9.12", "NGN"),
        ("₹1,499", "1499", "INR"),
        ("15,50 EUR", "15.50", "EUR"),
        ("USD 12", "12", "USD"),
        ("$5.5", "5.50", "USD"),
        ("1,49,999 INR", "149999", "INR"),
        ("29.99", "29.99", None),
    ],
)
def test_amounts_and_currencies(text: str, amount: str, currency: str | None) -> None:
    money = parse_money(text)
    assert money is not None and (money.amount, money.currency) == (Decimal(amount), currency)


@pytest.mark.parametrize(("text", "reason"), [("free", "not a number"), ("-3 USD", "negative"),
                                              ("12 ZZZZ", "names no currency")])
def test_unreadable_prices_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_money(text)


def test_sale_price_is_what_a_shopper_pays_and_the_list_price_is_kept() -> None:
    assert prices("140.00 USD", "99.00 USD") == {
        "price": 99.0, "currency": "USD", "list_price": 140.0, "sale_price": 99.0}
    assert prices("140.00 USD", "") == {"price": 140.0, "currency": "USD", "list_price": None,
                                        "sale_price": None}
    with pytest.raises(ValueError, match="different currencies"):
        prices("10 USD", "9 EUR")


def test_a_merchant_center_row_keeps_thousands_and_currency() -> None:
    feed = parse_merchant_center(
        "id\ttitle\timage_link\tprice\tsale_price\n"
        "C1\tCoat\thttps://cdn.example/c.jpg\t1,299.00 USD\t999.00 USD\n"
        "C2\tMantel\thttps://cdn.example/m.jpg\t1.299,00 EUR\t\n"
    )
    coat, mantel = feed.products
    assert (coat.price, coat.list_price, coat.sale_price, coat.currency) == (999.0, 1299.0, 999.0, "USD")
    assert (mantel.price, mantel.currency, mantel.list_price) == (1299.0, "EUR", None)
