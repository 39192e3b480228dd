-- Shared by the rate-limit scripts (prepended). GCRA as in gcra.rs, where time is scaled by
-- the limit (ms x limit) so nothing rounds; those products pass 2^53, where Lua's doubles stop
-- being exact, so a scaled time is kept as {ms, rem}: ms x limit + rem, 0 <= rem < limit.

local function s(x)
  return string.format('%d', x)
end

-- a = q * m + r, 0 <= r < m, for exact non-negative integers a and m >= 1.
local function divmod(a, m)
  local q = math.floor(a / m)
  local r = a - q * m
  if r < 0 then
    q, r = q - 1, r + m
  elseif r >= m then
    q, r = q + 1, r - m
  end
  return q, r
end

-- a * b = q * m + r exactly, though a * b may pass 2^53 (binary long multiplication; every
-- intermediate stays below 2m). Needs m < 2^52 and q < 2^53.
local function muldiv(a, b, m)
  if a * b < 4503599627370496 then
    return divmod(a * b, m)
  end
  local aq, ar = divmod(a, m)
  local bits = {}
  local x = b
  while x > 0 do
    local half = math.floor(x / 2)
    bits[#bits + 1] = x - 2 * half
    x = half
  end
  local q, r = 0, 0
  for i = #bits, 1, -1 do
    q, r = 2 * q, 2 * r
    if r >= m then
      q, r = q + 1, r - m
    end
    if bits[i] == 1 then
      r = r + ar
      if r >= m then
        q, r = q + 1, r - m
      end
    end
  end
  return aq * b + q, r
end

local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local FULL = P .. 'qfull'

-- Remaining units and ms until full for a debt of {dm, dr} (non-negative) under limit l per
-- p ms.
local function standing(dm, dr, l, p)
  local reset = dm + ((dr > 0) and 1 or 0)
  if dm > p or (dm == p and dr > 0) then
    return 0, reset
  end
  local fm, fr = p - dm, 0
  if dr > 0 then
    fm, fr = fm - 1, l - dr
  end
  local q1, r1 = muldiv(fm, l, p)
  local q2 = divmod(r1 + fr, p)
  return q1 + q2, reset
end

-- The first ms at which a bucket with this TAT is full again.
local function full_at(tm, tr)
  return tm + ((tr > 0) and 1 or 0)
end
