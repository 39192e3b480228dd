-- renew: ARGV = prefix, now, retention_ms, id, lease_ms.
-- Returns {'renewed', expires_at} | {'not_open'}.
local retention = tonumber(ARGV[3])
housekeep(retention, HOUSEKEEP_MAX)
local id = ARGV[4]
local rk = res_key(id)
if redis.call('HGET', rk, 'st') ~= 'o' then
  return {'not_open'}
end
local lease = tonumber(ARGV[5])
local expires_at = NOW + lease
redis.call('HSET', rk, 'exp', s(expires_at))
redis.call('PEXPIRE', rk, lease + retention + SAFETY_MS)
redis.call('ZADD', HOLDS, expires_at, id)
local n = tonumber(redis.call('HGET', rk, 'n') or '0')
for i = 1, n do
  local scope = redis.call('HGET', rk, 'b' .. i)
  redis.call('ZADD', open_key(scope), 'XX', expires_at, id)
end
return {'renewed', s(expires_at)}
