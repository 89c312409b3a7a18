"""The Tornado baseline: the design of the original wikirecent demo's server, rebuilt for the
benchmark. One shared state per view; every WebSocket listener of a view is kept in a set; each
batch is serialized once and handed to every listener with write_message. Runs on Debian's
python3-tornado (/usr/bin/python3).

Driven like the other benchmark servers: JSON lines on stdin, JSON lines on stdout.
  {"cmd": "snapshot", "frame": "..."}          what every new listener gets first
  {"cmd": "broadcast", "frames": [...], "offsets": [ms, ...]}   frame i at offsets[i] ms
"""

import asyncio
import gc
import json
import os
import sys
import time

import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class View:
    """One view's shared state and its listeners, as in the original demo."""

    def __init__(self):
        self.listeners = set()
        self.snapshot = '{"inserted":[],"deleted":[],"timestamp":0}'

    def broadcast(self, frame):
        for listener in self.listeners:
            listener.write_message(frame)


VIEWS = {}


def view(name):
    if name not in VIEWS:
        VIEWS[name] = View()
    return VIEWS[name]


class StreamHandler(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin):
        return True

    def open(self, name):
        self.view = view(name)
        self.view.listeners.add(self)
        self.write_message(self.view.snapshot)

    def on_close(self):
        self.view.listeners.discard(self)


def key(frame):
    return frame[frame.rindex(":") + 1 : frame.rindex("}")]


async def broadcast(frames, offsets):
    started_cpu = time.process_time()
    send_times = {}
    start = time.time()
    for frame, offset in zip(frames, offsets):
        due = start + offset / 1000
        delay = due - time.time()
        await asyncio.sleep(delay if delay > 0 else 0)
        send_times[key(frame)] = time.time() * 1000
        for v in list(VIEWS.values()):
            v.broadcast(frame)
    reply({"type": "driven", "sendTimes": send_times, "cpuSeconds": time.process_time() - started_cpu})


def on_command(line):
    command = json.loads(line)
    if command["cmd"] == "snapshot":
        for name in ("top10", "counter"):
            view(name).snapshot = command["frame"]
        reply({"type": "snapshot-set"})
    elif command["cmd"] == "gc":
        gc.collect()
        reply({"type": "collected"})
    elif command["cmd"] == "broadcast":
        asyncio.ensure_future(broadcast(command["frames"], command["offsets"]))
    else:
        reply({"type": "error", "message": "unknown command " + command["cmd"]})


async def main():
    app = tornado.web.Application([(r"/api/stream/([^/]+)", StreamHandler)])
    server = tornado.httpserver.HTTPServer(app)
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", backlog=1024)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    closed = asyncio.Event()

    pending = bytearray()

    def readable():
        # Read what is there and split lines ourselves: a buffered readline could hold a second
        # command back until more input arrives.
        chunk = os.read(sys.stdin.fileno(), 1 << 20)
        if not chunk:
            loop.remove_reader(sys.stdin.fileno())
            closed.set()
            return
        pending.extend(chunk)
        while b"\n" in pending:
            line, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            if line.strip():
                on_command(line.decode())

    loop.add_reader(sys.stdin.fileno(), readable)
    reply({"type": "ready", "url": "http://127.0.0.1:%d" % port, "tornado": tornado.version})
    await closed.wait()


if __name__ == "__main__":
    asyncio.run(main())
