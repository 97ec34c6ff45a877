"""Parties: persons (resident ID), organisations (credit code), delegations, staff roles."""
