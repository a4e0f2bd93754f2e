#!/usr/bin/env python3
"""Writes the malformed captures of tests/bad_input/scap/ (each a small
synthetic capture, built here block by block, broken in one way).

Usage: scap_bad_inputs.py OUT_DIR
Then `PALISADE_BLESS=1 cargo test -p palisade-runtime --test bad_input`
writes the `.expected` messages (read each one).
"""
import gzip
import struct
import sys

out = sys.argv[1]
E = "<"  # byte order of the writer


def block(btype, body, length=None, trailer=None, e=E):
    pad = (-len(body)) % 4
    body = body + b"\0" * pad
    total = 12 + len(body) if length is None else length
    tr = total if trailer is None else trailer
    return struct.pack(e + "II", btype, total) + body + struct.pack(e + "I", tr)


def shb(major=1, minor=2, magic=0x1A2B3C4D, e=E, length=None):
    body = struct.pack(e + "IHHq", magic, major, minor, -1)
    return block(0x0A0D0D0A, body, length=length, e=e)


def machine(e=E):
    return block(0x201, struct.pack(e + "IQQ", 2, 1 << 30, 32768) + b"host".ljust(128, b"\0") + b"\0" * 32, e=e)


def s16(b, e=E):
    return struct.pack(e + "H", len(b)) + b


def thread_v9(tid=1, comm=b"init", sub_len=None, commlen=None, e=E):
    body = struct.pack(e + "qqqqq", tid, tid, 0, 0, 0)
    body += (struct.pack(e + "H", commlen) if commlen is not None else struct.pack(e + "H", len(comm))) + comm
    body += s16(b"/sbin/init", e) + s16(b"/sbin/init", e) + s16(b"", e) + s16(b"/", e)
    body += struct.pack(e + "QIII", 1024, 0, 0, 0)
    body += struct.pack(e + "IIIQQ", 0, 0, 0, 0, 0)
    body += s16(b"", e) + struct.pack(e + "qq", tid, tid) + s16(b"", e) + s16(b"/", e)
    length = 4 + len(body) if sub_len is None else sub_len
    return struct.pack(e + "I", length) + body


def proclist(entries, e=E):
    return block(0x215, b"".join(entries), e=e)


def event(code, params, tid=1, ts=1, v2=True, nparams=None, length=None, lens=None, e=E, flags=None):
    lens = lens if lens is not None else [len(p) for p in params]
    hdr = 26 if v2 else 22
    data = b"".join(struct.pack(e + "H", n) for n in lens) + b"".join(params)
    ln = hdr + len(data) if length is None else length
    head = struct.pack(e + "QQIH", ts, tid, ln, code)
    if v2:
        head += struct.pack(e + "I", len(params) if nparams is None else nparams)
    pre = struct.pack(e + "H", 0)
    if flags is not None:
        pre += struct.pack(e + "I", flags)
    btype = (0x217 if flags is not None else 0x216) if v2 else 0x204
    return block(btype, pre + head + data, e=e)


def open_x(e=E):
    # open exit: fd, name, flags, mode, dev, ino
    return event(3, [struct.pack(e + "q", 3), b"/etc/passwd\0", struct.pack(e + "I", 1), struct.pack(e + "I", 0), struct.pack(e + "I", 0), struct.pack(e + "Q", 0)], e=e)


good_head = shb() + machine() + proclist([thread_v9()])

cases = {
    "empty.scap": b"",
    "not_a_capture.scap": b"this is a text file, not a capture\n",
    "bad_magic.scap": shb(magic=0x11223344),
    "newer_major_version.scap": shb(major=2) + open_x(),
    "truncated_section_header.scap": shb()[:10],
    "section_header_too_short.scap": shb(length=16)[:16],
    "trailer_mismatch.scap": shb() + block(0x201, b"\0" * 168, trailer=4),
    "block_longer_than_limit.scap": shb() + struct.pack(E + "II", 0x215, 0xFFFFFFF0) + b"\0" * 64,
    "block_body_truncated.scap": shb() + struct.pack(E + "II", 0x215, 60 << 20) + b"\0" * 64,
    "block_header_truncated.scap": shb() + b"\x16\x02\0",
    "block_length_too_short.scap": shb() + struct.pack(E + "III", 0x216, 8, 8),
    "event_block_over_64k.scap": good_head + struct.pack(E + "II", 0x216, 70000) + b"\0" * 16,
    "event_header_truncated.scap": good_head + block(0x216, b"\0\0" + b"\1" * 10),
    "event_length_smaller_than_header.scap": good_head + event(3, [b"x"], length=10),
    "event_length_beyond_block.scap": good_head + event(3, [b"x"], length=500),
    "event_nparams_overflow.scap": good_head + event(3, [b"x"], nparams=1000),
    "event_param_length_overflow.scap": good_head + event(3, [b"abc"], lens=[400]),
    "v1_event_lengths_do_not_add_up.scap": good_head + event(3, [b"abcd", b"ef"], v2=False, lens=[1, 1]),
    "process_entry_truncated.scap": shb() + proclist([thread_v9()[:40]]),
    "process_comm_too_long.scap": shb() + proclist([thread_v9(commlen=5000)]),
    "process_entry_longer_than_its_length.scap": shb() + proclist([thread_v9(sub_len=60)]),
    "fd_unknown_type_without_length.scap": shb() + block(0x203, struct.pack(E + "qqQB", 1, 3, 0, 99) + b"\0" * 7),
    "fd_type_zero.scap": shb() + block(0x218, struct.pack(E + "qIqQB", 1, 21, 3, 0, 0) + b"\0" * 7),
    "interface_unknown_type.scap": shb() + block(0x205, struct.pack(E + "HH", 9, 2) + b"lo" + b"\0" * 20),
    "user_name_too_long.scap": shb() + block(0x206, struct.pack(E + "BIIH", 0, 0, 0, 300) + b"r" * 300),
    "machine_info_truncated.scap": shb() + block(0x201, b"\0" * 12),
    "big_endian_trailer_mismatch.scap": shb(e=">") + block(0x201, b"\0" * 168, trailer=4, e=">"),
}
compressed = gzip.compress(good_head + open_x() * 50)
cases["gzip_truncated.scap"] = compressed[: len(compressed) // 2]

for name, data in cases.items():
    with open(f"{out}/{name}", "wb") as f:
        f.write(data)

# Well-formed captures the positive tests read: the same events in both
# byte orders, plain and compressed.
if len(sys.argv) > 2:
    good = sys.argv[2]
    for e, name in (("<", "little"), (">", "big")):
        data = shb(e=e) + machine(e=e) + proclist([thread_v9(e=e), thread_v9(tid=42, comm=b"cat", e=e)], e=e)
        data += event(2, [b"/etc/passwd\0", struct.pack(e + "I", 1), struct.pack(e + "I", 0)], tid=42, e=e)
        data += event(3, [struct.pack(e + "q", 3), b"/etc/passwd\0", struct.pack(e + "I", 1), struct.pack(e + "I", 0), struct.pack(e + "I", 0), struct.pack(e + "Q", 7)], tid=42, e=e, flags=0)
        data += event(234, [struct.pack(e + "Q", 1), struct.pack(e + "Q", 2)], e=e)
        with open(f"{good}/{name}_endian.scap", "wb") as f:
            f.write(data)
