#!/usr/bin/python3
"""An SMTP server (aiosmtpd) on 127.0.0.1 that accepts every message at once
and, on its first connection, takes DELAY seconds to answer QUIT, as a busy
or badly connected server may: the message has arrived, only the goodbye is
slow. Later connections are answered at once.

    quitstallsmtp.py DIR DELAY

Like faultsmtp.py: prints "PORT=<n>" once it listens and serves until its
standard input closes (or 120 s have passed); accepted messages land in
DIR/Maildir/new exactly as received. DIR/events gets one line per thing
that happened, each with the time (Unix seconds) it happened:
"T CONNECT", "T DELIVERED a,b" (just before the 250 to the end of the
data goes out), "T QUIT" (when QUIT arrived), "T QUIT-ANSWERED"."""

import asyncio
import os
import sys
import time

from aiosmtpd.smtp import SMTP

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultsmtp import HOST, Recorder  # noqa: E402

LIFETIME = 120


class TimedRecorder(Recorder):
    def event(self, text):
        super().event(f"{time.time():.6f} {text}")


class Handler:
    def __init__(self, recorder):
        self.recorder = recorder

    async def handle_DATA(self, server, session, envelope):
        self.recorder.store(envelope)
        return "250 2.0.0 Ok: queued"


class QuitStall(SMTP):
    def __init__(self, handler, recorder, delay, **kwargs):
        super().__init__(handler, hostname="slow-goodbye.example.org", **kwargs)
        self.recorder = recorder
        recorder.connections += 1
        self.delay = delay if recorder.connections == 1 else 0
        recorder.event("CONNECT")

    async def smtp_QUIT(self, arg):
        self.recorder.event("QUIT")
        if self.delay:
            await asyncio.sleep(self.delay)
        self.recorder.event("QUIT-ANSWERED")
        await super().smtp_QUIT(arg)


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} DIR DELAY", file=sys.stderr)
        return 2
    recorder = TimedRecorder(argv[1])
    delay = float(argv[2])
    handler = Handler(recorder)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(lambda: QuitStall(handler, recorder, delay, loop=loop), host=HOST, port=0))
    print(f"PORT={server.sockets[0].getsockname()[1]}", flush=True)

    def on_stdin():
        if not os.read(sys.stdin.fileno(), 4096):
            loop.stop()

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    loop.call_later(LIFETIME, loop.stop)
    loop.run_forever()
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
