#!/usr/bin/python3
"""Prints the SONAME of a shared library (the name to open it by at run
time), read from its ELF dynamic section.

usage: soname.py LIBDIR NAME   (reads LIBDIR/libNAME.so)"""

import os
import struct
import sys

DT_NULL = 0
DT_SONAME = 14
SHT_DYNAMIC = 6


def soname(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        raise ValueError(f"{path} is not an ELF file")
    is64 = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(endian + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(endian + "HH", data, 0x3A)
        section = endian + "IIQQQQIIQQ"
        entry = endian + "qQ"
    else:
        shoff, = struct.unpack_from(endian + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(endian + "HH", data, 0x2E)
        section = endian + "IIIIIIIIII"
        entry = endian + "iI"
    sections = [struct.unpack_from(section, data, shoff + i * shentsize) for i in range(shnum)]
    for sh in sections:
        if sh[1] != SHT_DYNAMIC:
            continue
        offset, size, link = sh[4], sh[5], sh[6]
        strtab = sections[link][4]
        for pos in range(offset, offset + size, struct.calcsize(entry)):
            tag, value = struct.unpack_from(entry, data, pos)
            if tag == DT_NULL:
                break
            if tag == DT_SONAME:
                end = data.index(b"\0", strtab + value)
                return data[strtab + value:end].decode()
    raise ValueError(f"{path} has no SONAME")


def main():
    path = os.path.join(sys.argv[1], f"lib{sys.argv[2]}.so")
    print(soname(os.path.realpath(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
