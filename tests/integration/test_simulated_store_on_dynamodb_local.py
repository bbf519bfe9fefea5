"""A simulated month of a store, with repeated, reordered and concurrent deliveries: the report is exact."""

from __future__ import annotations

from localdev.simulate import Simulator, start_shop
from tests.conftest import ADMIN_TOKEN


def test_report_matches_the_simulated_ground_truth_exactly(live):
    shop = start_shop(live.url, ADMIN_TOKEN, "sim-exact")
    simulator = Simulator(
        live.url,
        shop["shop_id"],
        shop["webhook_secret"],
        shop["api_key"],
        live.outbox,
        seed=11,
        concurrency=8,
        quiet=True,
    )
    simulator.admin_token = ADMIN_TOKEN
    differences = simulator.run(customers=40)
    expected = simulator.expected()
    assert expected["referred_orders"] > 0 and expected["clicks"] > 0 and expected["reviews"] > 0
    assert differences == []
