-- reserve: ARGV = prefix, now, retention_ms, id, amount, lease_ms, n, then per budget:
-- scope, limit, period, mode (h|s), alert percent (0: none), offset minutes.
-- Returns {'ok', expires_at} | {'open', amount, expires_at} | {'dup'} |
-- {'refused', index, spent, reserved}.
local retention = tonumber(ARGV[3])
housekeep(retention, HOUSEKEEP_MAX)
local id = ARGV[4]
local rk = res_key(id)
local held = redis.call('HMGET', rk, 'st', 'amt', 'exp')
if held[1] == 'o' then
  return {'open', held[2], held[3]}
elseif held[1] then
  return {'dup'}
end
local amount = num(ARGV[5])
local lease = tonumber(ARGV[6])
local n = tonumber(ARGV[7])
local states = {}
-- First every check, then every hold: a refusal leaves no hold anywhere.
for i = 1, n do
  local base = 7 + (i - 1) * 6
  local scope = ARGV[base + 1]
  local lim, per, mode = ARGV[base + 2], ARGV[base + 3], ARGV[base + 4]
  local alert, off = tonumber(ARGV[base + 5]), tonumber(ARGV[base + 6])
  local st = load_state(scope)
  if st then
    -- Adopt the caller's current description of the budget, then the current window.
    st.lim, st.per, st.mode, st.alert, st.off = lim, per, mode, alert, off
    roll(st)
  else
    st = new_state(lim, per, mode, alert, off)
    st.fresh = true
  end
  local fits
  if mode == 'h' then
    fits = cmp(add(add(st.spent, st.res), amount), num(lim)) <= 0
  else
    fits = cmp(st.spent, num(lim)) < 0
  end
  if not st.fresh then
    save_state(scope, st)
  end
  if not fits then
    return {'refused', s(i), str(st.spent), str(st.res)}
  end
  states[i] = {scope, st, lim .. '|' .. per .. '|' .. mode .. '|' .. s(alert) .. '|' .. s(off)}
end
local expires_at = NOW + lease
local fields = {'st', 'o', 'amt', str(amount), 'exp', s(expires_at), 'n', s(n)}
for i = 1, n do
  local scope, st, packed = states[i][1], states[i][2], states[i][3]
  st.res = add(st.res, amount)
  st.open = st.open + 1
  save_state(scope, st)
  redis.call('ZADD', open_key(scope), expires_at, id)
  fields[#fields + 1] = 'b' .. i
  fields[#fields + 1] = scope
  fields[#fields + 1] = 'p' .. i
  fields[#fields + 1] = packed
end
redis.call('HSET', rk, unpack(fields))
redis.call('PEXPIRE', rk, lease + retention + SAFETY_MS)
redis.call('ZADD', HOLDS, expires_at, id)
return {'ok', s(expires_at)}
