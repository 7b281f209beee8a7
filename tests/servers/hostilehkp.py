#!/usr/bin/python3
"""A keyserver (HKP) on 127.0.0.1 that misbehaves on cue, for what a real
sks cannot be made to do:

    hostilehkp.py many ADDRESS N DELAY   an index of N keys for ADDRESS; each
                                         key asked for answers "not found"
                                         after DELAY seconds
    hostilehkp.py huge ADDRESS MIB       an index of one key for ADDRESS; the
                                         key asked for is MIB MiB of armor

Prints "PORT=<port>" on its first line once it listens, then serves until
its stdin closes (the test that started it ended or died).
"""

import http.server
import os
import sys
import threading
import time
import urllib.parse

MODE, ADDRESS = sys.argv[1], sys.argv[2]
ARG = float(sys.argv[3])
DELAY = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0


def index():
    n = int(ARG) if MODE == "many" else 1
    lines = [f"info:1:{n}"]
    for i in range(n):
        fpr = f"{i:040X}"
        lines.append(f"pub:{fpr}:22:256:1700000000::")
        lines.append(f"uid:Someone%20<{urllib.parse.quote(ADDRESS)}>:1700000000::")
    return ("\n".join(lines) + "\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        op = query.get("op", [""])[0]
        if op == "index":
            body = index()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif op == "get" and MODE == "many":
            time.sleep(DELAY)
            self.send_error(404)
        elif op == "get" and MODE == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/pgp-keys")
            self.end_headers()
            self.wfile.write(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n")
            line = b"A" * 63 + b"\n"
            chunk = line * 16384  # 1 MiB
            try:
                for _ in range(int(ARG)):
                    self.wfile.write(chunk)
                self.wfile.write(b"=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self.send_error(404)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT={server.server_address[1]}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while os.read(0, 1):
        pass


if __name__ == "__main__":
    main()
