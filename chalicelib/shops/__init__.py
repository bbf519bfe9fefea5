"""Shops (tenancy): the service that creates them and checks who may act on one (service.py), and what
the API takes and answers about them (models.py)."""
