#!/usr/bin/python3
"""An SMTP server (aiosmtpd) on 127.0.0.1 that misbehaves on cue, for the
faults a real server will not produce when a test wants them.

    faultsmtp.py DIR SCENARIO [PORT]

listens on PORT (default 0: any free one), prints "PORT=<n>" once it does,
then serves until its standard input closes (the test ended, however it
ended) or 60 s have passed. Accepted messages land in DIR/Maildir/new
exactly as received; DIR/events gets one line per thing that happened
("CONNECT", "DATA-BYTES n", "DELIVERED a,b").

Scenarios (counted per connection, from 1):
  temporary     1st: 421 instead of the greeting; 2nd: 451 after the data;
                then normal
  reject-rcpt   550 for nobody@..., 450 for busy@..., others accepted
  drop-in-data  354, reads a little of the message, closes the connection
  drop-once     1st: as drop-in-data; then normal
  stall         never answers the end of the data
  slow-ack      keeps the message, answers the end of the data 2 s later
  slow-quit     accepts everything, answers QUIT 30 s later
  stall-once    1st: as stall (storing nothing); then normal
  busy-once     450 for busy@... the first time it is given, then accepted;
                others accepted
  size          SIZE 1000: MAIL FROM with a larger SIZE= gets 552
  size-ignored  says SIZE 1000 but ignores MAIL's SIZE=; counts the bytes
                that arrive after 354 and answers nothing
  normal        accepts everything
"""

import asyncio
import os
import re
import sys
import time

from aiosmtpd.smtp import SMTP

LIFETIME = 60
HOST = "127.0.0.1"


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.maildir = os.path.join(directory, "Maildir")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        self.connections = 0
        self.stored = 0

    def event(self, text):
        with open(os.path.join(self.directory, "events"), "a", encoding="utf-8") as f:
            f.write(text + "\n")

    def store(self, envelope):
        self.stored += 1
        name = f"{time.time_ns()}.{os.getpid()}.{self.stored}"
        tmp = os.path.join(self.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.maildir, "new", name))
        self.event("DELIVERED " + ",".join(envelope.rcpt_tos))


class Handler:
    def __init__(self, scenario, recorder):
        self.scenario = scenario
        self.recorder = recorder
        self.refused = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.scenario == "reject-rcpt" and address.startswith("nobody@"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if self.scenario == "reject-rcpt" and address.startswith("busy@"):
            return f"450 4.2.1 <{address}>: Mailbox busy, try again later"
        if self.scenario == "busy-once" and address.startswith("busy@") and address not in self.refused:
            self.refused.add(address)
            return f"450 4.2.1 <{address}>: Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.scenario == "temporary" and server.connection_number == 2:
            return "451 4.3.0 Temporary lookup failure, try again"
        if self.scenario == "stall" or (self.scenario == "stall-once" and server.connection_number == 1):
            await asyncio.sleep(LIFETIME)
            return "451 4.4.2 Too late"
        self.recorder.store(envelope)
        if self.scenario == "slow-ack":
            await asyncio.sleep(2)
        return "250 2.0.0 Ok: queued"


class FaultySMTP(SMTP):
    def __init__(self, handler, recorder, **kwargs):
        super().__init__(handler, hostname="fault.example.org", **kwargs)
        self.recorder = recorder
        recorder.connections += 1
        self.connection_number = recorder.connections
        self.greeted = False
        recorder.event("CONNECT")

    async def push(self, status):
        if not self.greeted:
            self.greeted = True
            if self.event_handler.scenario == "temporary" and self.connection_number == 1:
                await super().push("421 4.3.2 Service shutting down, try again later")
                self.transport.close()
                return
        await super().push(status)

    async def smtp_QUIT(self, arg):
        if self.event_handler.scenario == "slow-quit":
            await asyncio.sleep(30)
        await super().smtp_QUIT(arg)

    async def smtp_MAIL(self, arg):
        if self.event_handler.scenario == "size-ignored" and arg is not None:
            arg = re.sub(r"\s+SIZE=\d+", "", arg, flags=re.IGNORECASE)
        await super().smtp_MAIL(arg)

    async def smtp_DATA(self, arg):
        scenario = self.event_handler.scenario
        if scenario == "drop-once" and self.connection_number == 1:
            scenario = "drop-in-data"
        if scenario not in ("drop-in-data", "size-ignored") or not self.envelope.rcpt_tos:
            return await super().smtp_DATA(arg)
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        if scenario == "drop-in-data":
            received = await self._reader.read(64)
            self.recorder.event(f"DATA-BYTES {len(received)}")
            self.transport.close()
            return
        received = 0
        try:
            while True:
                chunk = await asyncio.wait_for(self._reader.read(65536), timeout=5)
                if not chunk:
                    break
                received += len(chunk)
        except asyncio.TimeoutError:
            pass
        finally:
            # aiosmtpd cancels this when the client hangs up
            self.recorder.event(f"DATA-BYTES {received}")
        self.transport.close()


def main(argv):
    if len(argv) not in (3, 4):
        print(f"usage: {argv[0]} DIR SCENARIO [PORT]", file=sys.stderr)
        return 2
    directory, scenario = argv[1], argv[2]
    port = int(argv[3]) if len(argv) == 4 else 0
    recorder = Recorder(directory)
    handler = Handler(scenario, recorder)
    limit = 1000 if scenario in ("size", "size-ignored") else 0
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def protocol():
        return FaultySMTP(handler, recorder, data_size_limit=limit, loop=loop)

    server = loop.run_until_complete(loop.create_server(protocol, host=HOST, port=port))
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
