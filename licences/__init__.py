"""Licences and their keys: who may write and read which licence's data."""

from licences.store import Credentials, LicenceStore, Principal, PrincipalKind, Role

__all__ = ["Credentials", "LicenceStore", "Principal", "PrincipalKind", "Role"]
