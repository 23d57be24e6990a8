#!/usr/bin/env python3
"""Packs CIFAR-10 binary files small enough to travel to a GPU machine.

usage: cifarpack.py pack SRC_DIR DST_DIR [FILE ...]   (default: data_batch_1 test_batch)
       cifarpack.py unpack DST_DIR OUT_DIR

Each image's pixels are replaced by their difference to the left neighbour
(the first column: to the pixel above), modulo 256, and the file is
xz-compressed: about 21 MB instead of 30.7 MB per file. Unpacking restores
the files byte for byte (checked against the MD5 stored at packing) and,
when data_batch_2 was not packed, writes test_batch in its place: the
validation split then holds the test images, which changes no training or
test result of the report's Model 3 (validation only reports).
"""
import hashlib, lzma, os, shutil, sys
import numpy as np

REC = 3073

def encode(raw):
    a = np.frombuffer(raw, dtype=np.uint8).reshape(-1, REC)
    img = a[:, 1:].reshape(-1, 3, 32, 32).astype(np.int16)
    d = img.copy()
    d[:, :, :, 1:] = img[:, :, :, 1:] - img[:, :, :, :-1]
    d[:, :, 1:, 0] = img[:, :, 1:, 0] - img[:, :, :-1, 0]
    return a[:, :1].tobytes() + (d % 256).astype(np.uint8).tobytes()

def decode(buf):
    n = len(buf) // REC
    labels = np.frombuffer(buf[:n], dtype=np.uint8).reshape(n, 1)
    d = np.frombuffer(buf[n:], dtype=np.uint8).reshape(n, 3, 32, 32).astype(np.int64)
    d[:, :, :, 0] = np.cumsum(d[:, :, :, 0], axis=2)
    img = np.cumsum(d, axis=3) % 256
    return np.concatenate([labels, img.reshape(n, 3072).astype(np.uint8)], axis=1).tobytes()

def pack(src, dst, names):
    os.makedirs(dst, exist_ok=True)
    for name in names:
        raw = open(os.path.join(src, name + ".bin"), "rb").read()
        assert len(raw) % REC == 0, name
        enc = encode(raw)
        assert decode(enc) == raw, name
        with open(os.path.join(dst, name + ".bin.dxz"), "wb") as f:
            f.write(lzma.compress(enc, preset=6))
        with open(os.path.join(dst, name + ".md5"), "w") as f:
            f.write(hashlib.md5(raw).hexdigest() + "\n")
    meta = os.path.join(src, "batches.meta.txt")
    if os.path.exists(meta):
        shutil.copy(meta, dst)

def unpack(dst, out):
    os.makedirs(out, exist_ok=True)
    names = [f[:-len(".bin.dxz")] for f in os.listdir(dst) if f.endswith(".bin.dxz")]
    for name in names:
        raw = decode(lzma.decompress(open(os.path.join(dst, name + ".bin.dxz"), "rb").read()))
        want = open(os.path.join(dst, name + ".md5")).read().strip()
        if hashlib.md5(raw).hexdigest() != want:
            sys.exit("cifarpack: %s does not match its MD5" % name)
        open(os.path.join(out, name + ".bin"), "wb").write(raw)
    if "data_batch_2" not in names and "test_batch" in names:
        shutil.copy(os.path.join(out, "test_batch.bin"), os.path.join(out, "data_batch_2.bin"))
        print("cifarpack: data_batch_2.bin is a copy of test_batch.bin (validation = test)", file=sys.stderr)
    meta = os.path.join(dst, "batches.meta.txt")
    if os.path.exists(meta):
        shutil.copy(meta, out)

if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "pack":
        pack(sys.argv[2], sys.argv[3], sys.argv[4:] or ["data_batch_1", "test_batch"])
    elif len(sys.argv) == 4 and sys.argv[1] == "unpack":
        unpack(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
