"""Buyers' photos on reviews: presigned uploads, processing by content, display, and share cards."""
