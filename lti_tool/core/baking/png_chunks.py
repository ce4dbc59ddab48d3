"""Read and write the PNG chunk layer (PNG 2003 §5 Datastream structure, §11.2.2 IHDR).

Only structure is checked: signature, chunk framing, CRCs, IHDR first and well-formed, at least one
IDAT, IEND last. Pixel data is never decompressed.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from .errors import BakingError
from .limits import MAX_DIMENSION, check_image_size

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CHUNK_LENGTH = 2**31 - 1
"""PNG §5.3: a chunk length is at most 2^31-1."""

_IHDR_LENGTH = 13
_ALLOWED_BIT_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}


@dataclass(frozen=True)
class Chunk:
    """One PNG chunk: its four-letter type and its data (length and CRC are derived)."""

    type: bytes
    data: bytes

    @property
    def name(self) -> str:
        """Return the chunk type as text, for messages."""
        return self.type.decode("latin-1")


@dataclass(frozen=True)
class PngInfo:
    """Image facts read from IHDR."""

    width: int
    height: int


def read_chunks(data: bytes) -> tuple[list[Chunk], PngInfo]:
    """Split a PNG datastream into chunks, verifying framing, every CRC, IHDR, IDAT and IEND (PNG §5.2-§5.6)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BakingError(f"PNG data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    check_image_size(len(data), "PNG")
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image: the 8-byte PNG signature is missing")
    chunks: list[Chunk] = []
    info: PngInfo | None = None
    seen_idat = False
    pos = len(PNG_SIGNATURE)
    while True:
        if pos == len(data):
            raise BakingError("PNG is truncated: it ends without an IEND chunk")
        chunk, pos = _read_one(data, pos)
        if not chunks and chunk.type != b"IHDR":
            raise BakingError(f"PNG is malformed: the first chunk must be IHDR, found {chunk.name}")
        if chunk.type == b"IHDR":
            if chunks:
                raise BakingError("PNG is malformed: IHDR appears more than once")
            info = _parse_ihdr(chunk.data)
        seen_idat = seen_idat or chunk.type == b"IDAT"
        chunks.append(chunk)
        if chunk.type == b"IEND":
            break
    if chunks[-1].data:
        raise BakingError(f"PNG is malformed: IEND must be empty but holds {len(chunks[-1].data)} bytes")
    if pos != len(data):
        raise BakingError(f"PNG is malformed: {len(data) - pos} bytes follow the IEND chunk")
    if not seen_idat:
        raise BakingError("PNG is malformed: it has no IDAT (image data) chunk")
    if info is None:  # unreachable: the first chunk was checked to be IHDR
        raise BakingError("PNG is malformed: IHDR is missing")
    return chunks, info


def _read_one(data: bytes, pos: int) -> tuple[Chunk, int]:
    """Read the chunk starting at ``pos`` and return it with the offset of the next chunk (PNG §5.3)."""
    if len(data) - pos < 8:
        raise BakingError(f"PNG is truncated: {len(data) - pos} bytes at offset {pos} cannot hold a chunk header")
    length, ctype = struct.unpack_from(">I4s", data, pos)
    if not (ctype.isascii() and ctype.isalpha()):
        raise BakingError(f"PNG is malformed: invalid chunk type {ctype!r} at offset {pos}")
    name = ctype.decode("ascii")
    if length > MAX_CHUNK_LENGTH:
        raise BakingError(f"PNG is malformed: chunk {name} declares {length} bytes, above the PNG limit of 2^31-1")
    remaining = len(data) - pos - 8
    if length > remaining:
        raise BakingError(f"PNG is truncated: chunk {name} declares {length} bytes but only {remaining} remain")
    if remaining - length < 4:
        raise BakingError(f"PNG is truncated: chunk {name} at offset {pos} is missing its 4-byte CRC")
    body = data[pos + 8 : pos + 8 + length]
    (stored_crc,) = struct.unpack_from(">I", data, pos + 8 + length)
    actual_crc = zlib.crc32(ctype + body)
    if stored_crc != actual_crc:
        raise BakingError(
            f"PNG is corrupt: CRC mismatch in chunk {name} at offset {pos} "
            f"(stored {stored_crc:08x}, computed {actual_crc:08x})"
        )
    return Chunk(ctype, body), pos + 12 + length


def _parse_ihdr(body: bytes) -> PngInfo:
    """Validate IHDR (PNG §11.2.2) and enforce :data:`MAX_DIMENSION`."""
    if len(body) != _IHDR_LENGTH:
        raise BakingError(f"PNG is malformed: IHDR must be {_IHDR_LENGTH} bytes, found {len(body)}")
    width, height, depth, colour, compression, filter_method, interlace = struct.unpack(">IIBBBBB", body)
    if width == 0 or height == 0:
        raise BakingError(f"PNG is malformed: image is {width}x{height} pixels")
    if width > MAX_DIMENSION or height > MAX_DIMENSION:
        raise BakingError(f"PNG is {width}x{height} pixels; the limit is {MAX_DIMENSION} pixels per side")
    if depth not in _ALLOWED_BIT_DEPTHS.get(colour, ()):
        raise BakingError(f"PNG is malformed: bit depth {depth} is not allowed with colour type {colour}")
    if compression != 0 or filter_method != 0 or interlace not in (0, 1):
        raise BakingError("PNG is malformed: IHDR has an unknown compression, filter or interlace method")
    return PngInfo(width=width, height=height)


def write_chunks(chunks: list[Chunk]) -> bytes:
    """Serialise chunks after the PNG signature, computing each length and CRC (PNG §5.3)."""
    parts = [PNG_SIGNATURE]
    for chunk in chunks:
        parts.append(struct.pack(">I", len(chunk.data)))
        parts.append(chunk.type)
        parts.append(chunk.data)
        parts.append(struct.pack(">I", zlib.crc32(chunk.type + chunk.data)))
    return b"".join(parts)


def text_keyword(chunk: Chunk) -> bytes | None:
    """Return the keyword of a ``tEXt``, ``zTXt`` or ``iTXt`` chunk (PNG 2003 §11.3.4), or None for other chunks."""
    if chunk.type not in (b"tEXt", b"zTXt", b"iTXt"):
        return None
    end = chunk.data.find(b"\x00", 0, 80)
    if end < 1:
        return None
    return chunk.data[:end]
