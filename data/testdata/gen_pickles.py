#!/usr/bin/python3
"""Generates the small CIFAR-10 pickle fixtures of package data's tests.

Run from this directory with Debian's python3 and numpy
(apt-get install -y python3-numpy):

    /usr/bin/python3 gen_pickles.py

Every image and label is a function of (batch, image index, byte index),
mirrored by fixturePixel and fixtureLabel in the Go tests:

    pixel = (101*batch + 31*image + 7*byte) % 256
    label = (3*batch + 7*image + 1) % 10

Outputs:
  mini-py/               a miniature of the official Python directory (each file
                         with a .pkl suffix; tests lay it out as cifar-10-batches-py):
                         data_batch_1..5 (batch 1..5) and test_batch (batch 6),
                         3 images each, and batches.meta, all written the way
                         the official files were: Python 2 cPickle protocol 2,
                         numpy array data as a Python 2 str (BINSTRING).
  pickle/*.pkl           one batch (batch 0, 4 images) per encoding the reader
                         must accept, and malformed batches it must reject.

Python 3 cannot write Python 2 str objects, so the Python 2 files are
assembled opcode by opcode below, copying the layout of the official files,
and then checked by loading them back with pickle.loads(encoding="latin1"),
the documented way to read them from Python 3.
"""

import datetime
import os
import pickle
import struct

import numpy as np

IMAGE = 3072
CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck"]


def pixels(batch, n):
    i = np.arange(n, dtype=np.int64)[:, None]
    j = np.arange(IMAGE, dtype=np.int64)[None, :]
    return ((101 * batch + 31 * i + 7 * j) % 256).astype(np.uint8)


def labels(batch, n):
    return [(3 * batch + 7 * i + 1) % 10 for i in range(n)]


