"""Answering reviews, measured and made visible.

Counted as events arrive, on the day counters the report already reads (no call more for a report, whatever the
events): a review counts in `reviews` (and, below the happy threshold when it arrived, not in `happy_reviews`: an
unhappy review is one whose moderation reasons say `unhappy`) on its local day. Its FIRST public reply adds
`answered` (and `answered_unhappy`) and one to the delay's histogram bucket (`reply_h_<edge>`,
`unhappy_reply_h_<edge>`) on the REVIEW's day, in the reply's own transaction, conditioned on the review having no
first reply yet: a second reply, an edit or a racing first one counts nothing again. There is no route that removes
a reply; a reply replaced keeps its first time, and the review stays answered. Imported reviews never counted in
`reviews`, so their replies are not counted either.

The median time to first reply is read from the histogram: the upper edge of the bucket that holds the lower
median (the ceil(n/2)-th shortest delay), in hours. Its resolution is the bucket: 1, 2, 4, 8, 12, 24, 36, 48, 72,
96, 168 (a week), 336, 720 (30 days), 2160 (90 days) hours, and "more": a median in that last bucket reads 2160.

An unhappy review waits for its answer on a marker written in its own transaction, due 24 hours later; the first
reply (or a reject) deletes it. The owner's digest (`send_digests`, the due work) lists every unhappy review that
has waited 24 hours, oldest first, at most once a day per shop (its local day), to the shop's `owner_email`.

The public badge (`show_answer_rate`) reads the shop's figures of its last 90 local days from one item, kept by the
due work (`refresh_due_figures`: after any review arrives, and each day) and after each reply. A review marks the
item due (and adds to its mark) in its own transaction; a refresh reads the mark, then the counters, and moves the
item off "due now" only if the mark is unchanged, so a review that arrives meanwhile is counted by the next run.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib import backoff, clock, errors
from chalicelib.store import aggregates, answers, keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from email.message import EmailMessage

    from chalicelib.budget import Budget
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Operation, Table

EDGES = (1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 168, 336, 720, 2160)  # hours; a last bucket holds the rest
OPEN = "inf"
ANSWERED = "answered"
ANSWERED_UNHAPPY = "answered_unhappy"
HISTOGRAM = "reply_h_"
UNHAPPY_HISTOGRAM = "unhappy_reply_h_"
WAIT = timedelta(hours=24)  # an unhappy review waits this long before the owner hears of it
BADGE_DAYS = 90
DIGEST_LISTED = 20  # reviews a digest lists; the rest are "and N more"
DIGEST_PAGE = 100


def bucket(hours: float) -> str:
    """The histogram bucket of a delay: the first edge it does not pass, or the open last bucket."""
    return next((str(edge) for edge in EDGES if hours <= edge), OPEN)


def reply_counters(unhappy: bool, hours: float) -> aggregates.Deltas:
    """What one review's first reply adds on the review's day."""
    name = bucket(hours)
    deltas: aggregates.Deltas = {ANSWERED: 1, f"{HISTOGRAM}{name}": 1}
    if unhappy:
        deltas[ANSWERED_UNHAPPY] = 1
        deltas[f"{UNHAPPY_HISTOGRAM}{name}"] = 1
    return deltas


def median_hours(counters: dict[str, Decimal], prefix: str = HISTOGRAM) -> int | None:
    """The upper edge (hours) of the bucket holding the lower median delay; None without a reply. The open bucket
    reads as its lower edge (2160: 90 days or more)."""
    counts = [int(counters.get(f"{prefix}{edge}", 0)) for edge in (*EDGES, OPEN)]
    total = sum(counts)
    if not total:
        return None
    wanted = math.ceil(total / 2)
    seen = 0
    for edge, count in zip((*EDGES, EDGES[-1]), counts, strict=True):
        seen += count
        if seen >= wanted:
            return edge
    return EDGES[-1]  # pragma: no cover - the counts add up to total


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(totals: dict[str, Decimal]) -> dict[str, Any]:
    """The answer figures of summed day counters: counts, rates (null for no review) and medians (null for no
    reply). The report, its CSV, the overview and the badge all read them here."""
    reviews = int(totals.get("reviews", 0))
    unhappy = reviews - int(totals.get("happy_reviews", 0))
    answered = int(totals.get(ANSWERED, 0))
    answered_unhappy = int(totals.get(ANSWERED_UNHAPPY, 0))
    return {
        "reviews": reviews,
        "unhappy_reviews": unhappy,
        "answered_reviews": answered,
        "answered_unhappy_reviews": answered_unhappy,
        "reply_rate": _rate(answered, reviews),
        "unhappy_reply_rate": _rate(answered_unhappy, unhappy),
        "reply_hours_median": median_hours(totals, HISTOGRAM),
        "unhappy_reply_hours_median": median_hours(totals, UNHAPPY_HISTOGRAM),
    }


def counted(review: dict[str, Any]) -> bool:
    """Whether the review counted in its day's `reviews` (ours, not imported)."""
    return not review.get("imported")


