"""Deciding whether a review goes live at once or waits for the owner. Pure functions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.reviews.profanity import contains_profanity

LINK = re.compile(r"(https?://|www\.|\b[a-z0-9-]+\.(com|net|org|io|shop|store|ru|cn|xyz|info|biz)\b)", re.I)
CONTACT = re.compile(r"([\w.+-]+@[\w-]+\.[\w.]+|\+?\d[\d\s().-]{8,}\d)")
REPEAT = re.compile(r"(.)\1{6,}")


@dataclass(frozen=True)
class Verdict:
    status: str  # "published" | "pending"
    reasons: tuple[str, ...]


def moderate(title: str, body: str, rating: int, *, happy_threshold: int, auto_publish: bool) -> Verdict:
    """Published only when nothing needs a human: the owner sees unhappy reviews first, privately."""
    text = f"{title}\n{body}"
    reasons = []
    if rating < happy_threshold:
        reasons.append("unhappy")
    if not auto_publish:
        reasons.append("auto_publish_off")
    if LINK.search(text):
        reasons.append("contains_link")
    if CONTACT.search(text):
        reasons.append("contains_contact")
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        reasons.append("shouting")
    if REPEAT.search(text):
        reasons.append("repetition")
    if contains_profanity(text):
        reasons.append("profanity")
    return Verdict("pending" if reasons else "published", tuple(reasons))
