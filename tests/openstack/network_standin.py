#!/usr/bin/python3
"""network_standin.py PORT - the least of a network API that Nova needs to
show and delete servers booted with "networks": "none": every list is
empty. Loopback only; no token is checked (nothing here is secret)."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTS = {
    "ports", "networks", "subnets", "security-groups", "floatingips",
    "extensions", "trunks", "qos/policies",
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0].rstrip("/")
        if path in ("", "/v2.0"):
            return self.answer(200, {"versions": [{"id": "v2.0", "status": "CURRENT"}]})
        name = path.removeprefix("/v2.0/")
        if name in LISTS:
            return self.answer(200, {name.replace("-", "_").split("/")[-1]: []})
        return self.answer(404, {"NeutronError": {"message": "not here: " + path}})

    def do_DELETE(self):
        self.answer(204, {})

    def log_message(self, fmt, *args):
        sys.stderr.write("network: " + fmt % args + "\n")


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
