"""A webhook receiver that verifies every delivery with the Standard Webhooks reference
library (PyPI `standardwebhooks`) and appends one JSON line per request to OUT:
{"ok": true, "id": ..., "type": ..., "data": ...} or {"ok": false, "error": ...}.
Usage: receiver.py PORT SECRET_FILE OUT"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

port, secret_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
hook = Webhook(open(secret_file).read().strip())


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            event = hook.verify(body, headers)
            line = {"ok": True, "id": headers["webhook-id"], "type": event.get("type"),
                    "data": event.get("data"), "body": event}
            status = 204
        except Exception as e:  # a refused signature, for the test to see
            line = {"ok": False, "error": str(e)}
            status = 401
        with open(out, "a") as f:
            f.write(json.dumps(line) + "\n")
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
