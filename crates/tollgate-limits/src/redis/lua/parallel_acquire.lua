-- parallel_acquire: ARGV = prefix, now, lease_ms, holder, then (scope key, max) per limit.
-- Takes a slot on every scope for holder, or none. Returns {'ok'} | {'refused', i, held}
-- (i: the 1-based limit that is full, held: its slots in flight).
-- A scope's slots are a sorted set of holders by lease expiry; expired ones are dropped first,
-- so a dead instance's slots come back when their lease ends.
local prefix = ARGV[1]
local now = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local holder = ARGV[4]
local keys = {}
local n = (#ARGV - 4) / 2
for i = 1, n do
  local key = prefix .. 'p:' .. ARGV[3 + 2 * i]
  local max = tonumber(ARGV[4 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local held = redis.call('ZCARD', key)
  if held >= max and not redis.call('ZSCORE', key, holder) then
    return {'refused', tostring(i), tostring(held)}
  end
  keys[i] = key
end
for i = 1, n do
  redis.call('ZADD', keys[i], now + lease, holder)
  -- The set outlives its last slot by nothing: it goes when every lease in it has ended.
  if redis.call('PTTL', keys[i]) < lease then
    redis.call('PEXPIRE', keys[i], lease)
  end
end
return {'ok'}
