"""What schemathesis does not check, against the server's own /openapi.json:

  * every path + method in the document answers something other than 404;
  * paths not in the document answer 404, in the path's error shape;
  * a method the document does not list for a path answers 405 with an
    Allow header naming the documented methods, in the path's error shape
    (PENDING: the HTTP rewrite landing in parallel; fails until then);
  * the limits the document states (info.x-limits, top_k's range, images per
    request, MAX_BODY_BYTES) are the ones the server enforces;
  * a request body the server does not read (a GET, a method no route takes)
    never desynchronizes a kept-alive connection (SERVER: reported bug);
  * /docs renders every path of the document.

Each check prints PASS, FAIL, PENDING-FAIL (a PENDING behaviour not there
yet) or SERVER-FAIL (a reported server bug); the exit status is 0 only when
every check passed. Standard library only.
Usage: direct_checks.py BASE_URL IMAGE_FILE
"""

import http.client
import json
import re
import socket
import sys
import urllib.parse
import uuid

BASE = urllib.parse.urlsplit(sys.argv[1])
IMAGE = open(sys.argv[2], "rb").read()
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]  # HEAD and OPTIONS: answered by the HTTP library

results = []  # (kind, name, ok, detail)


def check(kind, name, ok, detail=""):
    results.append((kind, name, ok, detail))
    tag = "PASS" if ok else {"": "FAIL", "PENDING": "PENDING-FAIL", "SERVER": "SERVER-FAIL"}[kind]
    print(f"{tag:13} {name}" + ("" if ok else f": {detail}"))


def request(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=30)
    try:
        hdrs = {"Connection": "close", **(headers or {})}
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def is_kserve(path):
    return path == "/v2" or path.startswith("/v2/")


def error_shape_ok(path, body):
    try:
        j = json.loads(body)
    except ValueError:
        return False
    key = "error" if is_kserve(path) else "detail"
    return isinstance(j, dict) and set(j) == {key} and isinstance(j[key], str)


