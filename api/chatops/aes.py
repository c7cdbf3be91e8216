"""AES-256-CBC with PKCS#7 padding, as Feishu and WeCom use it for callback bodies (via `cryptography`)."""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..errors import Unauthorized


def decrypt(key: bytes, iv: bytes, data: bytes, block: int = 16) -> bytes:
    """The plaintext, padding removed; Unauthorized when the bytes were not made with this key."""
    if not data or len(data) % 16:
        raise Unauthorized("the encrypted body is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= block or plain[-pad:] != bytes([pad]) * pad:
        raise Unauthorized("the encrypted body does not decrypt with the configured key")
    return plain[:-pad]


def encrypt(key: bytes, iv: bytes, plain: bytes, block: int = 16) -> bytes:
    pad = block - len(plain) % block
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()
