"""Uploads are encrypted as they arrive: no plaintext on disk, never a whole file in memory.

Werkzeug's multipart parser asks ``Request._get_file_stream`` for somewhere to
put each file part and, by default, spools anything over 500 KB to a plaintext
temporary file. The platform's request class (``emisa.limits.PlatformRequest``)
never does: when a view has declared an ``UploadTarget`` (after the access
check), the file part goes into an ``EncryptingSink`` that hashes the plaintext,
seals it segment by segment with the version's data key and writes the
ciphertext into a blob writer, which only becomes visible when the upload is
complete and durable. Requests that declared no target keep small files in
memory and refuse large ones, so no other endpoint can write plaintext to disk
by accident.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from emisa.crypto.keyring import DataKey
from emisa.crypto.stream import StreamEncryptor, ciphertext_size
from emisa.limits import receive_files
from emisa.storage import blobs, new_blob_id

# Multipart framing and the small form fields around the file.
FORM_OVERHEAD = 64 * 1024
PREVIEWABLE = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
_MIME_RE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,40}/[a-z0-9][a-z0-9.+-]{0,50}")


def sniff_type(head: bytes) -> str | None:
    """The type the first bytes prove, for the formats we are willing to preview."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_content_type(declared: str | None, head: bytes) -> str:
    """Previewable types only when the bytes prove them; other declared types are kept as labels."""
    sniffed = sniff_type(head)
    if sniffed:
        return sniffed
    value = (declared or "").split(";", 1)[0].strip().lower()
    if not _MIME_RE.fullmatch(value) or value in PREVIEWABLE:
        return "application/octet-stream"
    return value


def clean_filename(name: str | None) -> str:
    """The last path component, without control characters, at most 200 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    return base[:200] or "document"


class UploadTooLarge(RequestEntityTooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The file is larger than the maximum upload size of {human_size(limit)}; "
            "nothing was stored."
        )


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


class EncryptingSink(io.RawIOBase):
    """The file part's destination: plaintext in, ciphertext into an invisible blob."""

    def __init__(self, target: UploadTarget, filename: str | None, content_type: str | None):
        super().__init__()
        self.target = target
        self.filename = clean_filename(filename)
        # A form's empty file input still sends a part, with no name and no bytes.
        self.named = bool((filename or "").strip())
        self.declared_type = content_type
        self.size = 0
        self.head = b""
        self._sha = hashlib.sha256()
        self._encryptor = StreamEncryptor(target.data_key.key, target.stream_aad)
        self._writer = blobs.open_writer(target.blob_id)
        self._writer.write(self._encryptor.header)
        self.state = "open"

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self.state != "open":
            raise ValueError(f"upload is {self.state}")
        length = len(data)
        self.size += length
        if self.size > self.target.max_bytes:
            self.abort()
            raise UploadTooLarge(self.target.max_bytes)
        self._sha.update(data)
        if len(self.head) < 16:
            self.head += bytes(data[: 16 - len(self.head)])
        sealed = self._encryptor.update(data)
        if sealed:
            self._writer.write(sealed)
        return length

    def seek(self, offset: int, whence: int = 0) -> int:
        # The parser rewinds a finished part before handing it over; nothing to read back.
        return 0

    def readable(self) -> bool:
        return False

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    @property
    def content_type(self) -> str:
        return clean_content_type(self.declared_type, self.head)

    def finish(self) -> None:
        """Seal the last segment and make the blob durable and visible."""
        if self.state != "open":
            raise ValueError(f"upload is {self.state}")
        self._writer.write(self._encryptor.finalize())
        self._writer.commit()
        self.state = "stored"
        self.stored_size = ciphertext_size(self.size)

    def abort(self) -> None:
        if self.state == "open":
            self.state = "aborted"
            self._writer.abort()

    def discard(self) -> None:
        """Remove the blob whatever its state (the database refused the row)."""
        self.abort()
        if self.state == "stored":
            blobs.delete(self.target.blob_id)
            self.state = "aborted"

    def close(self) -> None:
        # Werkzeug closes request files at the end of every request: an upload the view
        # did not finish (an error, a refusal, a dropped connection) leaves nothing behind.
        self.abort()
        super().close()


@dataclass
class UploadTarget:
    """Where the one file of this request goes: set by a view after its access check."""

    group_id: int
    data_key: DataKey
    max_bytes: int
    blob_id: str = field(default_factory=new_blob_id)
    sink: EncryptingSink | None = None

    @property
    def key_aad(self) -> str:
        return f"document-upload:{self.blob_id}"

    @property
    def stream_aad(self) -> bytes:
        return f"emisa-blob:{self.blob_id}".encode()

    def open_sink(self, filename: str | None, content_type: str | None) -> EncryptingSink:
        if self.sink is not None:
            raise BadRequest(_("Send one file per upload."))
        self.sink = EncryptingSink(self, filename, content_type)
        return self.sink


def declare_upload(target: UploadTarget) -> None:
    """Route this request's files to ``target`` and let its body reach the upload limit."""
    receive_files(target.open_sink, current_app.config["EMISA_MAX_UPLOAD_BYTES"] + FORM_OVERHEAD)
