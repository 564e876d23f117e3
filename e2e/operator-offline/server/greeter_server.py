"""The greeting server: answers ``GET /`` with the greeting from its ConfigMap (environment and mounted file)."""

from __future__ import annotations

import argparse
import http.server
import os
import signal
import sys
from pathlib import Path
from typing import Any


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._answer(200, "ok\n")
        else:
            mounted = Path(self.server.message_file)  # type: ignore[attr-defined]
            self._answer(200, f"{os.environ.get('GREETING', '?')} from {os.environ.get('HOSTNAME', '?')}"
                              f" (file: {mounted.read_text() if mounted.is_file() else 'not mounted'})\n")

    def _answer(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        print(f"{self.address_string()} {format % args}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--message-file", default="/etc/greeter/message")
    options = parser.parse_args()
    address, port = os.environ.get("POD_IP", "127.0.0.1"), options.port
    server = http.server.ThreadingHTTPServer((address, port), Handler)
    server.message_file = options.message_file  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"greeter server listening on {address}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
