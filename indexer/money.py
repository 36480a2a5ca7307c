"""Prices as feeds write them: an amount in either decimal convention and an ISO 4217 currency.

    "1,299.00 USD" -> 1299.00 USD     "1.299,00 EUR" -> 1299.00 EUR
    "9.12 NGN"     -> 9.12 NGN        "₹1,499"       -> 1499 INR
    "15,50 EUR"    -> 15.50 EUR       "29.99"        -> 29.99 (no currency)

The separator that comes last is the decimal point when both appear; a lone separator
followed by exactly three digits groups thousands ("1,299", "1.299"), any other lone
separator is the decimal point ("15,50", "9.12").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "₹": "INR", "¥": "JPY", "₦": "NGN",
           "₩": "KRW", "₺": "TRY", "₽": "RUB", "R$": "BRL", "C$": "CAD", "A$": "AUD", "zł": "PLN"}
_CODE = re.compile(r"\b([A-Za-z]{3})\b")
_NUMBER = re.compile(r"[0-9][0-9.,' \u00a0\u202f]*")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None

    def as_float(self) -> float:
        return float(self.amount)


def _amount(digits: str) -> Decimal:
    text = re.sub(r"['\s\u00a0\u202f]", "", digits).rstrip(".,")
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal_sep == "." else "."
        text = text.replace(thousands, "").replace(decimal_sep, ".")
    elif dots + commas:
        sep = "." if dots else ","
        head, _, tail = text.rpartition(sep)
        grouping = (dots + commas) > 1 or len(tail) == 3  # "1,299" "1.299.000" "1,49,999"
        text = text.replace(sep, "") if grouping else f"{head}.{tail}"
    return Decimal(text)


def parse_money(value: object) -> Money | None:
    """An amount with its currency (None where the text names none); None for an empty value.

    Raises:
        ValueError: no number, a negative or unreadable one, or an unknown currency word.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"price {value!r} is not a number")
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
        currency = None
    else:
        text = str(value).strip()
        if not text:
            return None
        number = _NUMBER.search(text)
        if number is None:
            raise ValueError(f"price {value!r} is not a number")
        if text[: number.start()].rstrip().endswith("-"):
            raise ValueError(f"price {value!r} is negative")
        rest = (text[: number.start()] + " " + text[number.end():]).strip()
        currency = _currency(rest, value)
        try:
            amount = _amount(number.group(0))
        except InvalidOperation:
            raise ValueError(f"price {value!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"price {value!r} must be a finite, non-negative number")
    return Money(amount.quantize(Decimal("0.01")) if amount.as_tuple().exponent != 0 else amount, currency)


def _currency(rest: str, value: object) -> str | None:
    if not rest:
        return None
    code = _CODE.search(rest)
    if code is not None:
        return code.group(1).upper()
    for symbol in sorted(SYMBOLS, key=len, reverse=True):
        if symbol in rest:
            return SYMBOLS[symbol]
    raise ValueError(f"price {value!r} names no currency this reads (an ISO 4217 code or a symbol)")