def unhappy(review: dict[str, Any]) -> bool:
    """Below the shop's happy threshold when it arrived (moderation said so then, whatever the threshold is now)."""
    return "unhappy" in (review.get("moderation") or ())


# --- as a review arrives -------------------------------------------------------------------------------------------


def review_ops(table: Table, shop: Shop, review: dict[str, Any]) -> list[Operation]:
    """The writes a new review adds to its own transaction: an unhappy one waits for an answer (due on the digest's
    index 24 hours on), and the shop's answer figures are due to be computed again."""
    ops = [answers.figures_due_op(table, shop.shop_id, review["created_at"])]
    if unhappy(review):
        due = clock.iso(clock.parse(review["created_at"]) + WAIT)
        ops.append(answers.waiting_op(table, shop.shop_id, review, due))
    return ops


def reject_ops(table: Table, shop_id: str, review: dict[str, Any]) -> list[Operation]:
    """A rejected review is not shown: it waits for no public answer."""
    if not unhappy(review):
        return []
    return [answers.answered_op(table, shop_id, review["created_at"], review["review_id"])]


# --- as the owner replies ------------------------------------------------------------------------------------------


def record_reply(table: Table, shop: Shop, review: dict[str, Any], answer: dict[str, Any]) -> None:
    """Store the owner's public answer; the review's first one is counted once, on the review's day."""
    for _ in range(3):
        # Answered already (or before replies were counted: those reviews' rates start with this count), or
        # imported: the text is replaced, nothing is counted.
        if review.get(answers.FIRST_REPLY) or review.get("reply") or not counted(review):
            try:
                answers.replace_reply(table, shop.shop_id, review["review_id"], answer)
            except ConditionFailed:
                raise errors.NotFound(
                    f"review {review['review_id']!r} does not exist", code="review_not_found"
                ) from None
            return
        created = clock.parse(review["created_at"])
        hours = max((clock.parse(answer["at"]) - created).total_seconds(), 0) / 3600
        day = clock.local_day(created, shop.timezone)
        ops = [
            answers.first_reply_op(table, shop.shop_id, review["review_id"], answer),
            aggregates.add_op(table, shop.shop_id, day, reply_counters(unhappy(review), hours)),
            # The figures are due as after a review: a refresh that read the counters before this reply leaves
            # them due, and the refresh below (or the next due run) counts it.
            answers.figures_due_op(table, shop.shop_id, answer["at"]),
        ]
        if unhappy(review):
            ops.append(answers.answered_op(table, shop.shop_id, review["created_at"], review["review_id"]))
        try:
            table.transact(ops)
        except ConditionFailed:
            found = table.get(keys.review_key(shop.shop_id, review["review_id"]), consistent=True)
            if found is None:
                raise errors.NotFound(
                    f"review {review['review_id']!r} does not exist", code="review_not_found"
                ) from None
            review = found  # answered meanwhile: this reply replaces that one
            continue
        _refresh_quietly(table, shop)
        return
    raise errors.RetryLater("the reply could not be saved; try again")


