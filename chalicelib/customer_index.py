"""The customer search index: a shop's customers found by name word or email through keyed hashes only.

A lookup item's sort key is FIND#<token>#<customer>, where the token is a keyed hash (its own purpose) of one
normalised name word (case folded, accents stripped) or of the email's matching hash: no plain name or email
is in any key or lookup item. The order intake Puts a customer's new lookups in the order's own transaction
and lists their tokens on the customer (`find_tokens`), so erasure knows which to Delete; customers older
than the index are indexed by the due work, page by page from a cursor (keys.py, patterns 42 and 43).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib import errors
from chalicelib.budget import Budget
from chalicelib.signing import email_hash, keyed_hash
from chalicelib.store import customers, jobs, keys
from chalicelib.store.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.store.table import Operation, Table

PURPOSE = "customer-lookup"  # the keyed hash's own key: a token says nothing under any other purpose
INDEX_VERSION = 1  # `find_indexed` on a customer: their lookups are written (a later index format moves it)
MAX_NAME_WORDS = 8  # words of a name indexed (a name is up to 200 characters)
MAX_TOKENS = 24  # lookups one customer keeps: their name's words and up to 16 emails they ordered with
MAX_QUERY_WORDS = 6
LOOKUP_PAGE = 200  # customers one word's Query reads; a word matching more asks for another word
INDEX_PAGE = 100  # customers the due work reads at a time
_APOSTROPHES = "'\u2019\u02bc`\u00b4"  # O'Brien is one word, obrien
_SEPARATORS = ",;"


def name_words(text: str | None) -> list[str]:
    """The words of a name as the index keeps them: compatibility-decomposed, case folded, accents and
    apostrophes dropped, split on anything not a letter or digit; each once, in order."""
    import unicodedata

    if not text:
        return []
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    words: list[str] = []
    current: list[str] = []
    for char in plain + " ":
        if char.isalnum():
            current.append(char)
        elif char not in _APOSTROPHES and current:
            word = "".join(current)
            if word not in words:
                words.append(word)
            current = []
    return words


def word_token(word: str) -> str:
    return keyed_hash(PURPOSE, "name\x00" + word)


def email_token(matching_hash: str) -> str:
    """An email's token, from its matching hash (the one a customer record keeps), so customers recorded
    before the index are indexed from their record alone."""
    return keyed_hash(PURPOSE, "email\x00" + matching_hash)


def customer_tokens(name: str | None, email_hashes: list[str | None]) -> list[str]:
    """Every token a customer is found by: each email, then each of the first words of the name."""
    tokens = [email_token(h) for h in email_hashes if h]
    tokens += [word_token(w) for w in name_words(name)[:MAX_NAME_WORDS]]
    return list(dict.fromkeys(tokens))


def tokens_to_add(customer: dict[str, Any] | None, name: str | None, email: str | None) -> list[str]:
    """The tokens an order adds to its buyer's lookups: none when the record already has them all, so a
    returning customer's order writes nothing more. The record keeps the first name it was given (a later
    order's only fills a missing one); every email a customer orders with finds them."""
    known = set((customer or {}).get("find_tokens") or ())
    kept_name = (customer or {}).get("name") or name
    hashes = [email_hash(email), (customer or {}).get("email_hash")]
    wanted = [t for t in customer_tokens(kept_name, hashes) if t not in known]
    return wanted[: max(MAX_TOKENS - len(known), 0)]


def lookup_item(shop_id: str, token: str, customer_id: str) -> dict[str, Any]:
    return {**keys.customer_lookup_key(shop_id, token, customer_id), "type": "lookup", "customer_id": customer_id}


def lookup_ops(table: Table, shop_id: str, customer_id: str, tokens: list[str]) -> list[Operation]:
    """Puts of a customer's lookups: plain Puts, so a repeated or concurrent write of one is harmless."""
    return [table.put_op(lookup_item(shop_id, t, customer_id)) for t in tokens]


def erasure_ops(table: Table, shop_id: str, customer: dict[str, Any]) -> list[Operation]:
    """Deletes of every lookup the customer's record lists (erasure; their record drops the list with them)."""
    return [
        table.delete_op(keys.customer_lookup_key(shop_id, t, str(customer["customer_id"])))
        for t in sorted(customer.get("find_tokens") or ())
    ]


# --- searching ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchTerm:
    kind: str  # "email" or "name"
    token: str


