"""Shops (tenancy): the service that creates them and checks who may act on one (service.py)."""
