"""Test files generated at run time with Pillow and the standard library (nothing binary is
committed). Every function returns the file's bytes.

Images share one pattern so orientation can be checked after decoding: white, with a red
top-left quadrant and a blue bottom-right quadrant (as stored, before EXIF orientation).
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

from PIL import Image, ImageCms, ImageDraw

RED = (255, 0, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)


def pattern_image(
    width: int = 64, height: int = 48, *, mode: str = "RGB", noise: bool = False
) -> Image.Image:
    """The shared test pattern; `noise` adds seeded speckles so JPEG data is not tiny."""
    image = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2 - 1, height // 2 - 1), fill=RED)
    draw.rectangle((width // 2, height // 2, width - 1, height - 1), fill=BLUE)
    if noise:
        rng = random.Random(width * 7919 + height)
        for _ in range(width * height // 4):
            x, y = rng.randrange(width), rng.randrange(height)
            image.putpixel((x, y), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    if mode == "RGBA":
        image = image.convert("RGBA")
        image.putalpha(Image.linear_gradient("L").resize((width, height)))
        return image
    if mode == "P":
        return image.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return image.convert(mode)


def _exif(orientation: int | None) -> bytes:
    if orientation is None:
        return b""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_bytes(
    width: int = 64,
    height: int = 48,
    *,
    mode: str = "RGB",
    exif_orientation: int | None = None,
    progressive: bool = False,
    quality: int = 90,
    noise: bool = False,
    icc_profile: bool = False,
) -> bytes:
    """A valid JPEG; `mode` is "RGB", "L" (grayscale) or "CMYK"."""
    buffer = io.BytesIO()
    options: dict[str, object] = {"quality": quality, "progressive": progressive}
    if exif_orientation is not None:
        options["exif"] = _exif(exif_orientation)
    if icc_profile:
        options["icc_profile"] = _srgb_profile()
    pattern_image(width, height, mode=mode, noise=noise).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def png_bytes(
    width: int = 64,
    height: int = 48,
    *,
    mode: str = "RGB",
    exif_orientation: int | None = None,
) -> bytes:
    """A valid PNG; `mode` is "RGB", "RGBA", "P" (palette), "L", "LA" or "I;16"."""
    buffer = io.BytesIO()
    options: dict[str, object] = {}
    if exif_orientation is not None:
        options["exif"] = _exif(exif_orientation)
    if mode == "I;16":
        image = pattern_image(width, height, mode="L").convert("I")
        image = image.point(lambda value: value * 257).convert("I;16")
    elif mode == "LA":
        image = pattern_image(width, height, mode="RGBA").convert("LA")
    else:
        image = pattern_image(width, height, mode=mode)
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def palette_png_with_transparency(width: int = 64, height: int = 48) -> bytes:
    """A palette PNG whose white is transparent (tRNS chunk)."""
    image = pattern_image(width, height, mode="P")
    white_index = image.getpixel((width - 1, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=white_index)
    return buffer.getvalue()


def _png_chunk(chunk_type: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def png_with_claimed_size(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose IHDR claims `width`×`height`; its pixel data is a few bytes only, so
    only a check of the header (before decoding) can reject it for its size."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def jpeg_with_claimed_size(width: int = 30000, height: int = 30000) -> bytes:
    """A small JPEG whose SOF header is patched to claim `width`×`height` (max 65535)."""
    data = bytearray(jpeg_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _start_of_scan(data: bytes) -> int:
    return data.index(b"\xff\xda")


def truncated_jpeg() -> bytes:
    """A JPEG cut in the middle of its compressed pixel data."""
    data = jpeg_bytes(200, 150, noise=True)
    sos = _start_of_scan(data)
    return data[: sos + (len(data) - sos) // 2]


def truncated_png() -> bytes:
    """A PNG cut in the middle of its IDAT chunk."""
    data = png_bytes(200, 150)
    idat = data.index(b"IDAT")
    return data[: idat + 40]


def png_with_bad_crc() -> bytes:
    """A PNG whose IDAT checksum is wrong."""
    data = bytearray(png_bytes())
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    data[idat + 4 + length] ^= 0xFF
    return bytes(data)


def jpeg_without_eoi() -> bytes:
    """A complete JPEG with its end-of-image marker removed."""
    data = jpeg_bytes()
    assert data.endswith(b"\xff\xd9")
    return data[:-2]


def animated_png(width: int = 32, height: int = 24) -> bytes:
    """An APNG with two different frames."""
    first = pattern_image(width, height)
    second = first.transpose(Image.Transpose.ROTATE_180)
    buffer = io.BytesIO()
    first.save(buffer, "PNG", save_all=True, append_images=[second], duration=100, loop=0)
    return buffer.getvalue()


def mpo_jpeg(width: int = 32, height: int = 24) -> bytes:
    """A multi-picture JPEG (MPO, as 3D cameras write) with two pictures."""
    first = pattern_image(width, height)
    second = first.transpose(Image.Transpose.ROTATE_180)
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    return buffer.getvalue()


def _pillow_bytes(image_format: str, image: Image.Image | None = None, **options: object) -> bytes:
    buffer = io.BytesIO()
    (image or pattern_image(32, 24)).save(buffer, image_format, **options)
    return buffer.getvalue()


def gif_bytes() -> bytes:
    return _pillow_bytes("GIF")


def webp_bytes() -> bytes:
    try:
        return _pillow_bytes("WEBP")
    except (KeyError, OSError):
        # Pillow built without libwebp: the container header is what matters here.
        body = b"WEBPVP8 " + struct.pack("<I", 10) + bytes(10)
        return b"RIFF" + struct.pack("<I", len(body)) + body


def bmp_bytes() -> bytes:
    return _pillow_bytes("BMP")


def tiff_bytes() -> bytes:
    return _pillow_bytes("TIFF")


def heic_bytes() -> bytes:
    """The start of a HEIC file (an ISO-BMFF `ftyp` box with the heic brand)."""
    ftyp = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    meta = b"meta" + bytes(32)
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(meta) + 4) + meta


def svg_bytes() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(document.domain)</script>"
        b'<rect width="10" height="10" fill="red"/></svg>\n'
    )


def html_bytes() -> bytes:
    return (
        b"<!DOCTYPE html>\n<html><head><title>x</title></head>"
        b"<body><script>alert(document.cookie)</script></body></html>\n"
    )


def text_bytes() -> bytes:
    return "营业执照号码: 91350100M000100Y43\n".encode()


def pdf_bytes() -> bytes:
    """A minimal one-page PDF."""
    return (
        b"%PDF-1.4\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def zip_bytes(files: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (files or {"readme.txt": b"hello\n"}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    """The skeleton of a Word document (a ZIP archive with word/document.xml)."""
    return zip_bytes(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document/>',
        }
    )


def empty_bytes() -> bytes:
    return b""


def elf_bytes() -> bytes:
    """The start of a 64-bit little-endian Linux executable."""
    return b"\x7fELF\x02\x01\x01\x00" + bytes(8) + struct.pack("<HHI", 2, 0x3E, 1) + bytes(40)


def pe_bytes() -> bytes:
    """The start of a Windows executable (MZ header, DOS stub, PE signature)."""
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    header = b"MZ" + bytes(58) + struct.pack("<I", 128)
    return header + stub + bytes(128 - len(header) - len(stub)) + b"PE\x00\x00" + bytes(20)


def polyglot_jpeg_zip() -> bytes:
    """A valid JPEG with a ZIP archive appended (readable both as an image and a ZIP)."""
    return jpeg_bytes() + zip_bytes({"payload.html": html_bytes()})


def polyglot_jpeg_html() -> bytes:
    """A valid JPEG with an HTML page appended."""
    return jpeg_bytes() + html_bytes() * 20


def polyglot_png_zip() -> bytes:
    """A valid PNG with a ZIP archive appended after IEND."""
    return png_bytes() + zip_bytes()


def jpeg_without_eoi_with_html() -> bytes:
    """A JPEG missing its end marker, followed by HTML: Pillow decodes it, it is no image."""
    return jpeg_without_eoi() + html_bytes() * 20


def html_with_jpeg_header() -> bytes:
    """An HTML page behind the first bytes of a JPEG (SOI and a JFIF APP0 segment)."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + html_bytes()


