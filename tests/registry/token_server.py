#!/usr/bin/env python3
"""A minimal bearer-token issuer for the registry tests (distribution "token authentication"),
loopback only. GET /token?service=S&scope=T:N:A[,A]... with optional HTTP basic credentials
answers {"token": JWT}: an RS256 JWT carrying the signing certificate in "x5c", which the
registry trusts through its rootcertbundle. With --user/--password, wrong credentials get 401
and anonymous requests get only "pull". Needs the python3 `cryptography` package.
usage: token_server.py --key K --cert C --port P [--user U --password W]
"""
import argparse, base64, json, sys, time, uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

ap = argparse.ArgumentParser()
ap.add_argument("--key", required=True)
ap.add_argument("--cert", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--user")
ap.add_argument("--password")
A = ap.parse_args()
KEY = serialization.load_pem_private_key(open(A.key, "rb").read(), password=None)
CERT = x509.load_pem_x509_certificate(open(A.cert, "rb").read())
X5C = base64.b64encode(CERT.public_bytes(serialization.Encoding.DER)).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_token(service, access, subject):
    now = int(time.time())
    hdr = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    claims = {"iss": "test-issuer", "sub": subject, "aud": service, "exp": now + 300,
              "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
    signing_input = (b64url(json.dumps(hdr).encode()) + "." + b64url(json.dumps(claims).encode()))
    sig = KEY.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(sig)


class H(BaseHTTPRequestHandler):
    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path != "/token":
            self.send_response(404)
            self.end_headers()
            return
        subject, authed = "", False
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            if A.user and (user != A.user or pw != A.password):
                self.send_response(401)
                self.end_headers()
                sys.stderr.write("token refused: bad credentials for %r\n" % user)
                return
            subject, authed = user, True
        access = []
        for sc in q.get("scope", []):
            typ, rest = sc.split(":", 1)
            name, _, actions = rest.rpartition(":")
            acts = actions.split(",")
            if A.user and not authed:
                acts = [a for a in acts if a == "pull"]
            access.append({"type": typ, "name": name, "actions": acts})
        tok = make_token(q.get("service", [""])[0], access, subject)
        body = json.dumps({"token": tok, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        sys.stderr.write("token issued: sub=%r access=%s\n" % (subject, json.dumps(access)))
        sys.stderr.flush()

    def log_message(self, *a):
        pass


HTTPServer(("127.0.0.1", A.port), H).serve_forever()
