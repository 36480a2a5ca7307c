"""The typo index on its own: which misspellings it reads as which word, and which it leaves."""

from __future__ import annotations

from indexer.understanding.text import TypoIndex, consonants

WORDS = ["sandals", "jumper", "heels", "belt", "watch", "pant", "rose", "slipper"]


def test_consonants_drop_vowels_and_repeats() -> None:
    assert consonants("sandles") == consonants("sandals") == "sndls"
    assert consonants("slipper") == "slpr"


def test_a_vowel_misspelling_two_edits_away_is_corrected() -> None:
    index = TypoIndex(WORDS)
    assert index.correct("sandles") == "sandals"
    assert index.correct("jumpar") == "jumper"


def test_two_edits_need_agreeing_consonants_and_length() -> None:
    index = TypoIndex(WORDS)
    # same consonants but under six letters, or another length: other real words
    assert index.correct("holes") is None
    assert index.correct("built") is None
    assert index.correct("point") is None
    # six letters, same length, but the consonants differ
    assert index.correct("jumbar") is None  # "jumper" with a consonant and a vowel off


def test_a_word_within_the_budget_beats_a_vowel_misspelling() -> None:
    # "sandels" is one edit from "sandeals" and two (vowels only) from "sandals"
    index = TypoIndex(["sandals", "sandeals"])
    assert index.correct("sandels") == "sandeals"


def test_short_words_keep_one_edit() -> None:
    index = TypoIndex(WORDS)
    assert index.correct("wach") == "watch"
    assert index.correct("wich") is None  # two edits from "watch", four letters
