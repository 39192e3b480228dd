-- Shared by every script (prepended). Redis Lua numbers are doubles, exact to 2^53, so money
-- (i64 nano-USD) is handled as two parts, {hi, lo} = hi * 1e9 + lo, each exact. All amounts
-- are non-negative (the Rust side validates). Times are Unix ms (exact as doubles).

local B = 1000000000
local MAX = {9223372036, 854775807}

local function s(x)
  return string.format('%d', x)
end

local function num(text)
  text = text or '0'
  local n = #text
  if n <= 9 then
    return {0, tonumber(text)}
  end
  return {tonumber(string.sub(text, 1, n - 9)), tonumber(string.sub(text, n - 8))}
end

local function str(a)
  if a[1] == 0 then
    return s(a[2])
  end
  return string.format('%d%09d', a[1], a[2])
end

local function cmp(a, b)
  if a[1] ~= b[1] then
    return a[1] < b[1] and -1 or 1
  end
  if a[2] ~= b[2] then
    return a[2] < b[2] and -1 or 1
  end
  return 0
end

-- Saturating at i64::MAX, like the in-process backend.
local function add(a, b)
  local hi, lo = a[1] + b[1], a[2] + b[2]
  if lo >= B then
    lo = lo - B
    hi = hi + 1
  end
  local sum = {hi, lo}
  if cmp(sum, MAX) > 0 then
    return {MAX[1], MAX[2]}
  end
  return sum
end

-- Never below zero.
local function sub0(a, b)
  if cmp(a, b) <= 0 then
    return {0, 0}
  end
  local hi, lo = a[1] - b[1], a[2] - b[2]
  if lo < 0 then
    lo = lo + B
    hi = hi - 1
  end
  return {hi, lo}
end

local function mul_small(a, k)
  local lo = a[2] * k
  local carry = math.floor(lo / B)
  return {a[1] * k + carry, lo - carry * B}
end

-- Period arithmetic, the same as period.rs (Howard Hinnant's civil calendar).
local DAY = 86400000

local function days_from_civil(y, m, d)
  if m <= 2 then
    y = y - 1
  end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m > 2) and (m - 3) or (m + 9)
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local m = (mp < 10) and (mp + 3) or (mp - 9)
  local y = yoe + era * 400
  if m <= 2 then
    y = y + 1
  end
  return y, m
end

-- The window start as a string ('n' for a lifetime budget): compared, never added to.
local function window_start(per, now, off)
  if per == 'none' then
    return 'n'
  end
  local shift = off * 60000
  local day = math.floor((now + shift) / DAY)
  local start = day
  if per == 'weekly' then
    start = day - ((day + 3) % 7)
  elseif per == 'monthly' then
    local y, m = civil_from_days(day)
    start = days_from_civil(y, m, 1)
  end
  return s(start * DAY - shift)
end

-- Keys. P is the configured prefix.
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local function state_key(scope) return P .. 'b:' .. scope end
local function open_key(scope) return P .. 'o:' .. scope end
local function res_key(id) return P .. 'r:' .. id end
local HOLDS = P .. 'holds'
local FORGET = P .. 'forget'
local SCOPES = P .. 'scopes'

-- A budget state: lim per mode alert off ws spent res open alerted.
local function load_state(scope)
  local v = redis.call('HMGET', state_key(scope), 'lim', 'per', 'mode', 'alert', 'off', 'ws',
    'spent', 'res', 'open', 'alerted')
  if not v[1] then
    return nil
  end
  return {lim = v[1], per = v[2], mode = v[3], alert = tonumber(v[4]), off = tonumber(v[5]),
    ws = v[6], spent = num(v[7]), res = num(v[8]), open = tonumber(v[9]), alerted = v[10] or ''}
end

local function new_state(lim, per, mode, alert, off, spent)
  return {lim = lim, per = per, mode = mode, alert = alert, off = off,
    ws = window_start(per, NOW, off), spent = spent or {0, 0}, res = {0, 0}, open = 0,
    alerted = ''}
end

-- Start a new window if the period ended; holds carry over.
local function roll(st)
  local ws = window_start(st.per, NOW, st.off)
  if ws ~= st.ws then
    st.ws = ws
    st.spent = {0, 0}
  end
end

local function save_state(scope, st)
  redis.call('HSET', state_key(scope), 'lim', st.lim, 'per', st.per, 'mode', st.mode,
    'alert', s(st.alert), 'off', s(st.off), 'ws', st.ws, 'spent', str(st.spent),
    'res', str(st.res), 'open', s(st.open), 'alerted', st.alerted)
  redis.call('SADD', SCOPES, scope)
end

-- A packed spec: lim|per|mode|alert|off.
local function unpack_spec(packed)
  local lim, per, mode, alert, off = string.match(packed, '^(%d+)|(%a+)|(%a)|(%d+)|(-?%d+)$')
  return lim, per, mode, tonumber(alert), tonumber(off)
end

-- Free an open hold's amount on every budget it names.
local function unhold_all(id, rk, amount)
  local n = tonumber(redis.call('HGET', rk, 'n') or '0')
  for i = 1, n do
    local scope = redis.call('HGET', rk, 'b' .. i)
    local st = load_state(scope)
    if st then
      st.res = sub0(st.res, amount)
      st.open = math.max(st.open - 1, 0)
      redis.call('HSET', state_key(scope), 'res', str(st.res), 'open', s(st.open))
    end
    redis.call('ZREM', open_key(scope), id)
  end
end

-- A closed reservation's real TTL: a safety net behind the forget queue (which follows the
-- backend's clock), so a Redis that nobody reaps still forgets.
local SAFETY_MS = 3600000
local function expire_closed(rk, retention)
  redis.call('PEXPIRE', rk, retention + SAFETY_MS)
end

-- Free holds whose lease ended, forget closed reservations past retention; at most `max` of
-- each. Returns expired, forgotten, and whether more may remain.
local function housekeep(retention, max)
  local expired = 0
  local ids = redis.call('ZRANGEBYSCORE', HOLDS, '-inf', NOW, 'LIMIT', 0, max)
  for _, id in ipairs(ids) do
    local rk = res_key(id)
    local v = redis.call('HMGET', rk, 'st', 'amt')
    redis.call('ZREM', HOLDS, id)
    if v[1] == 'o' then
      redis.call('ZADD', FORGET, NOW + retention, id)
      unhold_all(id, rk, num(v[2]))
      redis.call('HSET', rk, 'st', 'x')
      expire_closed(rk, retention)
      expired = expired + 1
    end
  end
  local forgotten = 0
  local old = redis.call('ZRANGEBYSCORE', FORGET, '-inf', NOW, 'LIMIT', 0, max)
  for _, id in ipairs(old) do
    redis.call('ZREM', FORGET, id)
    local rk = res_key(id)
    local st = redis.call('HGET', rk, 'st')
    if st and st ~= 'o' then
      redis.call('DEL', rk)
      forgotten = forgotten + 1
    end
  end
  return expired, forgotten, (#ids == max or #old == max)
end

-- On the request path a call frees at most this many expired holds (a mass expiry is spread
-- over the next calls and the reaper) so no script runs long.
local HOUSEKEEP_MAX = 1000