def jpeg_with_trailing(size: int, fill: bytes = b"\x00") -> bytes:
    """A valid JPEG followed by `size` bytes made of `fill` repeated."""
    return jpeg_bytes() + (fill * size)[:size]


def jpeg_with_camera_trailer() -> bytes:
    """A JPEG followed by a small vendor block, as some phones append after the image."""
    return jpeg_bytes() + b"\x00\x00Image_UTC_Data1700000000000SEFH" + bytes(24)


def all_rejected_samples() -> dict[str, bytes]:
    """Every sample inspect_image must reject, by name."""
    return {
        "empty": empty_bytes(),
        "gif": gif_bytes(),
        "webp": webp_bytes(),
        "bmp": bmp_bytes(),
        "tiff": tiff_bytes(),
        "heic": heic_bytes(),
        "svg": svg_bytes(),
        "html": html_bytes(),
        "text": text_bytes(),
        "pdf": pdf_bytes(),
        "zip": zip_bytes(),
        "docx": docx_bytes(),
        "elf": elf_bytes(),
        "pe": pe_bytes(),
        "truncated_jpeg": truncated_jpeg(),
        "truncated_png": truncated_png(),
        "png_bad_crc": png_with_bad_crc(),
        "jpeg_without_eoi": jpeg_without_eoi(),
        "animated_png": animated_png(),
        "mpo": mpo_jpeg(),
        "huge_png": png_with_claimed_size(),
        "huge_jpeg": jpeg_with_claimed_size(),
        "polyglot_jpeg_zip": polyglot_jpeg_zip(),
        "polyglot_jpeg_html": polyglot_jpeg_html(),
        "polyglot_png_zip": polyglot_png_zip(),
        "jpeg_without_eoi_html": jpeg_without_eoi_with_html(),
        "html_with_jpeg_header": html_with_jpeg_header(),
    }


