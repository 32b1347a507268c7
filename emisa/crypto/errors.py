"""Errors raised by the crypto layer.

Callers catch ``IntegrityFailure`` to show a clear error, audit and alert
instead of ever returning garbled content, and ``KeyUnavailable`` to tell a
shredded or retired key apart from tampering.
"""


class CryptoError(Exception):
    """Base class for every error the crypto layer raises on purpose."""


class IntegrityFailure(CryptoError):
    """Ciphertext failed authentication: tampered, truncated, extended, wrong key or aad."""


class KeyUnavailable(CryptoError):
    """The key needed is gone: shredded, retired after rotation, or never existed."""


class UnknownGroup(KeyUnavailable):
    """No working group has this id, so it cannot have keys."""


class MasterKeyError(CryptoError):
    """The master key configuration is unusable; raised at start-up with a fix in the message."""
