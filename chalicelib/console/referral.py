"""The console's referral section: the program's settings form read into the change PATCH /shops/{id} makes (and
made by the same code), the pools with what is left and when to refill, their uploads, and the program's figures."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.console.referral_models import form_name
from chalicelib.referrals import POOLS
from chalicelib.store.shop_settings import ReferralSettings, console_rows

if TYPE_CHECKING:
    from collections.abc import Mapping

    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table

# The program's settings as the form shows them (chalicelib/store/shop_settings.py declares each one).
ROWS = console_rows(ReferralSettings)
FIELDS = {form_name(path): (path, kind) for path, _, kind, _ in ROWS if kind != "group"}
SOURCES = ("file", "codes")  # where an upload's codes came from: the file input, the box
REASONS = {"too_long": "longer than 64 characters", "invalid_characters": "not only A-Z, a-z, 0-9, _ and -"}
SHOWN_REFUSALS = 50  # refused lines an upload's report lists (the count says how many in all)
POOL_NAMES = {"friend": "Friend pool", "advocate": "Advocate pool"}
POOL_USE = {
    "friend": "One code for each friend who claims the offer.",
    "advocate": "One code for each reward issued to an advocate.",
}


@dataclass(frozen=True)
class Group:
    """A fieldset of the form: a legend (none for the program's own settings) and its fields."""

    legend: str
    help: str
    name: str
    fields: list[tuple[str, str, Any, str]] = field(default_factory=list)  # (form name, label, kind, help)


def form_groups() -> list[Group]:
    """The form's fieldsets in the declarations' order: each nested group on its own, the plain settings between."""
    groups: list[Group] = []
    for path, label, kind, meaning in ROWS:
        if kind == "group":
            groups.append(Group(label, meaning, form_name(path)))
        elif len(path) > 1 and groups and groups[-1].name == form_name(path[:-1]):
            groups[-1].fields.append((form_name(path), label, kind, meaning))
        else:
            if not groups or groups[-1].legend:
                groups.append(Group("", "", ""))
            groups[-1].fields.append((form_name(path), label, kind, meaning))
    return groups


def settings_values(settings: ReferralSettings) -> dict[str, Any]:
    """What the form shows for the stored settings: each field's value (no currency: empty)."""
    stored = asdict(settings)
    values: dict[str, Any] = {}
    for name, (path, kind) in FIELDS.items():
        value: Any = stored
        for part in path:
            value = value[part]
        values[name] = value if kind == "bool" else ("" if value is None else str(value))
    return values


def posted_values(form: dict[str, str]) -> dict[str, Any]:
    """What the form shows again after a refusal: what was sent, a box ticked when it was sent at all."""
    return {
        name: form.get(name, "") != "" if kind == "bool" else form.get(name, "") for name, (_, kind) in FIELDS.items()
    }


def read_change(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as the `referral` change PATCH takes, and the fields that are not even of their kind."""
    change: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, (path, kind) in FIELDS.items():
        raw = form.get(name, "")
        value: Any
        if kind == "bool":
            value = raw != ""
        elif kind == "int":
            try:
                value = int(raw.strip())
            except ValueError:
                problems[name] = "enter a whole number"
                continue
        elif kind == "optional":
            value = raw.strip().upper() or None  # a currency, as ISO 4217 writes it
        else:
            value = raw.strip()  # terms keep their lines
        group = change
        for part in path[:-1]:
            group = group.setdefault(part, {})
        group[path[-1]] = value
    return change, problems


def save_referral(table: Table, shop: Shop, form: dict[str, str]) -> tuple[Shop | None, dict[str, str]]:
    """The program's settings saved by the code and checks of PATCH /shops/{id} (its `settings.referral`); or the
    errors by field, and nothing saved."""
    from pydantic import ValidationError

    from chalicelib.http import validation_failed
    from chalicelib.shops.models import ShopUpdate
    from chalicelib.shops.service import update_shop

    change, problems = read_change(form)
    if problems:
        return None, problems
    try:
        return update_shop(table, shop, ShopUpdate(settings={"referral": change})), {}
    except ValidationError as exc:
        return None, _by_field(validation_failed(exc))
    except errors.ValidationFailed as exc:
        return None, _by_field(exc)
    except errors.Conflict as exc:
        return None, {"enabled": f"{exc.message}: try again"}


def _by_field(exc: errors.ValidationFailed) -> dict[str, str]:
    """A refusal's problems by the form's field: `referral.friend_offer.value` is `friend_offer_value`."""
    found: dict[str, str] = {}
    for problem in exc.details or []:
        parts = str(problem.get("field", "")).split(".")
        if parts and parts[0] == "settings":
            parts = parts[1:]
        if parts and parts[0] == "referral":
            parts = parts[1:]
        name = form_name(tuple(parts))
        found.setdefault(name if name in FIELDS else "enabled", str(problem.get("problem", exc.message)))
    return found or {"enabled": exc.message}


# --- the pools


@dataclass(frozen=True)
class PoolView:
    """A pool as the section shows it: what is left, what was handed out, and whether to refill."""

    pool: str
    name: str
    use: str
    available: int
    handed_out: int
    needed: bool  # the program hands out codes of this pool now
    warning: str = ""  # fewer than LOW_CODES left
    alert: str = ""  # none left while the program needs them


def pool_views(pools: dict[str, dict[str, int]], settings: ReferralSettings) -> list[PoolView]:
    from chalicelib.referrals.pools import LOW_CODES

    views = []
    for pool in POOLS:
        available, handed_out = int(pools[pool]["available"]), int(pools[pool]["handed_out"])
        needed = settings.enabled and (pool == "friend" or settings.advocate_reward.type != "none")
        alert = warning = ""
        if pool == "advocate" and settings.advocate_reward.type == "none":
            pass  # with no reward the advocate pool is not used
        elif available == 0 and needed:
            waiting = "friends who claim now" if pool == "friend" else "rewards due now"
            alert = f"No codes left: {waiting} wait for theirs until you upload more."
        elif available == 0:
            warning = "No codes yet: upload some before you turn the program on."
        elif available < LOW_CODES:
            warning = (
                f"Only {available} {'code' if available == 1 else 'codes'} left (fewer than {LOW_CODES}): upload more."
            )
        views.append(PoolView(pool, POOL_NAMES[pool], POOL_USE[pool], available, handed_out, needed, warning, alert))
    return views


@dataclass
class UploadReport:
    """What an upload did, for the page it goes back to: codes added, already in a pool, lines refused."""

    pool: str
    added: int = 0
    already: int = 0
    refused: int = 0
    lines: list[tuple[str, int, str]] = field(default_factory=list)  # (source, line, reason), the first ones

    def query(self) -> dict[str, str]:
        listed = "~".join(f"{source}.{line}.{reason}" for source, line, reason in self.lines[:SHOWN_REFUSALS])
        return {
            "uploaded": self.pool,
            "added": str(self.added),
            "already": str(self.already),
            "refused": str(self.refused),
            "lines": listed,
        }

    def refusals(self) -> list[tuple[str, int, str]]:
        """Each refused line listed: (where: the file or the box, its line, why in words)."""
        return [(source, line, REASONS[reason]) for source, line, reason in self.lines]


_LINE = re.compile(r"^(file|codes)\.([0-9]{1,6})\.(too_long|invalid_characters)$")


def read_report(query: dict[str, str]) -> UploadReport | None:
    """An upload's report from the page's address; only numbers and our own words are read from it, so a link
    made elsewhere can say nothing else."""
    pool = query.get("uploaded", "")
    if pool not in POOLS:
        return None
    numbers = {}
    for name in ("added", "already", "refused"):
        raw = query.get(name, "0")
        numbers[name] = int(raw) if raw.isdigit() and len(raw) < 7 else 0
    lines = []
    for entry in query.get("lines", "").split("~")[:SHOWN_REFUSALS]:
        found = _LINE.match(entry)
        if found:
            lines.append((found.group(1), int(found.group(2)), found.group(3)))
    return UploadReport(pool, numbers["added"], numbers["already"], numbers["refused"], lines)


def upload_codes(
    table: Table, shop_id: str, pool: str, box: str, file: bytes | None
) -> tuple[UploadReport | None, dict[str, str]]:
    """The file's codes and the box's added to the pool (chalicelib/referrals/pools.py add_codes, as the API adds
    them); or the errors by field, and nothing added. Both are read before either is written."""
    from chalicelib.referrals.pools import MAX_UPLOAD_BYTES, add_codes, parse_codes

    texts: dict[str, str] = {}
    problems: dict[str, str] = {}
    if file:
        if len(file) > MAX_UPLOAD_BYTES:
            problems["file"] = f"the file is larger than {MAX_UPLOAD_BYTES // 1024} KiB: split it (10,000 codes a file)"
        else:
            try:
                texts["file"] = file.decode("utf-8-sig")
            except UnicodeDecodeError:
                problems["file"] = "the file is not UTF-8 text: save it as CSV UTF-8, one code a line"
    if box.strip():
        texts["codes"] = box
    if not texts and not problems:
        problems["codes"] = "paste codes, one a line, or choose a file of them"
    for source, text in texts.items():
        try:
            parsed = parse_codes(text)
        except errors.PayloadTooLarge as exc:
            problems[source] = exc.message
            continue
        if not parsed.codes and not parsed.rejected:
            problems[source] = "no codes in it: one code a line (a first line `code` is allowed)"
    if problems:
        return None, problems
    report = UploadReport(pool)
    for source, text in texts.items():
        upload = add_codes(table, shop_id, pool, text)
        report.added += upload.added
        report.already += upload.already
        report.refused += len(upload.rejected)
        report.lines += [(source, int(r["line"]), str(r["reason"])) for r in upload.rejected]
    return report, {}


def figures(overview: dict[str, Any], period: dict[str, Any]) -> dict[str, Any]:
    """The program's figures: friends' claims and rewards by state (all time), and the report's figures of the
    program for a period (reports/service.py period_program_figures: claims, rewards issued, their value and the
    referred revenue per unit of it, by currency), the numbers the report, its CSV and the overview give."""
    return {"claims": overview["claims"], "rewards": overview["rewards"], "period": period}


# The rewards ledger: each reward's reasons in words, the owner's filter, and what a bulk decision did.
REASON_WORDS = {
    "self_referral": "the friend looks like the advocate (same customer, mailbox or address)",
    "existing_customer": "the friend had ordered before",
    "disposable_email": "the friend's email is from a disposable domain",
    "same_visitor": "the friend claimed from the advocate's own browser",
    "velocity": "the advocate had more than 5 referred orders in 24 hours",
    "cap": "the advocate reached the monthly cap",
    "cancelled": "the friend's order was cancelled",
    "refunded": "the friend's order was refunded",
    "denied": "you denied it",
}
REWARD_FILTERS = (
    ("", "All, held first"),
    ("held", "Held"),
    ("pending", "Pending"),
    ("issued", "Issued"),
    ("void", "Void"),
)
LEDGER_PAGE = 25


def ledger(table: Table, shop_id: str, query: Mapping[str, str]) -> dict[str, Any]:
    """A page of the rewards ledger as the section shows it: the filter (`status`), the rows with their reasons in
    words, and the next page's cursor. A bad filter or cursor shows the first page of all, with the problem said."""
    from chalicelib.referrals.rewards import list_rewards

    status = query.get("status", "")
    status = status if status in dict(REWARD_FILTERS) else ""
    problem = ""
    try:
        page = list_rewards(table, shop_id, status or None, query.get("cursor") or None, LEDGER_PAGE)
    except errors.BadRequest as exc:
        problem = exc.message
        page = list_rewards(table, shop_id, status or None, None, LEDGER_PAGE)
    rows = [{**reward, "why": [REASON_WORDS.get(r, r) for r in reward["reasons"]]} for reward in page["rewards"]]
    return {"status": status, "rows": rows, "cursor": page["cursor"], "filters": REWARD_FILTERS, "problem": problem}


@dataclass(frozen=True)
class Decided:
    """What a bulk decision did: how many rewards it approved or denied, and how many were no longer held."""

    action: str
    done: int
    skipped: int

    def token(self) -> str:
        return f"{self.action}.{self.done}.{self.skipped}"

    def said(self) -> str:
        verb = "Approved" if self.action == "approve" else "Denied"
        text = f"{verb} {self.done} reward{'s' if self.done != 1 else ''}."
        if self.skipped:
            text += f" {self.skipped} {'was' if self.skipped == 1 else 'were'} no longer held and stayed as they were."
        return text


_DECIDED = re.compile(r"^(approve|deny)\.([0-9]{1,3})\.([0-9]{1,3})$")


def read_decided(query: Mapping[str, str]) -> Decided | None:
    """A decision's summary from the page's address: only our action's name and two numbers are read."""
    found = _DECIDED.match(query.get("decided", ""))
    return Decided(found.group(1), int(found.group(2)), int(found.group(3))) if found else None


def decide_many(table: Table, shop: Shop, action: str, ids: list[str]) -> Decided:
    """Approve or deny each named reward; one that is no longer held (or is not the shop's) is left as it is."""
    from chalicelib.referrals.rewards import decide

    done = skipped = 0
    for rid in dict.fromkeys(ids):  # each once, in the order ticked
        try:
            decide(table, shop, rid, action)
            done += 1
        except (errors.Conflict, errors.NotFound):
            skipped += 1
    return Decided(action, done, skipped)
