"""Object storage (S3): presigned uploads and reads, and the few calls the photo pipeline makes."""
