#!/usr/bin/python3
"""An LDAP directory on 127.0.0.1 that pages without end, for what a real
slapd cannot be made to do: it accepts an anonymous bind, and answers every
search at once with no entry and a paged-results cookie that asks for one
more page, so a client that follows the cookie never stops.

    hostileldap.py endless-pages

Prints "PORT=<port>" on its first line once it listens, then serves until
its stdin closes (the test that started it ended or died). Only the bits
of BER (X.690) that LDAP messages need are spoken here.
"""

import os
import socket
import sys
import threading

PAGED_RESULTS = b"1.2.840.113556.1.4.319"


def encode_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, value):
    return bytes([tag]) + encode_length(len(value)) + value


def integer(n):
    return tlv(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def octets(value):
    return tlv(0x04, value)


def result(tag, message_id, controls=b""):
    op = tlv(tag, tlv(0x0A, b"\x00") + octets(b"") + octets(b""))
    return tlv(0x30, integer(message_id) + op + controls)


def paged_control(cookie):
    value = tlv(0x30, integer(0) + octets(cookie))
    return tlv(0xA0, tlv(0x30, octets(PAGED_RESULTS) + octets(value)))


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_message(conn):
    """(message ID, protocol op tag) of the next LDAPMessage."""
    header = read_exact(conn, 2)
    length = header[1]
    if length & 0x80:
        length = int.from_bytes(read_exact(conn, length & 0x7F), "big")
    body = read_exact(conn, length)
    assert body[0] == 0x02
    id_length = body[1]
    message_id = int.from_bytes(body[2:2 + id_length], "big")
    return message_id, body[2 + id_length]


def serve(conn):
    try:
        while True:
            message_id, op = read_message(conn)
            if op == 0x60:    # BindRequest
                conn.sendall(result(0x61, message_id))
            elif op == 0x63:  # SearchRequest: done, with one more page to ask for
                conn.sendall(result(0x65, message_id, paged_control(b"more")))
            elif op == 0x42:  # UnbindRequest
                return
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(f"PORT={listener.getsockname()[1]}", flush=True)

    def accept():
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    while os.read(0, 1):
        pass


if __name__ == "__main__":
    main()
