-- explain: ARGV = prefix, now, retention_ms, scope, max listed.
-- Returns {} if unknown, else {limit, period, mode, offset, window start, spent, reserved,
-- open count, then per listed hold: id, amount, expires_at}.
housekeep(tonumber(ARGV[3]), HOUSEKEEP_MAX)
local scope = ARGV[4]
local st = load_state(scope)
if not st then
  return {}
end
local ws = st.ws
roll(st)
if st.ws ~= ws then
  save_state(scope, st)
end
local reply = {st.lim, st.per, st.mode, s(st.off), st.ws, str(st.spent), str(st.res),
  s(st.open)}
local listed = redis.call('ZRANGE', open_key(scope), 0, tonumber(ARGV[5]) - 1, 'WITHSCORES')
for i = 1, #listed, 2 do
  local id = listed[i]
  local hold = redis.call('HMGET', res_key(id), 'amt', 'exp')
  reply[#reply + 1] = id
  reply[#reply + 1] = hold[1] or '0'
  reply[#reply + 1] = hold[2] or '0'
end
return reply
