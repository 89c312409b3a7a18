"""The kernel's floor of a fan-out: the upgrade answered by hand, then a broadcast is one loop of
write() system calls writing the same pre-built frame to every socket, with nothing per client but
the call. What this costs is almost all the kernel's loopback TCP write (the interpreter adds well
under a microsecond per call): no server on a single core can send one frame to one socket for less.

Driven like the other benchmark servers: JSON lines on stdin, JSON lines on stdout.
  {"cmd": "broadcast", "frames": [...], "offsets": [ms, ...]}   frame i at offsets[i] ms
"""

import asyncio
import base64
import hashlib
import json
import os
import resource
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SOCKETS = []


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def text_frame(payload):
    n = len(payload)
    if n < 126:
        head = bytes([0x81, n])
    elif n < 0x10000:
        head = bytes([0x81, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 127]) + n.to_bytes(8, "big")
    return head + payload


async def on_client(reader, writer):
    head = await reader.readuntil(b"\r\n\r\n")
    key = b""
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        + text_frame(b'{"inserted":[],"deleted":[],"timestamp":0}')
    )
    await writer.drain()
    fd = writer.get_extra_info("socket").fileno()
    SOCKETS.append(fd)
    try:
        while await reader.read(65536):
            pass
    finally:
        SOCKETS.remove(fd)


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def broadcast(frames, offsets):
    send_times = {}
    send_cpu = 0.0
    short = 0
    start = time.time()
    for frame, offset in zip(frames, offsets):
        delay = start + offset / 1000 - time.time()
        await asyncio.sleep(delay if delay > 0 else 0)
        send_times[frame[frame.rindex(":") + 1 : frame.rindex("}")]] = time.time() * 1000
        before = cpu()
        data = text_frame(frame.encode())
        write = os.write
        for fd in SOCKETS:
            try:
                if write(fd, data) != len(data):
                    short += 1
            except BlockingIOError:
                short += 1
        send_cpu += cpu() - before
    if short:
        sys.stderr.write("floor_ws.py: %d writes did not fit the socket buffer\n" % short)
    reply({"type": "driven", "sendTimes": send_times, "sendCpuSeconds": send_cpu})


def on_command(line):
    command = json.loads(line)
    if command["cmd"] == "broadcast":
        asyncio.ensure_future(broadcast(command["frames"], command["offsets"]))
    else:
        reply({"type": "error", "message": "unknown command " + command["cmd"]})


async def main():
    server = await asyncio.start_server(on_client, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    closed = asyncio.Event()
    pending = bytearray()

    def readable():
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
    reply({"type": "ready", "url": "http://127.0.0.1:%d" % port})
    await closed.wait()


if __name__ == "__main__":
    asyncio.run(main())
