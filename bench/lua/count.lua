-- Stops wrk's thread after COUNT responses, so a run makes a fixed number of requests however
-- long it takes (plus those still in flight on the other connections when it stops: nginx serves
-- them, and the harness counts what nginx served, not what wrk saw). With `close`, every request
-- carries `Connection: close`: one request per connection, wrk reconnecting after each (churn).
-- wrk's main thread sleeps for the whole -d even once its threads stopped: the harness sends it
-- SIGINT when nginx's request count stops moving, and wrk prints its report then.
-- Usage: wrk -t1 -d <long> -s count.lua URL -- COUNT [close]    (one thread: COUNT is per thread)
local count = 0
local limit = 1

function init(args)
  limit = tonumber(args[1]) or limit
  if args[2] == "close" then
    wrk.headers["Connection"] = "close"
  end
end

function response(status, headers, body)
  count = count + 1
  if count >= limit then
    wrk.thread:stop()
  end
end
