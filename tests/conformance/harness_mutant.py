"""An adapter that misbehaves in one way (``MODE``), around the reference adapter,
to show that the runner says so clearly and exits 2 (ADAPTER.md §6)."""

from __future__ import annotations

import json
import os
import sys
import time

from conformance.adapters.reference import handle

MODE = sys.argv[1]


def send(obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> None:
    if MODE == "early-output":
        print("starting up...", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "hello":
            reply = handle(request)
            if MODE == "bad-protocol":
                reply["result"]["protocol"] = "2.0"
            send(reply)
            continue
        if MODE == "crash":
            sys.exit(3)
        if MODE == "crash-once" and not os.path.exists(sys.argv[2]):
            open(sys.argv[2], "w").close()
            sys.exit(3)
        if MODE == "hang":
            time.sleep(3600)
        reply = handle(request)
        if MODE == "malformed":
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
        elif MODE == "wrong-seq":
            reply["seq"] += 1
            send(reply)
        elif MODE == "split":
            text = json.dumps(reply)
            sys.stdout.write(text[:10] + "\n" + text[10:] + "\n")
            sys.stdout.flush()
        elif MODE == "bad-status":
            reply["status"] = "maybe"
            send(reply)
        else:
            send(reply)


if __name__ == "__main__":
    main()
