"""Filter values in the collection's own spelling ("casual" -> "Casual"), read from the store's
facets once and re-read when a value is not known yet."""

from __future__ import annotations

import threading
import time

from indexer.errors import FilterError
from indexer.filters import AnyOf, FilterSpec
from indexer.schema import KEYWORD_FIELDS, PREDICTED_SUFFIX, TAGGED_FIELDS
from indexer.store.protocol import VectorStore

# How long the values read for a field are trusted before an unknown value re-reads them
# (unless the collection's size changed meanwhile).
VALUES_REFRESH_S = 5.0


class KnownValues:
    """Lower-cased -> stored spelling of every value each keyword field has; thread-safe."""

    def __init__(self, store: VectorStore) -> None:
        self.store = store
        self._values: dict[str, dict[str, str]] = {}
        self._values_at: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def of(self, name: str, refresh: bool = False) -> dict[str, str]:
        """Lower-cased -> stored spelling of every value a keyword payload field has.

        ``refresh`` (a value not seen yet: it may have been ingested since) re-reads them when
        the collection's size changed or VALUES_REFRESH_S passed, so a stream of invalid values
        costs a count each, not a facet count over the collection under this lock."""
        with self._lock:
            if refresh and name in self._values:
                read_at, size = self._values_at[name]
                refresh = time.monotonic() - read_at >= VALUES_REFRESH_S or self.store.count() != size
            if refresh or name not in self._values:
                size = self.store.count()
                counts = self.store.facets(name, FilterSpec(), limit=10_000)
                self._values[name] = {str(v).casefold(): str(v) for v in counts}
                self._values_at[name] = (time.monotonic(), size)
            return self._values[name]

    def _accepted(self, name: str, spec: FilterSpec, refresh: bool = False) -> dict[str, str]:
        known = dict(self.of(name, refresh))
        if spec.include_predicted and name in TAGGED_FIELDS:
            # catalog spellings win over predicted ones for the same word
            known = {**self.of(f"{name}{PREDICTED_SUFFIX}", refresh), **known}
        return known

    def canonical(self, spec: FilterSpec) -> FilterSpec:
        """Map keyword values to the collection's spelling.

        Raises:
            FilterError: a value the field never takes, naming the values it does take.
        """
        self._one_currency(spec)
        out = spec
        for name, cond in spec.conditions:
            if name not in KEYWORD_FIELDS or not isinstance(cond, AnyOf):
                continue
            values = []
            for value in cond.values:
                key = str(value).casefold()
                known = self._accepted(name, spec)
                if key not in known:
                    # it may have been ingested since the values were read
                    known = self._accepted(name, spec, refresh=True)
                if key not in known:
                    valid = ", ".join(sorted(known.values())[:60]) or "none yet"
                    raise FilterError(f"no product has {name} {value!r}; valid values: {valid}")
                values.append(known[key])
            out = out.with_condition(name, AnyOf(tuple(dict.fromkeys(values))))
        return out

    def _one_currency(self, spec: FilterSpec) -> None:
        """A price range means nothing across currencies: with several in the collection, a
        price filter must name one.

        Raises:
            FilterError: naming the currencies there are.
        """
        fields = spec.fields()
        if "price" not in fields or "currency" in fields:
            return
        currencies = sorted(self.of("currency").values())
        if len(currencies) > 1:
            raise FilterError(
                f"prices are in several currencies ({', '.join(currencies)}); add a currency "
                f"filter, e.g. {{\"currency\": \"{currencies[0]}\"}}, to filter by price"
            )
