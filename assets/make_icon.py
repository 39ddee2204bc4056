#!/usr/bin/env python3
"""Draws the Customer Desk icon (a loyalty card on a blue tile) as a 256x256 PNG.

Pure standard library, so anyone can regenerate it: python3 assets/make_icon.py
"""
import struct
import sys
import zlib

SIZE = 256


def rounded_rect(x, y, left, top, right, bottom, radius):
    """Coverage (0..1) of pixel (x, y) by a rounded rectangle, with 4x4 supersampling."""
    hits = 0
    for sy in range(4):
        for sx in range(4):
            px, py = x + (sx + 0.5) / 4, y + (sy + 0.5) / 4
            if not (left <= px <= right and top <= py <= bottom):
                continue
            cx = min(max(px, left + radius), right - radius)
            cy = min(max(py, top + radius), bottom - radius)
            if (px - cx) ** 2 + (py - cy) ** 2 <= radius * radius:
                hits += 1
    return hits / 16


def circle(x, y, cx, cy, r):
    hits = 0
    for sy in range(4):
        for sx in range(4):
            px, py = x + (sx + 0.5) / 4, y + (sy + 0.5) / 4
            if (px - cx) ** 2 + (py - cy) ** 2 <= r * r:
                hits += 1
    return hits / 16


def blend(dst, src, a):
    return tuple(round(d * (1 - a) + s * a) for d, s in zip(dst, src))


def pixel(x, y):
    rgba = (0, 0, 0, 0)
    tile = rounded_rect(x, y, 8, 8, 248, 248, 44)
    if tile == 0:
        return rgba
    # A vertical gradient from a light to a deep blue.
    t = y / SIZE
    blue = (round(52 - 20 * t), round(120 - 40 * t), round(220 - 50 * t))
    rgb = blue
    card = rounded_rect(x, y, 40, 70, 216, 186, 16)
    rgb = blend(rgb, (250, 250, 252), card)
    stripe = rounded_rect(x, y, 40, 92, 216, 114, 0) * card
    rgb = blend(rgb, (40, 48, 64), stripe)
    head = circle(x, y, 84, 140, 13)
    body = rounded_rect(x, y, 64, 156, 104, 176, 10)
    rgb = blend(rgb, (52, 120, 220), max(head, body) * card)
    for i, top in enumerate((134, 152)):
        line = rounded_rect(x, y, 122, top, 196 - 30 * i, top + 9, 4)
        rgb = blend(rgb, (150, 160, 178), line * card)
    return rgb + (round(255 * tile),)


def png(width, height, pixel_fn):
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            raw.extend(pixel_fn(x, y))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "assets/icon.png"
    with open(out, "wb") as f:
        f.write(png(SIZE, SIZE, pixel))