# --- the shop's figures of the last 90 days (the public badge) -----------------------------------------------------


def next_local_day(shop: Shop, now: datetime) -> datetime:
    """The start of the shop's next local day, in UTC."""
    local = now.astimezone(clock.zone(shop.timezone))
    start = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=clock.zone(shop.timezone))
    return start.astimezone(clock.zone("UTC"))


def first_badge_day(today: str) -> str:
    """The first of the 90 local days a badge shown on `today` covers."""
    return (datetime.fromisoformat(today).date() - timedelta(days=BADGE_DAYS - 1)).isoformat()


def badge_figures(table: Table, shop: Shop) -> dict[str, Any]:
    """The last 90 local days (today among them), from the day counters read consistently (every review whose mark
    the refresh read is in them); `oldest_day`: the first of them with a review (None: none)."""
    today = clock.today(shop.timezone)
    days = aggregates.read_days(table, shop.shop_id, first_badge_day(today), today, consistent=True)
    totals: dict[str, Decimal] = {}
    for counters in days.values():
        for name, value in counters.items():
            totals[name] = totals.get(name, Decimal(0)) + value
    oldest = min((day for day, counters in days.items() if counters.get("reviews")), default=None)
    return {**figures(totals), "oldest_day": oldest}


def refresh_figures(table: Table, shop: Shop) -> dict[str, Any]:
    """Compute and keep the shop's badge figures; due again at its next local day while it has reviews. A review
    that arrives while they are computed (its mark moved since the one read first) leaves them due as it made
    them: the figures kept miss it, the next due run counts it."""
    now = clock.now()
    mark = answers.figures_mark(table, shop.shop_id)  # before the counters: they hold every review it counts
    found = badge_figures(table, shop)
    kept = {
        "reviews": found["reviews"],
        "answered": found["answered_reviews"],
        "rate": None if found["reply_rate"] is None else Decimal(str(found["reply_rate"])),
        "median_hours": found["reply_hours_median"],
        "day": clock.local_day(now, shop.timezone),
        "oldest_day": found["oldest_day"],
        "computed_at": clock.iso(now),
    }
    next_due = clock.iso(next_local_day(shop, now)) if found["reviews"] else None
    answers.save_figures(table, shop.shop_id, kept, next_due, mark)
    return kept


def _refresh_quietly(table: Table, shop: Shop) -> None:
    """After a reply: the badge moves now; if this fails, the due work computes it again."""
    try:
        refresh_figures(table, shop)
    except Exception:  # noqa: BLE001 - the reply is saved; the figures' due entry stays
        from chalicelib.observability import logger

        logger.exception("answer figures not refreshed", extra={"shop_id": shop.shop_id})


def shop_answers(item: dict[str, Any] | None, today: str) -> dict[str, Any] | None:
    """The public listing's `shop_answers` from the kept figures: None without a review in the 90 days before
    `today` (the shop's). Figures kept on an earlier day are still exact while no day of theirs with a review has
    left the window (new reviews and replies refresh them); otherwise they wait for the due work's refresh."""
    if not item or not int(item.get("reviews", 0)) or item.get("rate") is None:
        return None
    if not item.get("oldest_day") or str(item["oldest_day"]) < first_badge_day(today):
        return None
    median = item.get("median_hours")
    return {
        "rate": float(item["rate"]),
        "median_hours": None if median is None else int(median),
        "days": BADGE_DAYS,
    }


