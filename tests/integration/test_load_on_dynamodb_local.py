"""The bounded load test, small, with one database call in twelve failing: the report is still exact."""

from __future__ import annotations

from localdev import load


def test_concurrent_clients_under_database_faults_end_with_zero_differences(dynamodb_local):
    with load.local_stack(faults=0.08, seed=5, database_endpoint=dynamodb_local.endpoint) as (url, outbox, proxy):
        result = load.run(url, outbox, load.ADMIN_TOKEN, customers=30, clients=6, seed=5, quiet=True, retry_wait=0.25)
        injected = dict(proxy.injected)
    assert result.differences == []
    kinds = {kind.split()[0] for kind in injected}
    assert kinds == {"throttle", "server_error", "lost_answer"}  # every kind of fault happened
    assert any("TransactWriteItems" in kind for kind in injected)
    expected = result.expected
    assert expected["reviews"] > 0 and expected["clicks"] > 0 and expected["referred_orders"] > 0
    seen = {kind for kind, _, _ in result.latencies}
    assert {"webhook", "review", "share", "click"} <= seen
    assert load.report(result)[-1].startswith("  0 differences")
