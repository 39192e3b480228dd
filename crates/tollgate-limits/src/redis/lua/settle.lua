-- settle: ARGV = prefix, now, retention_ms, id, actual.
-- Returns {'unknown'} | {'settled_before', charged} | {'released_before'} |
-- {kind ('settled'|'late'), held, alert count, then per alert: scope, limit, spent, percent,
-- period, window start}.
local retention = tonumber(ARGV[3])
housekeep(retention, HOUSEKEEP_MAX)
local id = ARGV[4]
local actual = num(ARGV[5])
local rk = res_key(id)
local v = redis.call('HMGET', rk, 'st', 'amt', 'ch', 'n')
local status = v[1]
if not status then
  return {'unknown'}
elseif status == 's' then
  return {'settled_before', v[3]}
elseif status == 'r' then
  return {'released_before'}
end
local held = nil
if status == 'o' then
  held = num(v[2])
  redis.call('ZREM', HOLDS, id)
  redis.call('ZADD', FORGET, NOW + retention, id)
end
-- An expired hold keeps its place in the forget queue.
local n = tonumber(v[4] or '0')
local alerts = {}
for i = 1, n do
  local scope = redis.call('HGET', rk, 'b' .. i)
  local st = load_state(scope)
  if st then
    roll(st)
  else
    -- Dropped meanwhile: start again from the spec as reserved.
    local lim, per, mode, alert, off = unpack_spec(redis.call('HGET', rk, 'p' .. i))
    st = new_state(lim, per, mode, alert, off)
  end
  if held then
    st.res = sub0(st.res, held)
    st.open = math.max(st.open - 1, 0)
    redis.call('ZREM', open_key(scope), id)
  end
  st.spent = add(st.spent, actual)
  if st.alert > 0 and st.alerted ~= st.ws
    and cmp(mul_small(st.spent, 100), mul_small(num(st.lim), st.alert)) >= 0 then
    st.alerted = st.ws
    for _, x in ipairs({scope, st.lim, str(st.spent), s(st.alert), st.per, st.ws}) do
      alerts[#alerts + 1] = x
    end
  end
  save_state(scope, st)
end
redis.call('HSET', rk, 'st', 's', 'ch', str(actual))
expire_closed(rk, retention)
local reply = {held and 'settled' or 'late', held and str(held) or '0', s(#alerts / 6)}
for _, x in ipairs(alerts) do
  reply[#reply + 1] = x
end
return reply
