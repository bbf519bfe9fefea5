"""Amplification: share codes and channels, share and click counting, previews, attribution."""