def multipart(parts):
    boundary = uuid.uuid4().hex
    out = b""
    for name, data in parts:
        out += (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"x\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


status, _, raw = request("GET", "/openapi.json")
doc = json.loads(raw)
check("", "GET /openapi.json is OpenAPI 3.1", status == 200 and doc.get("openapi", "").startswith("3.1"))
paths = doc["paths"]
limits = doc["info"]["x-limits"]
model = paths["/v2/models/{name}"]["get"]["parameters"][0]["schema"]["enum"][0]


def concrete(path):
    return path.replace("{name}", model).replace("{version}", "1")


# Every documented operation exists (anything but 404), sent without a valid body.
for path, ops in paths.items():
    for method in ops:
        status, _, body = request(method.upper(), concrete(path), body=b"" if method == "post" else None)
        check("", f"{method.upper()} {path} is routed", status != 404, f"{status} {body[:120]!r}")

# Undocumented paths: 404 in the path's error shape.
for path in ["/nope", "/infer/x", "/health/x", "/docs/x", "/v2/nope", "/v2/health", "/v2/models",
             f"/v2/models/{model}/versions/2", f"/v2/models/{model}/versions/1/nope", "/v2/models/other/ready",
             f"/v2/models/{model}/infer/x"]:
    status, _, body = request("GET", path)
    check("", f"GET {path} (not documented) is 404", status == 404 and error_shape_ok(path, body),
          f"{status} {body[:120]!r}")

# Undocumented methods on documented paths: 405 + Allow (PENDING).
for path, ops in paths.items():
    documented = {m.upper() for m in ops}
    for method in METHODS:
        if method in documented:
            continue
        status, headers, body = request(method, concrete(path), body=b"" if method != "GET" else None)
        allow = {m.strip().upper() for m in headers.get("allow", "").split(",") if m.strip()}
        ok = status == 405 and documented <= allow and allow - documented <= {"HEAD", "OPTIONS"} and \
            error_shape_ok(path, body)
        check("PENDING", f"{method} {path} (method not documented) is 405 with Allow", ok,
              f"{status} Allow={headers.get('allow')!r} {body[:100]!r}")

# The limits the document states are the server's.
top_k = limits["top_k"]
infer_top_k = next(p for p in paths["/infer"]["post"]["parameters"] if p["name"] == "top_k")["schema"]
check("", "info.x-limits.top_k is /infer's top_k schema",
      all(infer_top_k.get(k) == top_k.get(k) for k in ("minimum", "maximum", "default")), f"{infer_top_k} {top_k}")
for k, want in [(top_k["maximum"], 200), (top_k["maximum"] + 1, 422), (top_k["minimum"], 200),
                (top_k["minimum"] - 1, 422)]:
    status, _, body = request("POST", f"/infer?top_k={k}", IMAGE, {"Content-Type": "image/png"})
    n = len(json.loads(body).get("predictions", [])) if status == 200 else None
    check("", f"POST /infer?top_k={k} is {want}", status == want and (want != 200 or n == k), f"{status} {body[:120]!r}")
status, _, body = request("POST", "/infer", IMAGE, {"Content-Type": "image/png"})
check("", f"POST /infer without top_k gives the default {top_k['default']}",
      status == 200 and len(json.loads(body)["predictions"]) == top_k["default"], f"{status} {body[:120]!r}")
max_images = limits["max_images_per_request"]
for field in ("file", "image"):
    check("", f"/infer {field} maxItems is {max_images}",
          paths["/infer"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"][field][
              "maxItems"] == max_images)
body, ctype = multipart([("file", IMAGE)] * (max_images + 1))
status, _, answer = request("POST", "/infer", body, {"Content-Type": ctype})
check("", f"POST /infer with {max_images + 1} images is 400", status == 400 and error_shape_ok("/infer", answer),
      f"{status} {answer[:120]!r}")
body, ctype = multipart([("file", IMAGE), ("image", IMAGE)])
status, _, answer = request("POST", "/infer", body, {"Content-Type": ctype})
results_ok = status == 200 and len(json.loads(answer).get("results", [])) == 2
check("", "POST /infer with a file and an image part gives 2 results", results_ok, f"{status} {answer[:120]!r}")
max_body = limits["max_body_bytes"]
for path, ctype in [("/infer", "image/png"), (f"/v2/models/{model}/infer", "application/json")]:
    status, _, answer = request("POST", path, b"x" * (max_body + 1), {"Content-Type": ctype})
    check("", f"POST {path} with {max_body + 1} bytes is 413", status == 413 and error_shape_ok(path, answer),
          f"{status} {answer[:120]!r}")
for k in (1, 3):
    ex = paths["/v2/models/{name}/infer"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    for name, example in ex.items():
        status, _, answer = request("POST", f"/v2/models/{model}/infer", json.dumps(example["value"]).encode(),
                                    {"Content-Type": "application/json"})
        check("", f"KServe infer example '{name}' is 200", status == 200, f"{status} {answer[:120]!r}")
    break


# A body the server does not read must not be taken for the next request on a kept-alive connection.
def two_on_one_connection(first):
    s = socket.create_connection((BASE.hostname, BASE.port), timeout=5)
    s.sendall(first + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
            if out.count(b"HTTP/1.1 ") >= 2 and out.endswith(b"}"):
                break
    except socket.timeout:
        pass
    s.close()
    return out


body = b'{"x": "' + b"y" * 4000 + b'"}'
for method, path in [("GET", "/health"), ("GET", "/nope"), ("OPTIONS", "/infer"), ("TRACE", "/infer"),
                     ("PUT", "/infer")]:
    out = two_on_one_connection(
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3})", out)
    first_closes = b"connection: close" in out.split(b"\r\n\r\n", 1)[0].lower()
    ok = (len(statuses) == 2 and statuses[1] == b"200") or (len(statuses) == 1 and first_closes)
    check("SERVER", f"{method} {path} with an unread body keeps the connection in step", ok,
          f"answers {[s.decode() for s in statuses]}, then {out[-60:]!r}")

# /docs renders the document.
status, _, html = request("GET", "/docs")
missing = [p for p in paths if f"<code>{p}</code>" not in html.decode("utf-8", "replace")]
check("", "GET /docs shows every path", status == 200 and not missing, f"{status} missing {missing}")

failed = [r for r in results if not r[2]]
print(f"\ndirect checks: {len(results) - len(failed)} passed, {len(failed)} failed"
      f" ({sum(1 for r in failed if r[0] == 'PENDING')} PENDING, {sum(1 for r in failed if r[0] == 'SERVER')} SERVER)")
sys.exit(1 if failed else 0)
