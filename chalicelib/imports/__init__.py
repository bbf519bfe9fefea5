"""CSV imports of reviews: job.py (states, lease, chunks), reader.py (the file by byte range), runner.py (due work)."""
