"""Who is asking: the credentials the authorizers (chalicelib/endpoints/authorizers.py) check.

`owner_keys.py` the owner API keys (made, stored hashed, checked against the shop in the path), `admin.py` the
operator's admin token, `sessions.py` the console's revocable signed sessions, `csrf.py` the token a console
form carries. Plain domain code on the store: no endpoint, no console, no pydantic.
"""
