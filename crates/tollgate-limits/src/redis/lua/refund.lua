-- refund: ARGV = prefix, now, n, then per scope: bucket (kind:scope), unused tokens.
local n = tonumber(ARGV[3])
for i = 1, n do
  local bucket = ARGV[3 + (i - 1) * 2 + 1]
  local amount = tonumber(ARGV[3 + (i - 1) * 2 + 2])
  local key = P .. 'q:' .. bucket
  local v = redis.call('HMGET', key, 'ms', 'rem', 'lim', 'per')
  -- No state means a full bucket: nothing to give back to.
  if v[1] and tonumber(v[3]) > 0 then
    local tm, tr, l, p = tonumber(v[1]), tonumber(v[2]), tonumber(v[3]), tonumber(v[4])
    local q, r = muldiv(amount, p, l)
    local nm, nr = tm - q, tr - r
    if nr < 0 then
      nm, nr = nm - 1, nr + l
    end
    if nm < NOW or (nm == NOW and nr == 0) then
      nm, nr = NOW, 0
    end
    redis.call('HSET', key, 'ms', s(nm), 'rem', s(nr))
    redis.call('ZADD', FULL, full_at(nm, nr), bucket)
  end
end
return 0
