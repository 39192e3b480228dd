-- rate reap: ARGV = prefix, now, batch size. Drops full buckets (the same as no state).
-- Returns how many (a full batch: call again).
local full = redis.call('ZRANGEBYSCORE', FULL, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[3]))
for _, bucket in ipairs(full) do
  redis.call('DEL', P .. 'q:' .. bucket)
  redis.call('ZREM', FULL, bucket)
end
return #full