def all_accepted_samples() -> dict[str, bytes]:
    """Every sample inspect_image must accept, by name."""
    return {
        "jpeg_rgb": jpeg_bytes(),
        "jpeg_grayscale": jpeg_bytes(mode="L"),
        "jpeg_cmyk": jpeg_bytes(mode="CMYK"),
        "jpeg_progressive": jpeg_bytes(progressive=True, noise=True),
        "jpeg_exif_orientation_6": jpeg_bytes(exif_orientation=6),
        "jpeg_icc": jpeg_bytes(icc_profile=True),
        "jpeg_zero_padding": jpeg_with_trailing(2048),
        "jpeg_camera_trailer": jpeg_with_camera_trailer(),
        "png_rgb": png_bytes(),
        "png_rgba": png_bytes(mode="RGBA"),
        "png_palette": png_bytes(mode="P"),
        "png_palette_transparent": palette_png_with_transparency(),
        "png_grayscale": png_bytes(mode="L"),
        "png_grayscale_alpha": png_bytes(mode="LA"),
        "png_16_bit": png_bytes(mode="I;16"),
    }


# --- Metadata: what a phone or an editor leaves in a file, and parsers to look for it ----------

# Every one of these is written into the files below and must be absent after cleaning.
METADATA_SECRETS = (
    b"SECRET-XMP-7f3a",
    b"SECRET-IPTC-BYLINE",
    b"SECRET-COMMENT-91c2",
    b"SECRET-HIDDEN-IN-COMMENT",
    b"SECRET-AFTER-END",
    b"SECRET-PNG-TEXT",
    b"SECRET-PNG-ZTXT",
    b"SECRET-PNG-ITXT",
    b"SECRET-PRIVATE-CHUNK",
    b"SECRET-CAMERA-MODEL",
)
GPS = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 29.0)}


def exif_with_gps(orientation: int | None = 6) -> bytes:
    """EXIF with a GPS position, a camera model and (optionally) an orientation."""
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    exif[0x0110] = METADATA_SECRETS[9].decode()  # Model
    exif.get_ifd(0x8825).update(GPS)
    return exif.tobytes()


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _photoshop_iptc() -> bytes:
    """An APP13 "Photoshop 3.0" block with one IPTC record (2:80, the by-line)."""
    byline = METADATA_SECRETS[1]
    iptc = b"\x1c\x02\x50" + struct.pack(">H", len(byline)) + byline
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    return b"Photoshop 3.0\x00" + resource + b"\x00" * (len(iptc) % 2)


def jpeg_with_metadata(
    width: int = 80,
    height: int = 40,
    *,
    orientation: int | None = 6,
    mode: str = "RGB",
    subsampling: int = 2,
) -> bytes:
    """A phone-like JPEG: EXIF (GPS, model, orientation), XMP, IPTC (APP13), two comments (one
    with binary bytes), an ICC profile, and text after the end-of-image marker."""
    buffer = io.BytesIO()
    pattern_image(width, height, mode=mode).save(
        buffer,
        "JPEG",
        quality=90,
        subsampling=subsampling,
        exif=exif_with_gps(orientation),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + METADATA_SECRETS[0] + b"</x:xmpmeta>",
        comment=METADATA_SECRETS[2],
        icc_profile=_srgb_profile(),
    )
    data = buffer.getvalue()
    extra = _jpeg_segment(0xED, _photoshop_iptc()) + _jpeg_segment(
        0xFE, b"\x00\x01\xff" + METADATA_SECRETS[3]
    )
    return data[:2] + extra + data[2:] + METADATA_SECRETS[4]


