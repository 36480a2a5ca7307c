"""Price phrases: "under 50", "below ₹1000", "less than $30", "between 20 and 40", "20-40",
"above 100", "500 rs". A number alone is not a price ("Jealous 21"), nor is "cheap"."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CURRENCIES = {
    "₹": "INR", "rs": "INR", "inr": "INR", "rupee": "INR", "rupees": "INR", "/-": "INR",
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
}
_BEFORE = r"(?:₹|\$|€|£|rs\.?|inr|usd|eur|gbp)"
_AFTER = r"(?:rs\b\.?|inr\b|usd\b|eur\b|gbp\b|rupees?\b|dollars?\b|bucks\b|euros?\b|pounds?\b|/-)"
# An amount: optional currency, the number ("1,000", "19.99"), "k" for thousands, optional
# currency after; {p} names the groups, so that one pattern can hold two amounts.
_AMOUNT = (
    rf"(?:(?P<{{p}}b>{_BEFORE})\s*)?(?P<{{p}}n>\d+(?:[.,]\d+)*)(?P<{{p}}k>\s*k\b)?"
    rf"(?:\s*(?P<{{p}}a>{_AFTER}))?"
)


def _amount(prefix: str) -> str:
    return _AMOUNT.format(p=prefix)


_RANGE = re.compile(
    rf"(?<![\w.])(?:between\s+{_amount('x')}\s*(?:and|to|-|–)\s*{_amount('y')}"
    rf"|(?:from\s+)?{_amount('u')}\s*(?:-|–|to)\s*{_amount('v')})(?![\w])",
    re.IGNORECASE,
)
_MAX = re.compile(
    rf"(?<![\w.])(?:under|below|less\s+than|cheaper\s+than|up\s*to|within|max(?:imum)?|at\s+most"
    rf"|not\s+more\s+than|budget(?:\s+of)?|<=?)\s*{_amount('x')}(?![\w])",
    re.IGNORECASE,
)
_MIN = re.compile(
    rf"(?<![\w.])(?:over|above|more\s+than|at\s+least|min(?:imum)?|from|starting\s+(?:at|from)|>=?)"
    rf"\s*{_amount('x')}(?![\w])",
    re.IGNORECASE,
)
# An amount with a currency and no qualifier ("shoes 500 rs", "$30 tee") reads as a budget.
_BARE = re.compile(
    rf"(?<![\w.])(?:(?P<xb>{_BEFORE})\s*(?P<xn>\d+(?:[.,]\d+)*)(?P<xk>\s*k\b)?"
    rf"|(?P<yn>\d+(?:[.,]\d+)*)(?P<yk>\s*k\b)?\s*(?P<ya>{_AFTER}))(?![\w])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PriceCondition:
    """A price range from the query; ``currency`` is an ISO code when the query named one."""

    min: float | None
    max: float | None
    currency: str | None
    words: tuple[str, ...]
    applied: bool = False

    def admits(self, price: float) -> bool:
        """Whether a price satisfies the condition (the bounds are inclusive)."""
        return (self.min is None or price >= self.min) and (self.max is None or price <= self.max)

    def to_json(self) -> dict[str, object]:
        return {"min": self.min, "max": self.max, "currency": self.currency,
                "words": list(self.words), "applied": self.applied}


def _number(match: re.Match[str], prefix: str) -> float | None:
    digits = match.group(f"{prefix}n")
    if digits is None:
        return None
    # "1,000" and "1,000.50": commas group thousands; a lone comma with 1-2 digits after it
    # is a decimal comma ("19,99").
    if "," in digits and "." not in digits and re.fullmatch(r"\d+,\d{1,2}", digits):
        digits = digits.replace(",", ".")
    value = float(digits.replace(",", ""))
    return value * 1000 if match.groupdict().get(f"{prefix}k") else value


def _currency(match: re.Match[str], *prefixes: str) -> str | None:
    for prefix in prefixes:
        for part in ("b", "a"):
            symbol = match.groupdict().get(f"{prefix}{part}")
            if symbol:
                return _CURRENCIES.get(symbol.lower().rstrip("."))
    return None


def parse_price(text: str) -> tuple[PriceCondition | None, list[tuple[int, int]]]:
    """The price condition a text states (or None) and the character spans it took."""
    low: float | None = None
    high: float | None = None
    currency: str | None = None
    spans: list[tuple[int, int]] = []
    for pattern in (_RANGE, _MAX, _MIN, _BARE):
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in spans):
                continue
            lo: float | None
            hi: float | None
            if pattern is _RANGE:
                first, second = ("x", "y") if match.group("xn") else ("u", "v")
                a, b = _number(match, first), _number(match, second)
                if a is None or b is None:
                    continue
                lo, hi = min(a, b), max(a, b)
            elif pattern is _MIN:
                lo, hi = _number(match, "x"), None
            else:
                lo, hi = None, _number(match, "x" if match.group("xn") else "y")
            low = lo if low is None or (lo is not None and lo > low) else low
            high = hi if high is None or (hi is not None and hi < high) else high
            currency = currency or _currency(match, "x", "y", "u", "v")
            spans.append(match.span())
    if not spans:
        return None, []
    words = tuple(w for start, end in sorted(spans) for w in text[start:end].split())
    return PriceCondition(min=low, max=high, currency=currency, words=words), sorted(spans)
