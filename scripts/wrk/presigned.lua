-- wrk: POST pre-signed requests, one line of the file in $PRESIGNED each, in order
-- (`<path>\t<signature>\t<body>`, written by `cargo run --example presign`). Each
-- request is formatted when sent, as the reference's own script does. Wraps around at
-- the end (repeats are then duplicates: write more lines than wrk can send).
local paths, sigs, bodies = {}, {}, {}
local n = 0
local i = 0

function init(args)
  for line in io.lines(os.getenv("PRESIGNED")) do
    local p, sig, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
    n = n + 1
    paths[n], sigs[n], bodies[n] = p, sig, body
  end
end

function request()
  i = i % n + 1
  return wrk.format("POST", paths[i], {
    ["Content-Type"] = "application/json",
    ["X-Shopmux-Signature"] = sigs[i],
  }, bodies[i])
end
