#!/usr/bin/python3
"""Writes the DeepFaceLab-format aligned faces in this folder (for the faceset import tests).

DeepFaceLab stores an aligned face's metadata as pickle.dumps(dict) in a JPEG APP15 segment,
inserted after the image's last APPn segment (DFLJPG.dump); the dict holds 'face_type',
'landmarks' (a list of 68 [x, y] in the face image's pixels), 'source_filename',
'source_rect', 'source_landmarks', 'image_to_face_mat' (a numpy float64 2x3),
'eyebrows_expand_mod', and optionally 'seg_ie_polys' ({'polys': [{'type': 0 exclude | 1
include, 'pts': numpy float32 (n, 2)}]}) and 'xseg_mask' (a numpy uint8 buffer of an encoded
PNG, at the XSeg model's resolution, which may differ from the face's). This script builds such files with Python's own pickle and real numpy from faces that
Doppel aligned (face_type whole_face, 256 px) from frames of tests/data/video/grid_s2_150f.mp4:

  doppel new --workspace ws --src tests/data/video/grid_s2_150f.mp4 --dst <any video>
  doppel extract --workspace ws --side src --set fps=1
  doppel align --workspace ws --side src --set face_type=whole_face --set size=256
  /usr/bin/python3 tests/data/dfl/make_dfl_faces.py ws/data_src/aligned tests/data/dfl

Needs python3-numpy. The pixels are the GRID corpus' (see ../ATTRIBUTION.md).
"""
import json
import pickle
import struct
import sys
import zlib
from pathlib import Path

import numpy as np


def aligned_landmarks(meta):
    m = meta["frame_to_aligned"]
    return [[m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]] for x, y in meta["landmarks"]]


def with_app15(jpeg, payload):
    """The JPEG with an APP15 segment after its last APPn segment, as DFLJPG.dump places it."""
    assert jpeg[:2] == b"\xff\xd8"
    at, insert_at = 2, 2
    while True:
        marker = jpeg[at + 1]
        if marker == 0xDA:
            break
        length = struct.unpack(">H", jpeg[at + 2:at + 4])[0]
        if marker & 0xF0 == 0xE0:
            insert_at = at + 2 + length
        at += 2 + length
    assert len(payload) + 2 <= 0xFFFF
    segment = b"\xff\xef" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:insert_at] + segment + jpeg[insert_at:]


def half_mask_png(width, height):
    """A grey PNG, 255 (face) in the left half and 0 in the right: XSeg's output at its own size."""
    rows = b"".join(b"\x00" + b"\xff" * (width // 2) + b"\x00" * (width - width // 2)
                    for _ in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def dfl_dict(meta, stem):
    lm = aligned_landmarks(meta)
    m = meta["frame_to_aligned"]
    x, y, w, h = meta["box"]
    return {
        "face_type": "whole_face",
        "landmarks": lm,
        "source_filename": stem.split("_")[0] + ".png",
        "source_rect": (int(x), int(y), int(x + w), int(y + h)),
        "source_landmarks": [list(p) for p in meta["landmarks"]],
        "image_to_face_mat": np.array([m[0:3], m[3:6]], dtype=np.float64),
        "eyebrows_expand_mod": 1.0,
    }


def main(aligned_dir, out_dir):
    aligned_dir, out_dir = Path(aligned_dir), Path(out_dir)
    # name in DeepFaceLab's style -> (Doppel face, pickle protocol, extras)
    plan = {
        "00001_0": ("000001_0", 4, None),
        "00051_0": ("000051_0", 4, None),
        "00101_0": ("000101_0", 4, "polys"),   # XSeg polygons drawn: include face, exclude mouth
        "00126_0": ("000126_0", 3, "xseg"),    # protocol 3 (Python < 3.8), an applied XSeg mask
        "00026_0": ("000026_0", 4, "broken"),  # the pickle cut short: must fall back to detection
    }
    expected = {}
    for name, (doppel_stem, protocol, extra) in plan.items():
        meta = json.loads((aligned_dir / (doppel_stem + ".json")).read_text())
        d = dfl_dict(meta, name)
        lm = d["landmarks"]
        if extra == "polys":
            hull = [lm[i] for i in list(range(0, 17)) + list(range(26, 16, -1))]
            mouth = [lm[i] for i in range(48, 60)]
            d["seg_ie_polys"] = {"polys": [{"type": 1, "pts": np.float32(hull)},
                                           {"type": 0, "pts": np.float32(mouth)}]}
        if extra == "xseg":
            d["xseg_mask"] = np.frombuffer(half_mask_png(128, 128), dtype=np.uint8)
        payload = pickle.dumps(d, protocol=protocol)
        if extra == "broken":
            payload = payload[: len(payload) // 2]
        jpeg = (aligned_dir / (doppel_stem + ".jpg")).read_bytes()
        (out_dir / (name + ".jpg")).write_bytes(with_app15(jpeg, payload))
        expected[name] = {"nose_tip": lm[30], "chin": lm[8]}
    print(json.dumps(expected, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
