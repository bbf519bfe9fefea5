"""The console's reviews section: every review of a shop filtered and paged, bulk moderation, the way back."""
