-- Paced requests to several paths in rotation (a mix of body sizes, weighted by repeating a path
-- in the list): every connection waits INTERVAL_MS after each response before its next request,
-- so C connections make a little under C * 1000 / INTERVAL_MS requests per second. With `close`,
-- every request carries `Connection: close` and wrk reconnects for the next one: C connections
-- then open about C * 1000 / INTERVAL_MS connections per second (churn).
-- Each thread starts the rotation at its own offset, so several threads do not move in step.
-- Usage: wrk -s mixed.lua URL -- INTERVAL_MS PATH[,PATH...] [close]
local interval_ms = 10
local paths = { "/" }
local next_index = 0
local thread_index = 0

function setup(thread)
  thread:set("thread_index", thread_index)
  thread_index = thread_index + 1
end

function init(args)
  interval_ms = tonumber(args[1]) or interval_ms
  if args[2] then
    paths = {}
    for p in string.gmatch(args[2], "[^,]+") do
      paths[#paths + 1] = p
    end
  end
  if args[3] == "close" then
    wrk.headers["Connection"] = "close"
  end
  next_index = thread_index % #paths
end

function request()
  next_index = next_index % #paths + 1
  return wrk.format(nil, paths[next_index])
end

function delay()
  return interval_ms
end
