"""The conformance suite's client: websockets' sans-I/O ClientConnection on a real TCP socket, plus a
frame builder for what a correct client never sends. Shared by the case modules."""

import itertools
import socket
import sys
import time
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
ROOMS = itertools.count(1)

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
        # Each case in a room of its own (text mode: the path is the room): an earlier case's connection that
        # the server is still closing says "has left" to its own room, not into this case's frames.
        uri = parse_uri(f"{URL.rstrip('/')}/chat/conformance-{next(ROOMS)}")
        self.sock = socket.create_connection((uri.host, uri.port), timeout=TIMEOUT)
        self.conn = ClientConnection(uri, max_size=None)
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
