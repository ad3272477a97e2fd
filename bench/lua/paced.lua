-- Paces wrk: every connection waits `interval_ms` after each response before its next request,
-- so C connections make about C * 1000 / interval_ms requests per second (a little less: the
-- response time adds to each interval). wrk's delay() has millisecond resolution.
-- Usage: wrk -s paced.lua URL -- INTERVAL_MS
local interval_ms = 10

function init(args)
  interval_ms = tonumber(args[1]) or interval_ms
end

function delay()
  return interval_ms
end
