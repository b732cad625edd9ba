#!/usr/bin/env python3
"""RFC 6455 conformance cases against a running Parley, driven by an implementation nobody
here wrote: Python's `websockets` (Debian's python3-websockets), through its sans-I/O layer.

Its ClientConnection does the handshake and parses and validates every frame the server
sends (masking, reserved bits, opcodes, control frame rules, close codes, UTF-8 of close
reasons; text payloads are decoded strictly here). Its Frame serializer builds what we send;
for what a correct client never sends, the same serializer with its checks switched off.

The cases follow the sections of Autobahn|Testsuite's fuzzingclient (framing, pings,
reserved bits, opcodes, fragmentation, UTF-8, close handling, limits), adapted to Parley's
text mode: every text message comes back as `<nick>: <text>`.

Usage: rfc6455.py ws://127.0.0.1:PORT/ MAX_MESSAGE_BYTES  → one JSON report on stdout.
"""

import json
import socket
import sys
import time
import traceback
from dataclasses import dataclass

from websockets.client import ClientConnection
from websockets.connection import State
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

URL = sys.argv[1]
MAX = int(sys.argv[2])
URI = parse_uri(URL)
TIMEOUT = 3.0

TEXT, BINARY, CONT = Opcode.TEXT, Opcode.BINARY, Opcode.CONT
PING, PONG, CLOSE = Opcode.PING, Opcode.PONG, Opcode.CLOSE


@dataclass
class Unchecked(Frame):
    """websockets' own frame, minus the validation: for frames a correct client never sends."""

    def check(self) -> None:
        pass


def frame(opcode, data=b"", fin=True, rsv1=False, rsv2=False, rsv3=False, mask=True) -> bytes:
    if isinstance(data, str):
        data = data.encode()
    return Unchecked(opcode, data, fin, rsv1, rsv2, rsv3).serialize(mask=mask)


class Failure(Exception):
    pass


class Peer:
    """One connection: a real TCP socket plus websockets' client protocol state machine."""

    def __init__(self):
        self.sock = socket.create_connection((URI.host, URI.port), timeout=TIMEOUT)
        self.conn = ClientConnection(URI, max_size=None)
        self.conn.send_request(self.conn.connect())
        self.frames = []
        self.eof = False
        self.flush()
        while self.conn.state is State.CONNECTING:
            self.pump()
        if self.conn.state is not State.OPEN:
            raise Failure(f"handshake failed: {self.conn.handshake_exc!r}")
        self.nick = None

    def flush(self):
        for data in self.conn.data_to_send():
            try:
                if data:
                    self.sock.sendall(data)
                else:
                    self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server may have closed first; that is for the case to judge

    def pump(self):
        try:
            data = self.sock.recv(1 << 20)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            raise Failure("timed out waiting for the server")
        if data:
            self.conn.receive_data(data)
        else:
            self.eof = True
            self.conn.receive_eof()
        self.flush()
        for event in self.conn.events_received():
            if not isinstance(event, Response):
                self.frames.append(event)
        if self.conn.parser_exc is not None and not isinstance(self.conn.parser_exc, EOFError):
            raise Failure(f"the server sent an invalid frame: {self.conn.parser_exc!r}")

    def next(self):
        while not self.frames:
            if self.eof:
                return None
            self.pump()
        return self.frames.pop(0)

    def send(self, data: bytes):
        self.sock.sendall(data)

    def text(self) -> str:
        f = self.next()
        if f is None or f.opcode is not TEXT:
            raise Failure(f"expected a text frame, got {describe(f)}")
        try:
            return f.data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Failure(f"the server sent invalid UTF-8: {e}")

    def echo(self) -> str:
        """The text of the next `<nick>: <text>` line."""
        line = self.text()
        nick, sep, rest = line.partition(": ")
        if not sep or not nick.startswith("user-"):
            raise Failure(f"not an echo: {line[:80]!r}")
        return rest

    def expect_echo(self, sent: str):
        got = self.echo()
        if got != sent:
            raise Failure(f"echo differs: sent {len(sent)} chars, got {len(got)}: {got[:40]!r}")

    def expect_close(self, *codes):
        f = self.next()
        if f is None:
            raise Failure("TCP closed without a close frame")
        if f.opcode is not CLOSE:
            raise Failure(f"expected a close frame, got {describe(f)}")
        code = Close.parse(f.data).code if f.data else 1005
        if code not in codes:
            raise Failure(f"close code {code}, expected {' or '.join(map(str, codes))}")
        self.expect_tcp_close()
        return code

    def expect_tcp_close(self):
        deadline = time.monotonic() + TIMEOUT
        while not self.eof:
            if time.monotonic() > deadline:
                raise Failure("the server did not close the TCP connection")
            self.pump()
            for f in self.frames:
                if f.opcode is not CLOSE:
                    raise Failure(f"data after the close: {describe(f)}")
            self.frames.clear()

    def expect_pong(self, payload: bytes):
        f = self.next()
        if f is None or f.opcode is not PONG:
            raise Failure(f"expected a pong, got {describe(f)}")
        if f.data != payload:
            raise Failure("the pong's payload differs from the ping's")

    def quiet(self, seconds=0.2):
        """Nothing arrives for a while (the server ignored what it had to ignore)."""
        self.sock.settimeout(seconds)
        try:
            self.pump()
            if self.frames:
                raise Failure(f"unexpected {describe(self.frames[0])}")
        except Failure as e:
            if "timed out" not in str(e):
                raise
        finally:
            self.sock.settimeout(TIMEOUT)

    def close(self):
        self.sock.close()


