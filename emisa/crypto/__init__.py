"""Encryption at rest: the keyring (envelope encryption) and the file stream format.

``keyring.init_app(app)`` binds the keyring; see ``docs/crypto.md`` for the
key hierarchy and exact byte layouts.
"""

from emisa.crypto.errors import (
    CryptoError,
    IntegrityFailure,
    KeyUnavailable,
    MasterKeyError,
    UnknownGroup,
)
from emisa.crypto.keyring import DataKey, GroupKeyHandle, Keyring

keyring = Keyring()

__all__ = [
    "CryptoError",
    "DataKey",
    "GroupKeyHandle",
    "IntegrityFailure",
    "KeyUnavailable",
    "Keyring",
    "MasterKeyError",
    "UnknownGroup",
    "keyring",
]
