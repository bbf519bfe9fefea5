"""The share prompt's words a happy reviewer is shown on the page after their review, and, while a share-prompt
experiment runs in their language, their variant's words, counted once as a unit of it.

The unit is the customer (not the review): the metric is the funnel's `share_rate` (sharers / promoters), a
customer has one share code whatever they reviewed, and a second happy review must not make a second unit. The
variant is the keyed hash of the experiment and the customer id (assignment.py), the same on every reload and
every later review; it is kept on the customer's record when they are counted, which is what their first share
is credited by (sharing/counting.py, in the share's own transaction)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import clock
from chalicelib.experiments.assignment import prompt_experiment

if TYPE_CHECKING:
    from chalicelib.store.shop_records import Shop
    from chalicelib.store.table import Table


def prompt_words(table: Table, shop: Shop, customer_id: str, language: str) -> str:
    """The words of the prompt shown to this customer ("" for ours). No call without an experiment in that
    language; with one, one conditional transaction that counts the customer the first time (not once they have
    shared: a sharer cannot convert), and changes nothing on a reload."""
    experiment = prompt_experiment(shop, language)
    if experiment is None:
        return shop.settings.share_prompt.words(language)
    from chalicelib.store.experiments import count_prompt_unit

    variant = experiment.assign(customer_id)
    at = clock.iso()
    closes_at = experiment.closes_at(at)
    try:
        count_prompt_unit(table, shop.shop_id, customer_id, experiment.experiment_id, variant, at, closes_at)
    except Exception as exc:  # noqa: BLE001 - the review is saved: its page is shown all the same
        from chalicelib.observability import logger

        # Not counted, so not kept on the record either: their first share converts nothing.
        logger.warning("share prompt's unit not counted", extra={"shop_id": shop.shop_id, "reason": repr(exc)})
    return str(experiment.value(variant))