def describe(f):
    if f is None:
        return "the end of the connection"
    return f"{f.opcode.name} frame ({len(f.data)} bytes)"


CASES = []


def case(cid, title):
    def register(fn):
        CASES.append((cid, title, fn))
        return fn

    return register


# ---- 1. Framing ---------------------------------------------------------------------------

for i, n in enumerate([0, 1, 125, 126, 127, 128, 65535, MAX]):

    @case(f"1.1.{i + 1}", f"text message of {n} bytes is echoed whole")
    def _(p, n=n):
        p.send(frame(TEXT, "*" * n))
        p.expect_echo("*" * n)


@case("1.2.1", "binary message gets a text error line, the connection stays")
def _(p):
    p.send(frame(BINARY, b"\x00\xff" * 20))
    line = p.text()
    if not line.startswith(" .... error: Binary"):
        raise Failure(f"got {line!r}")
    p.send(frame(TEXT, "still here"))
    p.expect_echo("still here")


@case("1.3.1", "a frame written one byte per TCP segment")
def _(p):
    data = frame(TEXT, "chopped into single bytes")
    p.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for b in data:
        p.send(bytes([b]))
        time.sleep(0.001)
    p.expect_echo("chopped into single bytes")


@case("1.3.2", "three messages in one TCP write arrive in order")
def _(p):
    p.send(frame(TEXT, "one") + frame(TEXT, "two") + frame(TEXT, "three"))
    for t in ["one", "two", "three"]:
        p.expect_echo(t)


@case("1.4.1", "an unmasked client frame closes with 1002")
def _(p):
    p.send(frame(TEXT, "naked", mask=False))
    p.expect_close(1002)


# ---- 2. Pings and pongs -------------------------------------------------------------------

for i, payload in enumerate([b"", b"hello", bytes(range(125)), b"\xff\xfe\x00 binary"]):

    @case(f"2.{i + 1}", f"ping with a {len(payload)}-byte payload gets a pong with the same payload")
    def _(p, payload=payload):
        p.send(frame(PING, payload))
        p.expect_pong(payload)


@case("2.5", "ping with a 126-byte payload (control frames are ≤ 125) closes with 1002")
def _(p):
    p.send(frame(PING, b"x" * 126))
    p.expect_close(1002)