def search_terms(query: str) -> list[SearchTerm]:
    """A search as tokens: each word with an @ is an email (any case), every other word a name word (accents
    typed or not). No usable word, too many or an email cut short is a ValidationFailed naming the field q."""

    def refuse(problem: str) -> errors.ValidationFailed:
        return errors.ValidationFailed(problem, details=[{"field": "q", "problem": problem}])

    from chalicelib.model_base import MAX_SEARCH_LENGTH

    text = query.strip()
    if len(text) > MAX_SEARCH_LENGTH:
        raise refuse(f"a search is at most {MAX_SEARCH_LENGTH} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise refuse("the search is not readable text") from None
    for separator in _SEPARATORS:
        text = text.replace(separator, " ")
    terms: list[SearchTerm] = []
    for part in text.split():
        if "@" in part:
            local, _, domain = part.partition("@")
            if not local or "." not in domain or domain.startswith(".") or domain.endswith("."):
                raise refuse(f"{part[:60]!r} is not a whole email address")
            terms.append(SearchTerm("email", email_token(email_hash(part) or "")))
        else:
            terms += [SearchTerm("name", word_token(w)) for w in name_words(part)]
    terms = list({t.token: t for t in terms}.values())
    if not terms:
        raise refuse("type a name or an email address (letters or digits)")
    if len(terms) > MAX_QUERY_WORDS:
        raise refuse(f"search with at most {MAX_QUERY_WORDS} words")
    return terms


@dataclass(frozen=True)
class Found:
    customer_ids: list[str]
    complete: bool  # False: every word matched more customers than one page; these are some of them


def find_customers(table: Table, shop_id: str, terms: list[SearchTerm]) -> Found:
    """The customers every term finds. One Query per term; with several, the smallest complete answer is
    checked against each other term's lookups (one BatchGet of at most LOOKUP_PAGE keys), so a common word
    costs no more than a rare one."""
    partition = keys.shop_partition(shop_id)
    answers: list[tuple[SearchTerm, set[str], bool]] = []
    for term in terms:
        items, more = table.query(partition, sk_prefix=keys.customer_lookup_prefix(term.token), limit=LOOKUP_PAGE)
        answers.append((term, {str(i["customer_id"]) for i in items}, more is None))
    complete = [a for a in answers if a[2]]
    if not complete:
        return Found(sorted(set.intersection(*(a[1] for a in answers))), False)
    base = min(complete, key=lambda a: len(a[1]))
    candidates = set(base[1])
    for term, ids, whole in answers:
        if term is base[0] or not candidates:
            continue
        if whole:
            candidates &= ids
        else:
            wanted = [keys.customer_lookup_key(shop_id, term.token, c) for c in sorted(candidates)]
            candidates &= {str(i["customer_id"]) for i in table.get_many(wanted)}
    return Found(sorted(candidates), True)


# --- customers older than the index ------------------------------------------------------------------------


def index_status(table: Table, shop_id: str) -> dict[str, Any]:
    """Where the indexing of the shop's older customers stands. The first ask reads the first page of customers
    and, unless they are all indexed already, puts the shop on the due work's list (one Put): a deployment
    indexes each shop once, when its owner first opens the section."""
    key = keys.customer_index_cursor_key(shop_id)
    cursor = table.get(key)
    if cursor is not None:
        return cursor
    from chalicelib import clock

    item: dict[str, Any] = {
        **key,
        "type": "lookup_cursor",
        "shop_id": shop_id,
        "requested_at": clock.iso(),
        "indexed_customers": 0,
    }
    # A shop whose every customer came after the index (one page of them, all indexed) has nothing to wait for.
    first, more = table.query(keys.shop_partition(shop_id), sk_prefix=keys.CUSTOMER_PREFIX, limit=INDEX_PAGE)
    done = more is None and not any(needs_index(c) for c in first)
    if done:
        item["done_at"] = item["requested_at"]
    try:
        return jobs.create_index_cursor(table, item, due=not done)
    except ConditionFailed:
        return table.get(key, consistent=True) or item


def needs_index(customer: dict[str, Any]) -> bool:
    """Recorded before the index, or never given its lookups; an erased customer has nothing to find by."""
    return not customer.get("find_indexed") and not customer.get("redacted")


def index_customer(table: Table, shop_id: str, customer: dict[str, Any]) -> bool:
    """A customer's lookups from their record, with the mark that they have them, in one transaction;
    False when the record changed meanwhile (an order indexed it, an erasure emptied it)."""
    customer_id = str(customer["customer_id"])
    tokens = customer_tokens(customer.get("name"), [customer.get("email_hash")])
    mark = customers.index_mark_op(table, shop_id, customer_id, INDEX_VERSION, tokens)
    try:
        table.transact([mark, *lookup_ops(table, shop_id, customer_id, tokens)])
    except ConditionFailed:
        return False
    return True


def index_older_customers(table: Table, budget: Budget | None = None, max_customers: int = 500) -> int:
    """Due work: go on indexing each listed shop's customers from its cursor, a page at a time, saving the
    cursor after each stretch; a shop leaves the list when its last page is done. Returns customers read."""
    budget = budget or Budget.unlimited()
    read = 0
    for cursor in jobs.index_cursors_due(table):
        shop_id = str(cursor["shop_id"])
        after = cursor.get("after")
        indexed = 0
        while True:
            start = keys.customer_key(shop_id, str(after)) if after else None
            page, more = table.query(
                keys.shop_partition(shop_id), sk_prefix=keys.CUSTOMER_PREFIX, limit=INDEX_PAGE, cursor=start
            )
            stopped = False
            for customer in page:
                if budget.spent() or read >= max_customers:
                    stopped = True
                    break
                read += 1
                try:
                    if needs_index(customer) and index_customer(table, shop_id, customer):
                        indexed += 1
                except Exception:  # noqa: BLE001 - one customer must not stop the shop's index: logged, skipped
                    from chalicelib.observability import logger

                    logger.exception(
                        "customer not indexed", extra={"shop_id": shop_id, "customer_id": customer["customer_id"]}
                    )
                after = customer["customer_id"]
            if stopped or (more is not None and (budget.spent() or read >= max_customers)):
                _save_cursor(table, shop_id, after, indexed)
                return read
            if more is None:
                _finish(table, shop_id, after, indexed)
                break
    return read


def _save_cursor(table: Table, shop_id: str, after: Any, indexed: int) -> None:
    if after is None:
        return
    with suppress(ConditionFailed):
        jobs.save_index_cursor(table, shop_id, str(after), indexed)


def _finish(table: Table, shop_id: str, after: Any, indexed: int) -> None:
    from chalicelib import clock

    with suppress(ConditionFailed):
        jobs.finish_index_cursor(table, shop_id, str(after) if after is not None else None, indexed, clock.iso())
