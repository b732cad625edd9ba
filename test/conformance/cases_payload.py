"""Sections 6, 7, 9, 10: UTF-8, close handling, limits, the opening handshake."""

from peer import BINARY, CLOSE, CONT, MAX, PING, PONG, TEXT, URI, TIMEOUT, Close, Failure, case, frame, socket, time  # noqa: F401


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
