"""schemathesis hooks for tests/openapi: real images where the document asks
for image bytes, so positive cases reach the 200 path instead of only the
400s of random bytes.

JSON Schema cannot say "these bytes decode as an image" or "data has exactly
prod(shape) values". For those facts alone the hooks step in, and only for
cases schemathesis generated as positive (valid per the document):
  * every `format: binary` string (the multipart `file`/`image` parts) and
    every raw image/* or application/octet-stream body of /infer is drawn
    from real images (CP_OPENAPI_IMAGES: small fixtures);
  * a positive KServe v2 infer body keeps what was generated (id,
    parameters, outputs, the input's name, datatype and batch size) and gets
    data that fits its shape: real images for BYTES, zeros for FP32; its
    binary form (application/octet-stream) is built as the binary tensor
    extension says, with Inference-Header-Content-Length.
Negative cases are left exactly as generated.
"""

import base64
import json
import os
import pathlib
import struct

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

# CP_OPENAPI_IMAGES: image files, colon-separated (small ones: every positive upload runs the model).
_IMAGES = [pathlib.Path(p).read_bytes() for p in os.environ["CP_OPENAPI_IMAGES"].split(":") if p]
assert _IMAGES, "no images in CP_OPENAPI_IMAGES"
_MAX_BODY = int(os.environ.get("CP_OPENAPI_MAX_BODY_BYTES", 20 << 20))
_image = st.sampled_from(_IMAGES)

schemathesis.openapi.format("binary", _image)
schemathesis.openapi.media_type("image/*", _image)
schemathesis.openapi.media_type("application/octet-stream", _image)


def _positive(case, location):
    meta = case.meta
    if meta is None:
        return False
    component = meta.components.get(location)
    return component is not None and component.mode.is_positive


def _positive_body(case):
    return _positive(case, ParameterLocation.BODY)


def _headers_positive(case):
    """No negative header data (then the headers are left exactly as generated)."""
    meta = case.meta
    component = meta.components.get(ParameterLocation.HEADER) if meta else None
    return component is None or component.mode.is_positive


def _drop_header(case, name):
    if case.headers and _headers_positive(case):
        for key in list(case.headers):
            if key.lower() == name.lower():
                del case.headers[key]


def _fill_input(inp, index):
    """Data that fits the input's generated shape: images for BYTES, zeros for FP32."""
    # int(): schemathesis also spells an integer as a whole float (2.0), as JSON Schema allows; the
    # shape itself is sent as generated.
    shape = [int(d) for d in inp.get("shape") or [1]]
    if inp.get("datatype") == "BYTES":
        return [_IMAGES[(index + i) % len(_IMAGES)] for i in range(shape[0])]
    count = 1
    for d in shape:
        count *= d
    return count


def _kserve_json(case):
    body = case.body
    if not isinstance(body, dict) or not body.get("inputs"):
        return
    inp = body["inputs"][0]
    data = _fill_input(inp, 0)
    params = dict(inp.get("parameters") or {})
    if isinstance(data, list):
        params["content_type"] = "base64"
        inp["data"] = [base64.b64encode(b).decode() for b in data]
    else:
        # The body must fit MAX_BODY_BYTES (its one limit on an FP32 batch): at most the batch that fits.
        first = int(inp["shape"][0])
        per_image = data // first
        batch = max(1, min(first, _MAX_BODY // (3 * per_image)))
        if batch != first:
            inp["shape"] = [batch, *inp["shape"][1:]]
        inp["data"] = [0] * (batch * per_image)
    inp["parameters"] = params
    # The whole body is the JSON part: a generated split point would cut it.
    _drop_header(case, "Inference-Header-Content-Length")


def _kserve_binary(case):
    """The binary tensor extension: JSON header (binary_data_size in place of data), then the raw data."""
    # A positive octet-stream body is random bytes: build a request of the same kind as a JSON one.
    inp = {"name": "image", "datatype": "BYTES", "shape": [1]}
    data = _fill_input(inp, 1)
    raw = b"".join(struct.pack("<I", len(b)) + b for b in data)
    inp["parameters"] = {"binary_data_size": len(raw)}
    header = json.dumps({"inputs": [inp], "outputs": [{"name": "output", "parameters": {"binary_data": True}}]})
    header_bytes = header.encode()
    case.body = header_bytes + raw
    if _headers_positive(case):
        _drop_header(case, "Inference-Header-Content-Length")
        case.headers = dict(case.headers or {})
        case.headers["Inference-Header-Content-Length"] = str(len(header_bytes))


@schemathesis.hook
def map_case(context, case):
    op = context.operation
    if op is None or not _positive_body(case):
        return case
    if op.method.upper() == "POST" and op.path.startswith("/v2/models/") and op.path.endswith("/infer"):
        if case.media_type == "application/octet-stream":
            _kserve_binary(case)
        else:
            _kserve_json(case)
    return case


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but one kind: "an unknown header was accepted".

    The coverage phase treats the headers as a closed object and expects a
    request with an extra, undeclared header to be refused; HTTP says the
    opposite (RFC 9110 section 5.1: a recipient MUST ignore unrecognized
    header fields), and so does every client that sends its own headers.
    """
    meta = case.meta
    data = getattr(getattr(meta, "phase", None), "data", None)
    unknown_header = (
        getattr(data, "scenario", None) == "object_unexpected_properties"
        and getattr(data, "parameter_location", None) == ParameterLocation.HEADER
    )
    return not (unknown_header and type(failure).__name__ == "AcceptedNegativeData")