@case("2.6", "an unsolicited pong is ignored")
def _(p):
    p.send(frame(PONG, b"unasked"))
    p.send(frame(TEXT, "after pong"))
    p.expect_echo("after pong")


@case("2.7", "ten pings in a row get ten pongs, in order")
def _(p):
    for k in range(10):
        p.send(frame(PING, f"ping {k}"))
    for k in range(10):
        p.expect_pong(f"ping {k}".encode())


@case("2.8", "a fragmented ping closes with 1002")
def _(p):
    p.send(frame(PING, b"half", fin=False))
    p.expect_close(1002)


# ---- 3. Reserved bits (no extension was negotiated) ---------------------------------------

for i, (bits, opcode) in enumerate(
    [((1, 0, 0), TEXT), ((0, 1, 0), TEXT), ((0, 0, 1), TEXT), ((1, 1, 1), TEXT), ((0, 1, 0), BINARY), ((0, 0, 1), PING)]
):

    @case(f"3.{i + 1}", f"RSV bits {bits} on a {opcode.name} frame close with 1002")
    def _(p, bits=bits, opcode=opcode):
        p.send(frame(opcode, b"reserved", rsv1=bool(bits[0]), rsv2=bool(bits[1]), rsv3=bool(bits[2])))
        p.expect_close(1002)


# ---- 4. Reserved opcodes ------------------------------------------------------------------

for i, op in enumerate([3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]):

    @case(f"4.{i + 1}", f"reserved opcode {op:#x} closes with 1002")
    def _(p, op=op):
        p.send(frame(op, b"what am I"))
        p.expect_close(1002)


# ---- 5. Fragmentation ---------------------------------------------------------------------


@case("5.1", "a text message in two fragments is echoed whole")
def _(p):
    p.send(frame(TEXT, "frag", fin=False) + frame(CONT, "mented"))
    p.expect_echo("fragmented")


@case("5.2", "a text message in 20 one-byte fragments")
def _(p):
    word = "abcdefghijklmnopqrst"
    data = frame(TEXT, word[0], fin=False)
    for k, ch in enumerate(word[1:]):
        data += frame(CONT, ch, fin=k == len(word) - 2)
    p.send(data)
    p.expect_echo(word)


@case("5.3", "empty fragments are fine")
def _(p):
    p.send(frame(TEXT, "", fin=False) + frame(CONT, "", fin=False) + frame(CONT, "abc"))
    p.expect_echo("abc")


@case("5.4", "a ping between fragments is answered before the message completes")
def _(p):
    p.send(frame(TEXT, "before ", fin=False) + frame(PING, b"in between"))
    p.expect_pong(b"in between")
    p.send(frame(CONT, "after"))
    p.expect_echo("before after")


@case("5.5", "a ping between every fragment")
def _(p):
    parts = ["a", "b", "c", "d", "e"]
    data = b""
    for k, part in enumerate(parts):
        data += frame(TEXT if k == 0 else CONT, part, fin=k == len(parts) - 1)
        if k < len(parts) - 1:
            data += frame(PING, f"p{k}")
    p.send(data)
    for k in range(len(parts) - 1):
        p.expect_pong(f"p{k}".encode())
    p.expect_echo("abcde")


@case("5.6", "a pong between fragments is ignored")
def _(p):
    p.send(frame(TEXT, "x", fin=False) + frame(PONG, b"noise") + frame(CONT, "y"))
    p.expect_echo("xy")


@case("5.7", "a continuation with no message started closes with 1002")
def _(p):
    p.send(frame(CONT, "orphan", fin=False))
    p.expect_close(1002)


@case("5.8", "a final continuation with no message started closes with 1002")
def _(p):
    p.send(frame(CONT, "orphan"))
    p.expect_close(1002)


@case("5.9", "a new text frame inside a fragmented message closes with 1002")
def _(p):
    p.send(frame(TEXT, "first", fin=False) + frame(TEXT, "second"))
    p.expect_close(1002)


