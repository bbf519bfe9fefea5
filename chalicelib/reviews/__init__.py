"""Review collection: requests after fulfilment, signed links, submission and moderation."""

ANONYMOUS = "Anonymous"  # the author shown for a buyer who chose not to be named, or who was erased since