def refresh_due_figures(table: Table, budget: Budget | None = None) -> int:
    """The due work: compute again the figures of every shop a review or a new day made due."""
    from chalicelib.observability import logger
    from chalicelib.store.shop_records import get_shop

    done = 0
    for entry in answers.figures_due(table, clock.iso()):
        if budget is not None and budget.spent():
            break
        try:
            shop = get_shop(table, entry["shop_id"])
            if shop is None:
                answers.forget_shop(table, entry)
            else:
                refresh_figures(table, shop)
            done += 1
        except Exception:  # noqa: BLE001 - one shop's figures never stop the others'
            logger.exception("answer figures not refreshed", extra={"shop_id": entry.get("shop_id")})
            failures = int(entry.get("failures", 0)) + 1
            wait = backoff.ANSWER_FIGURES.wait_after(failures) or timedelta(days=1)  # then daily, as when it works
            try:
                answers.figures_later(table, entry["shop_id"], clock.iso(clock.now() + wait))
            except Exception:  # noqa: BLE001
                logger.exception("answer figures not put off", extra={"shop_id": entry.get("shop_id")})
    return done


# --- the owner's digest of unhappy reviews waiting -----------------------------------------------------------------


def send_digests(table: Table, budget: Budget | None = None) -> int:
    """The due work: each shop with an unhappy review waiting 24 hours hears of ALL that wait, once a local day."""
    from chalicelib.observability import logger

    now = clock.now()
    by_shop: dict[str, list[dict[str, Any]]] = {}
    for entry in answers.due_entries(table, clock.iso(now), DIGEST_PAGE):
        shop_id = keys.answer_due_parts(entry[keys.GSI1SK])[1]
        by_shop.setdefault(shop_id, []).append(entry)
    sent = 0
    for shop_id, entries in by_shop.items():
        if budget is not None and budget.spent():
            break
        try:
            sent += _digest(table, shop_id, entries, now)
        except Exception:  # noqa: BLE001 - one shop's digest never stops the others'; its entries stay due
            logger.exception("answer digest not handled", extra={"shop_id": shop_id})
    return sent


def _waiting_markers(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if str(e[keys.SK]).startswith(keys.ANSWER_WAIT_PREFIX)]


def _digest(table: Table, shop_id: str, entries: list[dict[str, Any]], now: datetime) -> int:
    from chalicelib.store.shop_records import get_shop

    shop = get_shop(table, shop_id)
    if shop is None:  # erased: nothing to tell anyone
        for entry in entries:
            answers.forget_shop(table, entry)
        return 0
    today = clock.local_day(now, shop.timezone)
    tomorrow = clock.iso(next_local_day(shop, now))
    state = answers.digest_state(table, shop_id)
    if state.get("last_day") == today:  # told today already: tomorrow's digest lists these
        answers.digest_due_at(table, shop_id, tomorrow)
        _off_index(table, entries)
        return 0
    cutoff = clock.iso(now - WAIT)
    overdue = [w for w in answers.waiting(table, shop_id) if str(w["created_at"]) <= cutoff]
    if not overdue:
        if state:
            answers.digest_idle(table, shop_id)
        return 0
    if not answers.claim_digest(table, shop_id, today, clock.iso(now), tomorrow):
        return 0  # an overlapping run sends it
    try:
        listed, more = _listed(table, shop, overdue)
        if listed and shop.settings.owner_email:
            _send(compose_digest(shop, listed, more, now), shop.settings.owner_email)
    except Exception as exc:
        failures = int(state.get("failures", 0)) + 1
        wait = backoff.ANSWER_DIGESTS.wait_after(failures)
        if wait is not None:  # the digest item is due again then; the day is free for it
            answers.release_digest(
                table, shop_id, today, state.get("last_day"), clock.iso(now + wait), failures, repr(exc)
            )
        # else: given up for today (the day stays claimed); tomorrow's digest lists every review still waiting
        _off_index(table, entries)
        raise
    if state.get("failures"):
        answers.digest_sent(table, shop_id)
    _off_index(table, entries)
    return 1 if listed and shop.settings.owner_email else 0


