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
import sys
import time
import traceback

import cases_frames  # noqa: F401  (importing registers its cases)
import cases_payload  # noqa: F401
from peer import CASES, Failure, Peer


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
