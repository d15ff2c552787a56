"""WeCom callback envelope (企业微信 回调加解密): AES-256-CBC over the message, as WeCom documents
it for callback URLs and its sample ``WXBizMsgCrypt``.

- key = base64-decode(EncodingAESKey + "=") — the 43-character EncodingAESKey is 32 bytes;
  IV = key[:16];
- plaintext = random(16) + len(msg) as 4 bytes big-endian + msg + receiveid (the corp id for
  a corp's callbacks), PKCS#7-padded to a multiple of **32** bytes (not AES's 16);
- the ciphertext travels base64-encoded: the ``Encrypt`` element of the XML body, or the
  ``echostr`` query parameter of the URL check. The signature (``wecom_signature``) covers
  the base64 text, so it is checked before anything is decrypted: without the token no one can
  probe the padding check (no padding oracle).

Every fault raises :class:`BadEnvelope` (400) or :class:`WrongReceiver` (401) naming the
field and what is wrong with it."""

from __future__ import annotations

import base64
import binascii
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from omniretail.platform.auth.errors import AuthError
from omniretail.platform.errors import DomainError

BLOCK = 32  # WeCom's PKCS#7 block size
AES_KEY_LENGTH = 43


class BadEnvelope(DomainError):
    """The encrypted part cannot be decoded: not base64, not whole AES blocks, bad padding or a
    length that does not fit."""

    status = 400
    title = "Bad WeCom envelope"


class WrongReceiver(AuthError):
    """The message decrypts but was sealed for another receiver (corp id)."""

    title = "WeCom message for another receiver"


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of a 43-character EncodingAESKey (ValueError naming the fault)."""
    if len(encoding_aes_key) != AES_KEY_LENGTH:
        raise ValueError(
            f"EncodingAESKey must be {AES_KEY_LENGTH} characters, got {len(encoding_aes_key)}"
        )
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as e:
        raise ValueError(f"EncodingAESKey is not base64: {e}") from None
    if len(key) != 32:  # pragma: no cover - 43 base64 characters + "=" are always 32 bytes
        raise ValueError("EncodingAESKey does not decode to 32 bytes")
    return key


class WeComCrypt:
    """Seal and open WeCom envelopes for one receiver (``receive_id``: the corp id)."""

    def __init__(self, encoding_aes_key: str, receive_id: str) -> None:
        self.key = aes_key(encoding_aes_key)
        self.receive_id = receive_id

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, message: str, *, random16: bytes | None = None) -> str:
        """The base64 ciphertext of ``message`` for this receiver."""
        nonce = os.urandom(16) if random16 is None else random16
        if len(nonce) != 16:
            raise ValueError("the random prefix is 16 bytes")
        body = message.encode("utf-8")
        plain = nonce + struct.pack(">I", len(body)) + body + self.receive_id.encode("utf-8")
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(plain) + enc.finalize()).decode("ascii")

    def decrypt(self, encrypted: str, *, field: str = "Encrypt") -> str:
        """The message inside ``encrypted`` (base64), after checking its padding, length and
        receiver."""
        try:
            raw = base64.b64decode(encrypted.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise BadEnvelope(f"{field} is not valid base64", field=field) from None
        if not raw or len(raw) % 16:
            raise BadEnvelope(
                f"{field} is {len(raw)} bytes, not a whole number of 16-byte AES blocks",
                field=field,
            )
        dec = self._cipher().decryptor()
        plain = dec.update(raw) + dec.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise BadEnvelope(
                f"{field} has bad PKCS#7 padding (last byte {pad}; WeCom pads with 1-{BLOCK} "
                "equal bytes): a wrong EncodingAESKey or a damaged message",
                field=field,
            )
        plain = plain[:-pad]
        if len(plain) < 20:
            raise BadEnvelope(
                f"{field} is too short for the random prefix and the length", field=field
            )
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise BadEnvelope(
                f"{field} declares a {length}-byte message but holds {len(plain) - 20} bytes",
                field=field,
            )
        body, receiver = plain[20 : 20 + length], plain[20 + length :]
        if receiver != self.receive_id.encode("utf-8"):
            raise WrongReceiver(
                f"{field} is sealed for receiver {receiver[:64].decode('utf-8', 'replace')!r}, "
                "not this instance's corp id",
                field=field,
            )
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadEnvelope(f"{field} holds a message that is not UTF-8", field=field) from None
