-- reap: ARGV = prefix, now, retention_ms, scan cursor, batch size.
-- Frees expired holds, forgets old closed reservations, and drops idle budget states among
-- one SSCAN batch. Returns {expired, forgotten, idle, next cursor ('0': done), more (0|1)}.
local batch = tonumber(ARGV[5])
local expired, forgotten, more = housekeep(tonumber(ARGV[3]), batch)
local scan = redis.call('SSCAN', SCOPES, ARGV[4], 'COUNT', batch)
local idle = 0
for _, scope in ipairs(scan[2]) do
  local st = load_state(scope)
  if not st then
    redis.call('SREM', SCOPES, scope)
  else
    local ws = st.ws
    roll(st)
    if st.open == 0 and cmp(st.res, {0, 0}) == 0 and cmp(st.spent, {0, 0}) == 0 then
      redis.call('DEL', state_key(scope), open_key(scope))
      redis.call('SREM', SCOPES, scope)
      idle = idle + 1
    elseif st.ws ~= ws then
      save_state(scope, st)
    end
  end
end
return {s(expired), s(forgotten), s(idle), scan[1], more and '1' or '0'}
