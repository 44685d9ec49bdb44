"""Reads schemathesis' NDJSON event report and prints, per operation, the
statuses the server answered (positive / negative cases), then every failed
check with what it is known to be:

  PENDING  the target contract of the HTTP rewrite landing in parallel
           (405 + Allow for a method a path does not take; KServe health
           bodies {"live": true}, {"ready": ...}); fails until it lands.
  SERVER   a server bug found by this test and reported, not yet fixed
           (see tests/openapi/README.md).
  NEW      anything else: a difference between the document and the server.

Exit status 0 when no check failed, 1 otherwise; 2 when the report shows
that no positive case of an upload operation got a 200 (the hooks are not
doing their job).
Usage: summarize.py REPORT.ndjson
"""

import base64
import collections
import json
import sys

HEALTH_BODY_OPS = {
    "GET /v2/health/live",
    "GET /v2/health/ready",
    "GET /v2/models/{name}/ready",
    "GET /v2/models/{name}/versions/{version}/ready",
}
UPLOAD_OPS = {
    "POST /infer",
    "POST /v2/models/{name}/infer",
    "POST /v2/models/{name}/versions/{version}/infer",
}


def _text(content):
    if isinstance(content, dict):
        if "$base64" in content:
            return base64.b64decode(content["$base64"]).decode("utf-8", "replace")
        return str(content.get("string", ""))
    return "" if content is None else str(content)


def classify(label, check, failure, response_body):
    if check in ("unsupported_method", "allow_header_conformance"):
        return "PENDING", "405 with Allow for a method the path does not take"
    if label in HEALTH_BODY_OPS and check in (
        "content_type_conformance",
        "response_schema_conformance",
        "status_code_conformance",
    ):
        return "PENDING", "KServe health/readiness JSON bodies"
    if check == "positive_data_acceptance" and (
        "must be an array of non-negative integers" in response_body
        or "must be a non-negative integer" in response_body
    ):
        return "SERVER", "KServe parser rejects an integer spelled as a whole float (2.0)"
    return "NEW", failure.get("title", "")


def main(path):
    statuses = collections.defaultdict(collections.Counter)  # label -> (mode, status) -> n
    failures = []
    seen = set()
    for line in open(path, encoding="utf-8"):
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        label = recorder["label"]
        cases = recorder.get("cases", {})
        interactions = recorder.get("interactions", {})
        for case_id, node in cases.items():
            value = node["value"]
            mode = value.get("meta", {}).get("generation", {}).get("mode", "?")
            inter = interactions.get(case_id)
            if inter and inter.get("response"):
                # The method sent: the coverage phase also sends methods the path does not take.
                name = inter["request"]["method"] + " " + label.split(" ", 1)[1]
                statuses[name][(mode, inter["response"]["status_code"])] += 1
        for case_id, checks in recorder.get("checks", {}).items():
            for check in checks:
                if check["status"] == "success":
                    continue
                failure = (check.get("failure_info") or {}).get("failure", {})
                inter = interactions.get(case_id) or {}
                response = inter.get("response") or {}
                text = _text(response.get("content") or response.get("body"))
                request = inter.get("request") or {}
                where = f"{request.get('method', '')} {request.get('uri', '')}".strip()
                kind, why = classify(label, check["name"], failure, text)
                key = (label, check["name"], failure.get("message", "").split("\n")[0])
                if key in seen:
                    continue
                seen.add(key)
                failures.append((kind, why, label, check["name"], where, response.get("status_code"),
                                 failure.get("message", "").split("\n")[0], text[:300]))

    print("== statuses answered, per operation (positive / negative cases)")
    for name in sorted(statuses):
        counts = statuses[name]
        pos = ", ".join(f"{s}x{n}" for (m, s), n in sorted(counts.items()) if m == "positive")
        neg = ", ".join(f"{s}x{n}" for (m, s), n in sorted(counts.items()) if m == "negative")
        print(f"  {name}: positive [{pos}]  negative [{neg}]")

    unexercised = sorted(
        op for op in UPLOAD_OPS if not any(m == "positive" and s == 200 for (m, s) in statuses.get(op, {}))
    )

    if failures:
        print(f"\n== {len(failures)} distinct failed checks")
        for kind in ("NEW", "SERVER", "PENDING"):
            for f in failures:
                if f[0] != kind:
                    continue
                _, why, label, check, where, status, message, text = f
                print(f"  {kind:8} {label}: {check} ({why})")
                print(f"           {where} -> {status}: {message}")
                if text:
                    print(f"           body: {text}")
        counts = collections.Counter(f[0] for f in failures)
        print("\n== " + ", ".join(f"{counts[k]} {k}" for k in ("NEW", "SERVER", "PENDING")))
    if unexercised:
        print("\nFAIL: no positive case got a 200 on: " + ", ".join(unexercised))
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