@case("5.10", "a new binary frame inside a fragmented text message closes with 1002")
def _(p):
    p.send(frame(TEXT, "first", fin=False) + frame(BINARY, b"second"))
    p.expect_close(1002)


@case("5.11", "a fragmented binary message gets the binary error line")
def _(p):
    p.send(frame(BINARY, b"\x01", fin=False) + frame(CONT, b"\x02"))
    if not p.text().startswith(" .... error: Binary"):
        raise Failure("no error line")


@case("5.12", "a close between fragments ends the connection cleanly (1000)")
def _(p):
    p.send(frame(TEXT, "never finished", fin=False) + frame(CLOSE, Close(1000, "").serialize()))
    p.expect_close(1000)


# ---- 6. UTF-8 -----------------------------------------------------------------------------

VALID = ["κόσμε", "日本語のテキスト", "emoji 🎉🦄", "\u0000 nul and \u007f del", "\ufeffBOM", "\U0010ffff max"]
for i, text in enumerate(VALID):

    @case(f"6.1.{i + 1}", f"valid UTF-8 is echoed exactly ({text.encode()[:12]!r}…)")
    def _(p, text=text):
        p.send(frame(TEXT, text))
        p.expect_echo(text)


@case("6.2.1", "valid UTF-8 split inside a code point across fragments")
def _(p):
    raw = "κόσμε 🎉".encode()
    for cut in (1, 2, len(raw) - 2):
        p.send(frame(TEXT, raw[:cut], fin=False) + frame(CONT, raw[cut:]))
        p.expect_echo("κόσμε 🎉")


INVALID = [
    (b"\xc0\xaf", "overlong '/'"),
    (b"\xed\xa0\x80", "UTF-16 surrogate"),
    (b"\xf4\x90\x80\x80", "beyond U+10FFFF"),
    (b"\xff", "byte 0xFF"),
    (b"\x80", "lone continuation byte"),
    (b"ok \xe2\x82", "truncated at the end"),
    (b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", "surrogate after valid text"),
]
for i, (data, what) in enumerate(INVALID):

    @case(f"6.3.{i + 1}", f"invalid UTF-8 in a text message ({what}) closes with 1007")
    def _(p, data=data):
        p.send(frame(TEXT, data))
        p.expect_close(1007)


@case("6.4.1", "invalid UTF-8 in the last fragment closes with 1007")
def _(p):
    p.send(frame(TEXT, "fine so far ", fin=False) + frame(CONT, b"\xed\xa0\x80"))
    p.expect_close(1007)


@case("6.4.2", "invalid UTF-8 in a middle fragment closes with 1007")
def _(p):
    p.send(frame(TEXT, "a", fin=False) + frame(CONT, b"\xc0\xaf", fin=False) + frame(CONT, "b"))
    p.expect_close(1007)


# ---- 7. Close handling --------------------------------------------------------------------


@case("7.1.1", "a close with 1000 and a reason is answered with 1000, then the server closes TCP")
def _(p):
    p.conn.send_close(1000, "bye")
    p.flush()
    p.expect_close(1000)


@case("7.1.2", "a close with no payload is answered with a close, then TCP close")
def _(p):
    p.send(frame(CLOSE))
    p.expect_close(1000, 1005)


@case("7.1.3", "data after our close is not processed")
def _(p):
    p.send(frame(CLOSE, Close(1000, "").serialize()) + frame(TEXT, "too late") + frame(PING, b"late"))
    p.expect_close(1000)


@case("7.1.4", "a close reason of 123 bytes (the maximum) is fine")
def _(p):
    p.conn.send_close(1000, "r" * 123)
    p.flush()
    p.expect_close(1000)


@case("7.1.5", "a close payload of one byte closes with 1002")
def _(p):
    p.send(frame(CLOSE, b"\x03"))
    p.expect_close(1002)


@case("7.1.6", "a close reason in invalid UTF-8 closes with 1007")
def _(p):
    p.send(frame(CLOSE, b"\x03\xe8" + b"\xed\xa0\x80"))
    p.expect_close(1007)


for i, code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]):

    @case(f"7.2.{i + 1}", f"valid close code {code} is answered with a close")
    def _(p, code=code):
        p.conn.send_close(code, "")
        p.flush()
        p.expect_close(code, 1000)


