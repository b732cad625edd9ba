"""Sections 1–5: framing, pings and pongs, reserved bits, reserved opcodes, fragmentation."""

from peer import BINARY, CLOSE, CONT, MAX, PING, PONG, TEXT, URI, TIMEOUT, Close, Failure, case, frame, socket, time  # noqa: F401


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
