-- acquire: ARGV = prefix, now, n, then per check: bucket (kind:scope), limit, period_ms,
-- amount. Returns {'ok', then per check: remaining, reset_ms} |
-- {'limited', index, remaining, reset_ms, retry_after_ms (-1: never)}.
local n = tonumber(ARGV[3])
local takes = {}
for i = 1, n do
  local base = 3 + (i - 1) * 4
  local bucket = ARGV[base + 1]
  local l, p, amount = tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4])
  local key = P .. 'q:' .. bucket
  local v = redis.call('HMGET', key, 'ms', 'rem', 'lim', 'per')
  local tm, tr = NOW, 0
  if v[1] then
    tm, tr = tonumber(v[1]), tonumber(v[2])
    local l0, p0 = tonumber(v[3]), tonumber(v[4])
    if l0 ~= l or p0 ~= p then
      -- A changed quota keeps the used fraction of the bucket (rounded up), stored at once as
      -- the in-process limiter does, even if this call is refused.
      local dm, dr = tm - NOW, tr
      if dm < 0 or l0 == 0 then
        dm, dr = 0, 0
      end
      if l == 0 then
        tm, tr = NOW, 0
      elseif p0 == p then
        local c = 0
        if dr > 0 then
          local q, r = muldiv(dr, l, l0)
          c = q + ((r > 0) and 1 or 0)
        end
        local cq, cr = divmod(c, l)
        tm, tr = NOW + dm + cq, cr
      else
        local used = 0
        if dm > 0 or dr > 0 then
          used = (dm + dr / l0) / p0 * p
        end
        local whole = math.floor(used)
        local part = math.ceil((used - whole) * l)
        if part >= l then
          whole, part = whole + 1, 0
        end
        tm, tr = NOW + whole, part
      end
      redis.call('HSET', key, 'ms', s(tm), 'rem', s(tr), 'lim', s(l), 'per', s(p))
      redis.call('ZADD', FULL, full_at(tm, tr), bucket)
    end
  end
  if l == 0 then
    return {'limited', s(i), '0', '0', '-1'}
  end
  -- The bucket's start: its TAT, or now if it refilled.
  local sm, sr = NOW, 0
  if tm > NOW or (tm == NOW and tr > 0) then
    sm, sr = tm, tr
  end
  if amount > l then
    local remaining, reset = standing(sm - NOW, sr, l, p)
    return {'limited', s(i), s(remaining), s(reset), '-1'}
  end
  local q, r = muldiv(amount, p, l)
  local nm, nr = sm + q, sr + r
  if nr >= l then
    nm, nr = nm + 1, nr - l
  end
  local dm = nm - NOW
  if dm < p or (dm == p and nr == 0) then
    local remaining, reset = standing(dm, nr, l, p)
    takes[i] = {key, bucket, nm, nr, l, p, remaining, reset}
  else
    local retry = (dm - p) + ((nr > 0) and 1 or 0)
    local remaining, reset = standing(sm - NOW, sr, l, p)
    return {'limited', s(i), s(remaining), s(reset), s(retry)}
  end
end
local reply = {'ok'}
for i = 1, n do
  local t = takes[i]
  redis.call('HSET', t[1], 'ms', s(t[3]), 'rem', s(t[4]), 'lim', s(t[5]), 'per', s(t[6]))
  redis.call('ZADD', FULL, full_at(t[3], t[4]), t[2])
  -- A safety net behind the reaper, on the server's clock: a bucket is full after its debt
  -- has been repaid, which takes at most one period beyond its TAT.
  redis.call('PEXPIRE', t[1], math.max(t[3] - NOW, 0) + t[6] + 3600000)
  reply[#reply + 1] = s(t[7])
  reply[#reply + 1] = s(t[8])
end
return reply