for i, code in enumerate([0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]):

    @case(f"7.3.{i + 1}", f"invalid close code {code} closes with 1002")
    def _(p, code=code):
        p.send(frame(CLOSE, code.to_bytes(2, "big")))
        p.expect_close(1002)


# ---- 9. Limits ----------------------------------------------------------------------------


@case("9.1", f"a text message of {MAX + 1} bytes (one past the limit) closes with 1009")
def _(p):
    p.send(frame(TEXT, "*" * (MAX + 1)))
    p.expect_close(1009)


@case("9.2", "a frame announcing 1 TiB closes with 1009 on its header, without the payload")
def _(p):
    head = bytearray(frame(TEXT, "")[:2])
    head[1] = 0x80 | 127
    p.send(bytes(head) + (1 << 40).to_bytes(8, "big") + b"\x00\x00\x00\x00" + b"partial")
    p.expect_close(1009)


@case("9.3", "fragments adding up past the limit close with 1009")
def _(p):
    half = MAX // 2 + 1
    p.send(frame(TEXT, "*" * half, fin=False) + frame(CONT, "*" * half))
    p.expect_close(1009)


@case("9.4", "a binary message past the limit closes with 1009")
def _(p):
    p.send(frame(BINARY, b"\x00" * (MAX + 1)))
    p.expect_close(1009)


# ---- 10. Opening handshake (HTTP) ---------------------------------------------------------


def handshake_status(lines):
    with socket.create_connection((URI.host, URI.port), timeout=TIMEOUT) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
        return int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else 0


BASE = [f"GET {URI.resource_name} HTTP/1.1", f"Host: {URI.host}:{URI.port}", "Upgrade: websocket", "Connection: Upgrade"]
KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="


@case("10.1", "a handshake without Sec-WebSocket-Key is refused with 400", )
def _(_p):
    status = handshake_status(BASE + ["Sec-WebSocket-Version: 13"])
    if status != 400:
        raise Failure(f"status {status}")


@case("10.2", "a handshake with an unsupported version is refused (4xx)")
def _(_p):
    status = handshake_status(BASE + [KEY, "Sec-WebSocket-Version: 7"])
    if not 400 <= status < 500:
        raise Failure(f"status {status}")


@case("10.3", "a handshake with the RFC's sample key gets 101 and the RFC's accept value")
def _(_p):
    with socket.create_connection((URI.host, URI.port), timeout=TIMEOUT) as s:
        s.sendall(("\r\n".join(BASE + [KEY, "Sec-WebSocket-Version: 13"]) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        if not head.startswith(b"HTTP/1.1 101") or b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" not in head:
            raise Failure(head.decode(errors="replace")[:200])


def main():
    results = []
    for cid, title, fn in CASES:
        started = time.monotonic()
        peer = None
        try:
            if cid.startswith("10."):
                fn(None)
            else:
                peer = Peer()
                fn(peer)
            results.append({"id": cid, "title": title, "ok": True})
        except Failure as e:
            results.append({"id": cid, "title": title, "ok": False, "detail": str(e)})
        except Exception:
            results.append({"id": cid, "title": title, "ok": False, "detail": traceback.format_exc(limit=3)})
        finally:
            if peer:
                peer.close()
        results[-1]["ms"] = round((time.monotonic() - started) * 1000, 1)
    passed = sum(1 for r in results if r["ok"])
    json.dump({"library": "websockets", "cases": results, "passed": passed, "failed": len(results) - passed}, sys.stdout)
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
