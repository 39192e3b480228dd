-- parallel_release: ARGV = prefix, holder, then the scope keys. Frees holder's slots; freeing
-- one twice frees it once. Returns how many were held.
local prefix = ARGV[1]
local holder = ARGV[2]
local freed = 0
for i = 3, #ARGV do
  freed = freed + redis.call('ZREM', prefix .. 'p:' .. ARGV[i], holder)
end
return freed
