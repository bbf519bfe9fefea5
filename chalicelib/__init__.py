"""proofloop domain: everything but the HTTP routing lives here."""
