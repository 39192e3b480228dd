-- release: ARGV = prefix, now, retention_ms, id.
-- Returns {'unknown'} | {'settled_before'} | {'released_before'} | {'expired'} |
-- {'released', amount}.
local retention = tonumber(ARGV[3])
housekeep(retention, HOUSEKEEP_MAX)
local id = ARGV[4]
local rk = res_key(id)
local v = redis.call('HMGET', rk, 'st', 'amt')
local status = v[1]
if not status then
  return {'unknown'}
elseif status == 's' then
  return {'settled_before'}
elseif status == 'r' then
  return {'released_before'}
elseif status == 'x' then
  return {'expired'}
end
redis.call('ZREM', HOLDS, id)
redis.call('ZADD', FORGET, NOW + retention, id)
unhold_all(id, rk, num(v[2]))
redis.call('HSET', rk, 'st', 'r')
expire_closed(rk, retention)
return {'released', v[2]}
