-- wrk script: POST /infer with one image as multipart/form-data (field "file").
--
--   wrk -t2 -c16 -d10s --latency --timeout 60s -s bench/wrk/infer.lua \
--       http://127.0.0.1:8000/infer -- IMAGE
--
-- The image (args[1], or $BENCH_IMAGE) is read once per wrk thread and the
-- request is built once (wrk.format in wrk.init after our init). Responses are
-- counted by status class per thread; done() sums them and prints one
-- machine-readable line starting with WRK_RESULT (latencies in ms).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local path = args[1] or os.getenv("BENCH_IMAGE")
  assert(path, "usage: ... -s infer.lua URL -- IMAGE")
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  local name = path:match("([^/]+)$")
  local ctype = "application/octet-stream"
  if name:match("%.[jJ][pP][eE]?[gG]$") then ctype = "image/jpeg"
  elseif name:match("%.[pP][nN][gG]$") then ctype = "image/png"
  elseif name:match("%.[wW][eE][bB][pP]$") then ctype = "image/webp" end
  local boundary = "----crossPicturesBench7d9f3a61"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
  wrk.body = "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="file"; filename="' .. name .. '"\r\n'
    .. "Content-Type: " .. ctype .. "\r\n\r\n"
    .. data
    .. "\r\n--" .. boundary .. "--\r\n"
  s2xx, s503, s4xx, sother = 0, 0, 0, 0
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status == 503 then
    s503 = s503 + 1
  elseif status >= 400 and status < 500 then
    s4xx = s4xx + 1
  else
    sother = sother + 1
  end
end

function done(summary, latency, requests)
  local c2xx, c503, c4xx, cother = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c2xx = c2xx + (t:get("s2xx") or 0)
    c503 = c503 + (t:get("s503") or 0)
    c4xx = c4xx + (t:get("s4xx") or 0)
    cother = cother + (t:get("sother") or 0)
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  local ms = function(us) return us / 1000.0 end
  io.write(string.format(
    "WRK_RESULT requests=%d duration_s=%.3f rps=%.3f ok_rps=%.3f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
      .. "max_ms=%.3f mean_ms=%.3f status_2xx=%d status_503=%d status_4xx=%d status_other=%d non2xx=%d "
      .. "err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
    summary.requests, secs, summary.requests / secs, c2xx / secs,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency.max), ms(latency.mean),
    c2xx, c503, c4xx, cother, c503 + c4xx + cother,
    e.connect, e.read, e.write, e.timeout))
end
