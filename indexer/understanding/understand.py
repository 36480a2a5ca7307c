"""``understand(text, vocabulary)``: what a shopper's query asks for, in catalog terms."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from indexer.understanding.price import PriceCondition, parse_price
from indexer.understanding.text import Token, stem, tokens
from indexer.understanding.vocabulary import Kind, Meaning, Vocabulary


@dataclass(frozen=True)
class Attribute:
    """One understood attribute: ``field`` (a payload field, or "title" for a material) should
    hold one of ``values``; ``words`` are the query words it came from; ``products`` is how
    many catalog products carry it (0: "no earrings in this catalog")."""

    kind: Kind
    field: str
    values: tuple[str, ...]
    words: tuple[str, ...]
    products: int
    broader: tuple[tuple[str, tuple[str, ...]], ...] = ()  # a type's levels above (see Vocabulary)
    applied: bool = False

    def explain(self) -> str:
        """A one-line reason for a hit: "colour=White from 'white'"."""
        return f"{self.field}={'/'.join(self.values)} from '{' '.join(self.words)}'"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "field": self.field, "values": list(self.values),
                               "words": list(self.words), "products": self.products,
                               "applied": self.applied}
        if self.broader:
            out["broader"] = {field: list(values) for field, values in self.broader}
        return out


@dataclass(frozen=True)
class Correction:
    """A query word taken for a typo, and the vocabulary word it was read as."""

    word: str
    corrected: str


@dataclass(frozen=True)
class Understanding:
    """What a query asks for. ``corrected_text`` is the query as read when a word was taken
    for a typo ("showing results for ..."); ``free_words`` are the words left over (stopwords
    dropped), for the text search to use as they are."""

    text: str
    attributes: tuple[Attribute, ...]
    price: PriceCondition | None
    corrections: tuple[Correction, ...]
    corrected_text: str | None
    free_words: tuple[str, ...]

    def attribute(self, kind: Kind) -> Attribute | None:
        """The first understood attribute of a kind, or None."""
        return next((a for a in self.attributes if a.kind == kind), None)

    def with_applied(self, fields: Iterable[str] = (), price: bool = False) -> Understanding:
        """A copy whose attributes on ``fields`` (and the price, if ``price``) are marked as
        applied to the search; the caller decides which it could apply."""
        chosen = set(fields)
        return replace(
            self,
            attributes=tuple(replace(a, applied=a.field in chosen) for a in self.attributes),
            price=replace(self.price, applied=price) if self.price is not None else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The ``understood`` block of a search response."""
        return {
            "attributes": [a.to_json() for a in self.attributes],
            "price": self.price.to_json() if self.price is not None else None,
            "corrections": [{"word": c.word, "corrected": c.corrected} for c in self.corrections],
            "corrected_text": self.corrected_text,
            "free_words": list(self.free_words),
        }


def understand(text: str, vocabulary: Vocabulary) -> Understanding:
    """Recognise the attributes, price condition and typos of a query.

    Phrases are matched longest first, left to right, so a colour word inside a longer name
    stays part of it ("red tape shoes" is the brand Red Tape, "navy blue" is one colour).

    Raises:
        TypeError: ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"the query must be a string, got {type(text).__name__}")
    price, spans = parse_price(text)
    words = [t for t in tokens(text) if not any(s <= t.start < e for s, e in spans)]
    words, corrections = _correct(words, vocabulary)
    found: list[tuple[Meaning, tuple[str, ...]]] = []
    free: list[str] = []
    i = 0
    while i < len(words):
        meaning, length = _match(words, i, vocabulary)
        if meaning is None:
            if words[i].stem not in vocabulary.stopwords:
                free.append(words[i].norm)
            i += 1
            continue
        found.append((meaning, tuple(t.surface for t in words[i : i + length])))
        i += length
    return Understanding(
        text=text,
        attributes=_attributes(found, vocabulary),
        price=price,
        corrections=tuple(Correction(old.surface, new.norm) for old, new in corrections),
        corrected_text=_spliced(text, corrections) if corrections else None,
        free_words=tuple(free),
    )


def _correct(words: list[Token], vocabulary: Vocabulary) -> tuple[list[Token], list[tuple[Token, Token]]]:
    """Read an unknown word as the vocabulary word one or two edits away, if there is one.
    Known words (phrase words, stopwords, title words) and words with digits stay as typed."""
    out, changes = [], []
    for word in words:
        if word.stem in vocabulary.known or any(c.isdigit() for c in word.norm):
            out.append(word)
            continue
        corrected = vocabulary.typos.correct(word.norm)
        if corrected is None:
            out.append(word)
            continue
        new = Token(word.surface, word.start, word.end, corrected, stem(corrected))
        out.append(new)
        changes.append((word, new))
    return out, changes


def _match(words: list[Token], i: int, vocabulary: Vocabulary) -> tuple[Meaning | None, int]:
    """The longest phrase starting at word ``i``, and how many words it spans."""
    phrases = vocabulary.phrases
    for length in range(min(vocabulary.longest_phrase, len(words) - i), 0, -1):
        meaning = phrases.get(tuple(t.stem for t in words[i : i + length]))
        if meaning is not None:
            return meaning, length
        if length == 2:  # two words typed apart that the index has as one ("t shirt")
            meaning = phrases.get((stem(words[i].norm + words[i + 1].norm),))
            if meaning is not None:
                return meaning, 2
    return None, 0


def _attributes(
    found: list[tuple[Meaning, tuple[str, ...]]], vocabulary: Vocabulary
) -> tuple[Attribute, ...]:
    """One attribute per (kind, field), in query order; repeated ones pool their values
    ("black and white shirt": colour Black or White)."""
    pooled: dict[tuple[Kind, str], tuple[list[str], list[str]]] = {}
    for meaning, words in found:
        values, typed = pooled.setdefault((meaning.kind, meaning.field), ([], []))
        values.extend(v for v in meaning.values if v not in values)
        typed.extend(words)
    out = []
    for (kind, field), (values, typed) in pooled.items():
        products = vocabulary.count("material" if kind == "material" else field, values)
        broader = vocabulary.broader(field, values) if kind == "type" else ()
        out.append(Attribute(kind, field, tuple(values), tuple(typed), products, broader))
    return tuple(out)


def _spliced(text: str, corrections: list[tuple[Token, Token]]) -> str:
    """The query with each corrected word replaced in place, the rest as typed."""
    out, last = [], 0
    for old, new in corrections:
        out += [text[last : old.start], new.norm]
        last = old.start + len(old.surface)
    out.append(text[last:])
    return "".join(out)
