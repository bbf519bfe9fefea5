"""Review collection: requests after fulfilment, signed links, submission and moderation."""
