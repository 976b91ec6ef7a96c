#!/usr/bin/env python3
"""Writes the seed corpus of adapter_vds_lun_fuzzer (corpus/*.bin) in the
input format described at the top of vds_lun_fuzzer.cc. Run it again after
changing that format: python3 tests/adapters/fuzz/make_corpus.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def number(v):
    return bytes([v]) if v < 0xFF else b"\xff" + struct.pack("<I", v)


def string(text, present=True):
    data = text.encode() if isinstance(text, str) else text
    return bytes([1 if present else 0]) + number(len(data)) + data


def buffer(data, present=True, count=None):
    return number(len(data) if count is None else count) + bytes([1 if present else 0]) + data


def identifier(code_set, type_, data, **kw):
    return number(code_set) + number(type_) + buffer(data, **kw)


def interconnect(address_type, port, address):
    return number(address_type) + buffer(port) + buffer(address)


def lun(version=1, bus=9, strings=("HWSNAP  ", "MOCK-DISK       ", "0001", "SN-0123456789"),
        ids=(), id_count=None, ics=(), ic_count=None):
    out = number(version) + number(bus) + bytes([0, 7, 1])
    for s in strings:
        out += s if isinstance(s, bytes) and s[:1] in (b"\x00", b"\x01") else string(s)
    out += number(len(ids) if id_count is None else id_count) + b"\x01" + b"".join(ids)
    out += number(len(ics) if ic_count is None else ic_count) + b"\x01" + b"".join(ics)
    return out


NAA = bytes([0x60, 0x01, 0x44, 0xF0, 0xC0, 0xFF, 0xEE, 0x01] + [0] * 7 + [0x2A])
EUI = bytes(range(1, 9))
T10 = b"HWSNAP  x1"
NAME = b"iqn.x\x00"
FULL_IDS = (identifier(1, 3, NAA), identifier(1, 2, EUI), identifier(2, 1, T10),
            identifier(3, 8, NAME), identifier(1, 0, b"\xde\xad\xbe\xef"))
FULL_ICS = (interconnect(2, bytes([0x50, 6, 1, 0x60, 0x3B, 0xA0, 0x1A, 0x2B]), bytes(8)),
            interconnect(5, b"", bytes([0, 1, 0, 3])))

SEEDS = {
    "full": lun(ids=FULL_IDS, ics=FULL_ICS),
    "minimal": lun(strings=("", "", "", ""), ids=(identifier(1, 3, NAA),)),
    "null-strings": lun(strings=(b"\x00\x00",) * 4, ids=(identifier(1, 2, EUI),)),
    "empty": b"",
    "bad-version": lun(version=2, ids=FULL_IDS),
    "bad-bus": lun(bus=0x14, ids=FULL_IDS),
    "count-minus-one": lun(ids=(), id_count=0xFFFFFFFF),
    "count-over-limit": lun(ids=(), ic_count=65),
    "unterminated-serial": lun(strings=("V", "P", "R", "S" * 4100), ids=FULL_IDS),
    "identifier-too-long": lun(ids=(identifier(1, 3, b"", count=256),)),
    "identifier-null-bytes": lun(ids=(identifier(1, 3, NAA, present=False),)),
    "naa-wrong-length": lun(ids=(identifier(1, 3, NAA[:7]),)),
    "unknown-code-set": lun(ids=(identifier(0x101, 3, NAA),)),
    "unknown-address-type": lun(ids=FULL_IDS, ics=(interconnect(6, b"\x01", b"\x02"),)),
    "port-too-long": lun(ids=FULL_IDS, ics=(number(1) + buffer(b"", count=4097) + buffer(b""),)),
}

os.makedirs(os.path.join(HERE, "corpus"), exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(HERE, "corpus", name + ".bin"), "wb") as f:
        f.write(data)