def png_with_metadata(
    width: int = 80, height: int = 40, *, mode: str = "RGBA", orientation: int | None = 6
) -> bytes:
    """A PNG with tEXt, zTXt, iTXt, eXIf (GPS, orientation), tIME, a private chunk, an iCCP
    profile, and text after IEND."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", METADATA_SECRETS[5].decode())
    info.add_text("Description", METADATA_SECRETS[6].decode(), zip=True)
    info.add_itxt("Author", METADATA_SECRETS[7].decode(), lang="en", tkey="Author")
    info.add(b"tIME", struct.pack(">HBBBBB", 2026, 1, 2, 3, 4, 5))
    info.add(b"prVt", METADATA_SECRETS[8])
    buffer = io.BytesIO()
    pattern_image(width, height, mode=mode).save(
        buffer,
        "PNG",
        pnginfo=info,
        exif=exif_with_gps(orientation),
        icc_profile=_srgb_profile(),
    )
    return buffer.getvalue() + METADATA_SECRETS[4]


def jpeg_markers(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment up to and including EOI, which must end the data.

    Entropy-coded data after a start of scan is skipped; the markers of later scans follow.
    """
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    found: list[tuple[int, bytes]] = [(0xD8, b"")]
    pos = 2
    while True:
        assert data[pos] == 0xFF, f"no marker at {pos}"
        marker = data[pos + 1]
        if marker == 0xD9:
            found.append((marker, b""))
            assert pos + 2 == len(data), f"{len(data) - pos - 2} bytes after EOI"
            return found
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        found.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
        if marker == 0xDA:
            while not (data[pos] == 0xFF and data[pos + 1] not in (0x00, *range(0xD0, 0xD8))):
                pos += 1


def jpeg_icc_profile(data: bytes) -> bytes:
    """The ICC profile of a JPEG, joined from its APP2 ICC_PROFILE segments."""
    chunks = [p for m, p in jpeg_markers(data) if m == 0xE2 and p.startswith(b"ICC_PROFILE\0")]
    return b"".join(p[14:] for p in sorted(chunks, key=lambda p: p[12]))


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of every chunk; IEND must end the data."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
    found: list[tuple[bytes, bytes]] = []
    pos = 8
    while True:
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        chunk_type = data[pos + 4 : pos + 8]
        found.append((chunk_type, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
        if chunk_type == b"IEND":
            assert pos == len(data), f"{len(data) - pos} bytes after IEND"
            return found


def png_icc_profile(data: bytes) -> bytes:
    [payload] = [p for t, p in png_chunks(data) if t == b"iCCP"]
    name_end = payload.index(b"\0")
    return zlib.decompress(payload[name_end + 2 :])


# Segments a clean JPEG may hold: JFIF (no thumbnail), ICC profile, Adobe colour transform, and
# what decoding needs. Chunks a clean PNG may hold: the picture, its palette, transparency and
# colour description.
JPEG_APP_KEPT = {0xE0, 0xE2, 0xEE}
PNG_CHUNKS_KEPT = {
    b"IHDR",
    b"PLTE",
    b"tRNS",
    b"IDAT",
    b"IEND",
    b"iCCP",
    b"sRGB",
    b"gAMA",
    b"cHRM",
    b"sBIT",
    b"pHYs",
    b"bKGD",
}


def assert_no_metadata(data: bytes) -> None:
    """Parse `data` (the parsers also refuse bytes after the end) and look for any metadata."""
    for secret in METADATA_SECRETS:
        assert secret not in data, secret
    if data.startswith(b"\xff\xd8"):
        for marker, payload in jpeg_markers(data):
            assert marker not in (0xE1, 0xED, 0xFE), hex(marker)  # EXIF/XMP, IPTC, comment
            if 0xE0 <= marker <= 0xEF:
                assert marker in JPEG_APP_KEPT, hex(marker)
            if marker == 0xE0:
                assert payload[:5] == b"JFIF\0"
                assert payload[12:14] == b"\0\0"  # no thumbnail
            if marker == 0xE2:
                assert payload.startswith(b"ICC_PROFILE\0")
    else:
        types = {chunk_type for chunk_type, _ in png_chunks(data)}
        assert types <= PNG_CHUNKS_KEPT, types - PNG_CHUNKS_KEPT
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert not image.getexif()
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop"} & set(image.info)
