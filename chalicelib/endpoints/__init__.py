"""HTTP endpoints, framework-neutral: parse, authorize, call the domain, shape the answer.

Each module declares its operations in the registry (registry.py) when it is imported, and nothing
imports them all on a request: chalicelib/router.py imports the one module a request needs.
"""
