"""The console's emails section: the review request and reminder as buyers see them, test sends, the shop's texts."""
