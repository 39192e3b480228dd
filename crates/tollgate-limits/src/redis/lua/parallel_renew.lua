-- parallel_renew: ARGV = prefix, now, lease_ms, holder, then the scope keys. Pushes back the
-- lease of holder's slots that are still held (an expired slot is not taken back: its place may
-- be someone else's by now). Returns how many were renewed.
local prefix = ARGV[1]
local now = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local holder = ARGV[4]
local renewed = 0
for i = 5, #ARGV do
  local key = prefix .. 'p:' .. ARGV[i]
  local expiry = redis.call('ZSCORE', key, holder)
  if expiry and tonumber(expiry) > now then
    redis.call('ZADD', key, 'XX', now + lease, holder)
    if redis.call('PTTL', key) < lease then
      redis.call('PEXPIRE', key, lease)
    end
    renewed = renewed + 1
  end
end
return renewed