class Py2Pickler:
    """Writes protocol 2 opcodes the way Python 2's cPickle did."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")
        self.memo = 0

    def put(self):
        # cPickle memoizes every container and string it writes.
        self.out += b"q" + bytes([self.memo]) if self.memo < 256 else b"r" + struct.pack("<I", self.memo)
        self.memo += 1

    def op(self, code):
        self.out += code

    def str_(self, s):  # a Python 2 str: raw bytes
        if isinstance(s, str):
            s = s.encode("latin1")
        if len(s) < 256:
            self.out += b"U" + bytes([len(s)]) + s
        else:
            self.out += b"T" + struct.pack("<i", len(s)) + s
        self.put()

    def int_(self, v):
        if 0 <= v < 256:
            self.out += b"K" + bytes([v])
        elif 0 <= v < 65536:
            self.out += b"M" + struct.pack("<H", v)
        else:
            self.out += b"J" + struct.pack("<i", v)

    def global_(self, module, name):
        self.out += b"c" + module.encode() + b"\n" + name.encode() + b"\n"
        self.put()

    def ndarray(self, a):
        # numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b'),
        # then BUILD with (1, shape, dtype, is_fortran, rawdata).
        self.global_("numpy.core.multiarray", "_reconstruct")
        self.global_("numpy", "ndarray")
        self.int_(0)
        self.op(b"\x85")  # TUPLE1
        self.put()
        self.str_("b")
        self.op(b"\x87R")  # TUPLE3 REDUCE
        self.put()
        self.op(b"(")
        self.int_(1)
        for d in a.shape:
            self.int_(d)
        self.op({1: b"\x85", 2: b"\x86", 3: b"\x87"}.get(len(a.shape), b"t"))
        self.put()
        # numpy.dtype('u1', 0, 1) with state (3, '|', None, None, None, -1, -1, 0)
        self.global_("numpy", "dtype")
        self.str_(a.dtype.str[1:])
        self.int_(0)
        self.int_(1)
        self.op(b"\x87R")
        self.put()
        self.op(b"(")
        self.int_(3)
        self.str_(a.dtype.str[0])
        self.op(b"NNN")
        self.out += b"J" + struct.pack("<i", -1) + b"J" + struct.pack("<i", -1)
        self.int_(0)
        self.op(b"t")
        self.put()
        self.op(b"b")
        self.op(b"\x89")  # is_fortran: False
        self.str_(a.tobytes())
        self.op(b"t")
        self.put()
        self.op(b"b")

    def list_of(self, items, emit):
        self.op(b"]")
        self.put()
        if items:
            self.op(b"(")
            for x in items:
                emit(x)
            self.op(b"e")

    def dict_(self, entries):
        self.op(b"}")
        self.put()
        self.op(b"(")
        for k, emit in entries:
            self.str_(k)
            emit()
        self.op(b"u")

    def done(self):
        self.op(b".")
        return bytes(self.out)


def py2_batch(batch, n, batch_label):
    p = Py2Pickler()
    p.dict_([
        ("data", lambda: p.ndarray(pixels(batch, n))),
        ("labels", lambda: p.list_of(labels(batch, n), p.int_)),
        ("batch_label", lambda: p.str_(batch_label)),
        ("filenames", lambda: p.list_of(["img_%d_%d.png" % (batch, i) for i in range(n)], p.str_)),
    ])
    raw = p.done()
    d = pickle.loads(raw, encoding="latin1")  # how Python 3 reads the official files
    assert (d["data"] == pixels(batch, n)).all() and d["data"].dtype == np.uint8
    assert d["labels"] == labels(batch, n)
    return raw


def py2_meta():
    p = Py2Pickler()
    p.dict_([
        ("num_cases_per_batch", lambda: p.int_(10000)),
        ("label_names", lambda: p.list_of(CLASSES, p.str_)),
        ("num_vis", lambda: p.int_(3072)),
    ])
    raw = p.done()
    assert pickle.loads(raw, encoding="latin1")["label_names"] == CLASSES
    return raw


def write(path, raw):
    with open(path, "wb") as f:
        f.write(raw)


def batch_dict(batch, n, **over):
    d = {"batch_label": "fixture batch %d" % batch, "labels": labels(batch, n),
         "data": pixels(batch, n), "filenames": ["img_%d_%d.png" % (batch, i) for i in range(n)]}
    d.update(over)
    return d


def main():
    os.makedirs("mini-py", exist_ok=True)
    os.makedirs("pickle", exist_ok=True)
    names = ["data_batch_%d" % k for k in range(1, 6)] + ["test_batch"]
    for k, name in enumerate(names, start=1):
        label = "testing batch 1 of 1" if name == "test_batch" else "training batch %d of 5" % k
        write(os.path.join("mini-py", name + ".pkl"), py2_batch(k, 3, label))
    write(os.path.join("mini-py", "batches.meta.pkl"), py2_meta())

    n = 4
    good = {
        "py2.pkl": py2_batch(0, n, "training batch 0 of 5"),
        "py3_proto2.pkl": pickle.dumps(batch_dict(0, n), protocol=2),
        "py3_proto4.pkl": pickle.dumps(batch_dict(0, n), protocol=4),
        "py3_proto5.pkl": pickle.dumps(batch_dict(0, n), protocol=5),
        # As re-saved after pickle.load(f, encoding="bytes"): bytes keys;
        # labels as a big-endian int64 array.
        "py3_bytes_keys.pkl": pickle.dumps(
            {b"data": pixels(0, n), b"labels": np.array(labels(0, n), dtype=">i8")}, protocol=3),
        "py3_nchw.pkl": pickle.dumps(batch_dict(0, n, data=pixels(0, n).reshape(n, 3, 32, 32)), protocol=4),
        "py3_fortran.pkl": pickle.dumps(batch_dict(0, n, data=np.asfortranarray(pixels(0, n))), protocol=2),
    }
    assert pickle.loads(good["py3_fortran.pkl"])["data"].flags.f_contiguous
    # The malformed batches are kept to one or two images to stay small.
    bad = {
        "bad_dtype.pkl": pickle.dumps(batch_dict(0, 1, data=pixels(0, 1).astype(np.float32)), protocol=2),
        "bad_shape.pkl": pickle.dumps(batch_dict(0, n, data=pixels(0, n)[:, :100].copy()), protocol=2),
        "bad_label.pkl": pickle.dumps(batch_dict(0, 2, labels=[1, 12]), protocol=4),
        "bad_count.pkl": pickle.dumps(batch_dict(0, 2, labels=labels(0, 1)), protocol=4),
        "bad_no_data.pkl": pickle.dumps({"labels": labels(0, n)}, protocol=2),
        "bad_not_dict.pkl": pickle.dumps([1, 2, 3], protocol=2),
        "bad_object.pkl": pickle.dumps(batch_dict(0, n, data=np.array([[1, "x"]], dtype=object)), protocol=2),
        "bad_global.pkl": pickle.dumps(batch_dict(0, n, data=datetime.date(2020, 1, 2)), protocol=2),
    }
    for name, raw in list(good.items()) + list(bad.items()):
        write(os.path.join("pickle", name), raw)
    write(os.path.join("pickle", "py3_meta.pkl"), pickle.dumps(
        {"num_cases_per_batch": 10000, "label_names": CLASSES, "num_vis": 3072}, protocol=2))


if __name__ == "__main__":
    main()
