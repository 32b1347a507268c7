"""Profile photos: decoded and re-encoded here, so what is served is never what was sent.

Pillow (maintained) reads JPEG, PNG and WebP only; the picture is turned upright, scaled
to fit ``MAX_SIDE`` and written as a fresh JPEG with no metadata at all (EXIF with its GPS
position, XMP, ICC, comments: the new file carries pixels only). A file of more than
``MAX_PIXELS`` pixels is refused before it is decoded, which also stops decompression
bombs (a tiny file that expands to gigabytes); Pillow's own bomb check is a second guard.
"""

from __future__ import annotations

import io
import warnings

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from emisa.operations import OperationError

MAX_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 512
FORMATS = ("JPEG", "PNG", "WEBP")


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """The photo as a fresh JPEG (bytes, width, height), or OperationError with a sentence."""
    if not data:
        raise OperationError(_("Choose a photo to upload."))
    if len(data) > MAX_BYTES:
        raise OperationError(
            _("The photo is larger than %(size)d MiB.", size=MAX_BYTES // (1024 * 1024)), 413
        )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it: refuse those as well.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise OperationError(_bomb_message(), 413)
                image.draft("RGB", (MAX_SIDE * 2, MAX_SIDE * 2))  # JPEG: decode at lower scale
                image.load()
                picture = ImageOps.exif_transpose(image)
                picture = _flatten(picture)
                picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise OperationError(_bomb_message(), 413) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise OperationError(
            _("This file is not a JPEG, PNG or WebP picture we can read.")
        ) from None
    # Pixels only: a new image from the raw bytes has no ``info`` for the encoder to copy
    # (Pillow writes a JPEG comment, ICC profile or EXIF it finds there).
    clean = Image.frombytes("RGB", picture.size, picture.tobytes())
    output = io.BytesIO()
    clean.save(output, format="JPEG", quality=85, optimize=True)
    return output.getvalue(), clean.width, clean.height


def _flatten(image: Image.Image) -> Image.Image:
    """Plain RGB; a transparent background becomes white."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _bomb_message() -> str:
    return _(
        "The picture has more than %(pixels)d million pixels; upload a smaller picture.",
        pixels=MAX_PIXELS // 1_000_000,
    )
