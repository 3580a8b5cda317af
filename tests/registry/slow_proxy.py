#!/usr/bin/env python3
"""An HTTP proxy for the registry tests, loopback only: forwards every request to --upstream
and, while the file --slow exists, sends response bodies in 64 KiB pieces 50 ms apart (so a
test can kill a pull in the middle of a blob). Requests with a Range header are logged to
stderr.
usage: slow_proxy.py --port P --upstream HOST:PORT --slow FILE
"""
import argparse, http.client, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--upstream", required=True)
ap.add_argument("--slow", required=True)
A = ap.parse_args()
HOP = ("host", "connection", "transfer-encoding", "keep-alive")


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        if self.headers.get("Range"):
            sys.stderr.write("%s %s Range: %s\n" % (self.command, self.path, self.headers["Range"]))
            sys.stderr.flush()
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        c = http.client.HTTPConnection(A.upstream)
        c.request(self.command, self.path, body,
                  {k: v for k, v in self.headers.items() if k.lower() not in HOP})
        r = c.getresponse()
        data = b"" if self.command == "HEAD" else None
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        if r.getheader("Content-Length") is None:
            data = r.read()
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data is not None:
            self.wfile.write(data)
            return
        while True:
            chunk = r.read(65536)
            if not chunk:
                break
            self.wfile.write(chunk)
            if os.path.exists(A.slow):
                time.sleep(0.05)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward

    def log_message(self, *a):
        pass


ThreadingHTTPServer(("127.0.0.1", A.port), H).serve_forever()
