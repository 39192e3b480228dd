-- seed_spent: ARGV = prefix, now, retention_ms, scope, limit, period, mode, alert, offset,
-- spent. Returns 1 if applied, 0 if the scope was known.
housekeep(tonumber(ARGV[3]), HOUSEKEEP_MAX)
local scope = ARGV[4]
if redis.call('EXISTS', state_key(scope)) == 1 then
  return 0
end
local st = new_state(ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]),
  num(ARGV[10]))
save_state(scope, st)
return 1
