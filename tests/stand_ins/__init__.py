"""Loopback stand-ins of the stores' own APIs, in tests only: small HTTPS servers on 127.0.0.1 answering the shapes
the platforms document."""