def _off_index(table: Table, entries: list[dict[str, Any]]) -> None:
    """The shop's digest item brings these up again (so a shop whose mail fails never fills the due page)."""
    for marker in _waiting_markers(entries):
        answers.off_due_index(table, marker)


def _listed(table: Table, shop: Shop, overdue: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The oldest waiting reviews, read back (an answered, rejected or gone one is dropped and the next is read in its
    place), and how many more wait."""
    listed: list[dict[str, Any]] = []
    start = 0
    while len(listed) < DIGEST_LISTED and start < len(overdue):
        head = overdue[start : start + DIGEST_LISTED - len(listed)]
        start += len(head)
        found = {
            r["review_id"]: r
            for r in table.get_many([keys.review_key(shop.shop_id, w["review_id"]) for w in head], consistent=True)
        }
        for marker in head:
            review = found.get(marker["review_id"])
            if review is None or review.get(answers.FIRST_REPLY) or review.get("status") == "rejected":
                answers.forget_waiting(table, shop.shop_id, marker["created_at"], marker["review_id"])
                continue
            listed.append(review)
    return listed, max(len(overdue) - start, 0)


def _send(message: EmailMessage, to: str) -> None:
    from chalicelib.mail import get_mailer

    get_mailer().send(message, to=to)


def compose_digest(shop: Shop, reviews: list[dict[str, Any]], more: int, now: datetime) -> EmailMessage:
    """The owner's digest: every listed review (rating, product, how long it has waited, its title) with a link to
    it in the console's reviews section. In English, as the console is. Review text is escaped in the HTML part;
    the subject holds our own words and the shop's name only, on one line."""
    import re
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formataddr, make_msgid
    from html import escape
    from urllib.parse import quote, urlencode

    from chalicelib.config import get_settings
    from chalicelib.mail.mailbox import mailbox

    settings = get_settings()
    count = len(reviews) + more
    subject = f"{count} unhappy {'review waits' if count == 1 else 'reviews wait'} for your answer: {shop.name}"
    lines = [
        f"These unhappy reviews of {shop.name} have waited 24 hours or more for a public answer, oldest first.",
        "A public answer shows the next buyer that you listen.",
        "",
    ]
    items = []
    for review in reviews:
        day = clock.local_day(review["created_at"], shop.timezone)
        link = (
            f"{settings.base_url}/shops/{quote(shop.shop_id, safe='')}/dashboard/reviews?"
            + urlencode({"from": day, "to": day})
            + f"#reply-{quote(str(review['review_id']), safe='')}"
        )
        waited = int((now - clock.parse(review["created_at"])).total_seconds() // 3600)
        product = str(review.get("product_title") or review.get("product_id") or "")
        title = str(review.get("title") or "")
        summary = f"{int(review['rating'])}/5 on {product}, waiting {waited} hours"
        lines.append(f"- {summary}: {title}" if title else f"- {summary}")
        lines.append(f"  {link}")
        items.append(f'<li><a href="{escape(link)}">{escape(summary)}</a>{": " + escape(title) if title else ""}</li>')
    if more:
        lines.append(f"and {more} more")
        items.append(f"<li>and {more} more</li>")
    message = EmailMessage(policy=SMTP.clone(max_line_length=998))
    message["Subject"] = " ".join(re.split(r"[^\S\u00a0]+", subject.strip()))
    message["From"] = formataddr(("proofloop", settings.mail_sender))
    if to := mailbox(shop.settings.owner_email):
        message["To"] = Address(addr_spec=to)
    message["Message-ID"] = make_msgid(domain=settings.mail_sender.split("@")[-1])
    message["X-Proofloop-Digest"] = f"{shop.shop_id}/unanswered"
    message.set_content("\n".join(lines) + "\n")
    intro = escape(lines[0]) + " " + escape(lines[1])
    message.add_alternative(f"<!doctype html><p>{intro}</p><ul>{''.join(items)}</ul>", subtype="html")
    return message
