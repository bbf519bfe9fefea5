"""Orders: events applied exactly once, as facts on the order with the counters they move.

Deduplication is on what the body says, not on delivery ids: an order is a set of facts (known,
fulfilled, cancelled, refund <id>), each recorded once on its item. Applying an event computes the
facts it adds; none means a duplicate (answered 200, nothing written). New facts are written in one
transaction conditioned on the order's version, with their counter updates, so a repeated,
reordered or concurrent delivery can never count twice and a failure leaves nothing half-written.

planner.py computes what an event changes (pure), ledger.py keeps the advocate's side of a referral,
writer.py reads, plans and writes in one transaction with retries; chalicelib/intake.py hands a delivery's
order events to it. Import the module you need; this package imports nothing itself.
"""
