#!/usr/bin/env python3
"""zxing-cpp, the scan benchmark's outside peer: reads the frames the
benchmark wrote and reports what it found and how long each read took.

    python3 bench/zxing_cpp_peer.py DIR

DIR holds `frames.txt` (one PGM file name a line) and the PGM files. Prints
one JSON object a line: {"file", "texts", "ms"}. The time is the
`read_barcodes` call alone (the image already in memory), like the Rust
decoders' times. Needs `pip install zxing-cpp pillow` (for the benchmark
only; nothing in Baodao depends on it).
"""

import json
import sys
import time

import zxingcpp
from PIL import Image


def main() -> None:
    folder = sys.argv[1]
    with open(f"{folder}/frames.txt", encoding="utf-8") as listing:
        names = [line.strip() for line in listing if line.strip()]
    # QR codes only, as the kiosk; otherwise the library's defaults (try
    # harder, rotate, downscale, invert), which is how it is usually used.
    formats = zxingcpp.BarcodeFormat.QRCode
    for index, name in enumerate(names):
        with Image.open(f"{folder}/{name}") as image:
            luma = image.convert("L")
            pixels = memoryview(luma.tobytes()).cast("B", (luma.height, luma.width))
        if index == 0:
            zxingcpp.read_barcodes(pixels, formats=formats)  # warm up
        start = time.perf_counter()
        found = zxingcpp.read_barcodes(pixels, formats=formats)
        ms = (time.perf_counter() - start) * 1000.0
        texts = [b.text for b in found if b.valid]
        print(json.dumps({"file": name, "texts": texts, "ms": ms}), flush=True)


if __name__ == "__main__":
    main()
