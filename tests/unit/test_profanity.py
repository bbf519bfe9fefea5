"""The profanity check: every listed word is found in context, with look-alike spellings; clean text passes."""

from __future__ import annotations

from importlib.resources import files

import pytest

from chalicelib.reviews.profanity import contains_profanity

LISTED = [
    line for line in files("better_profanity").joinpath("profanity_wordlist.txt").read_text().splitlines() if line
]


def test_every_listed_word_or_phrase_is_found_inside_a_sentence():
    missed = [entry for entry in LISTED if not contains_profanity(f"Honestly, this product is {entry}!")]
    assert missed == []


@pytest.mark.parametrize(
    "text",
    ["sh1t", "a$$", "f*ck", "sh!t", "SHIT!", "b1tch", "what the fuck.", "f-u-c-k", "s.h.i.t.", "@$$hole", "sh!+"],
)
def test_look_alike_spellings_are_found(text):
    assert contains_profanity(f"The zipper is {text}")


@pytest.mark.parametrize(
    "text",
    [
        "Class act, classic fit; the shell is tight and the title suits it.",
        "Assembled in minutes by skilled hands; shipped from Scunthorpe.",
        "Made in the U.S.A., e.g. a well-made, top-notch bag for 4 seasons.",
        "Titan of a bottle: 750 ml, 12 h hot, 24 h cold. 5/5 would buy again!",
        "Comfortable on a full day out; the straps didn't dig in. **** (four stars)",
    ],
)
def test_clean_reviews_pass(text):
    assert not contains_profanity(text)
