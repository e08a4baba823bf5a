-- A long-tail query mix for wrk: about 9,000 distinct requests whose popularity falls off like
-- Zipf (the k-th most popular is asked about 1/k as often as the first), as on municipal sites:
-- a few default lists and popular words repeat, most requests are rare. Shapes: word, word in a
-- municipality with facets, word near a town centre, browse a municipality by theme, two words,
-- autocomplete. Each wrk thread draws from its own seeded generator, so runs are repeatable.
local words = {
  "kuoro", "vertaistuki", "kerho", "liikunta", "omaishoitajat", "nuoret", "kahvila", "ryhmä",
  "muistisairaus", "yksinäisyys", "tanssi", "lapsiperheet", "mielenterveys", "velat", "maahanmuuttajat",
  "eläkeläiset", "päihteet", "kuntosali", "retki", "käsityöt", "kirjasto", "vapaaehtoinen",
  "leiri", "diabetes", "syöpä", "sotaveteraanit", "partio", "teatteri", "kieli", "kokkikerho",
}
local munis = {
  "091", "837", "853", "564", "297", "179", "398", "405", "109", "286",
  "743", "609", "167", "698", "020",
}
local centres = {
  "60.170,24.941", "61.498,23.761", "60.452,22.267", "65.012,25.465", "62.892,27.677",
  "62.242,25.747", "60.983,25.656", "61.059,28.186", "60.996,24.464", "60.867,26.704",
}
local themes = { "mental_health", "culture", "physical_activity", "loneliness", "peer_support", "family" }

local prefixes = {
  "kuo", "kuor", "ver", "vert", "vertai", "ker", "kerh", "lii", "liik", "oma", "omai", "nuo",
  "kah", "ryh", "mui", "muis", "yks", "tan", "lap", "mie", "vel", "maa", "elä", "päi", "kun",
  "ret", "käs", "kir", "vap", "lei",
}

-- Percent-encodes the bytes of a word outside plain ASCII letters (ä, ö, å in UTF-8).
local function enc(w)
  return (string.gsub(w, "[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function shape(k)
  -- k is a popularity rank; map it to one request deterministically.
  local kinds = 6
  local s = k % kinds
  local a = math.floor(k / kinds)
  local w = enc(words[(a % #words) + 1])
  local m = munis[(math.floor(a / #words) % #munis) + 1]
  if s == 0 then
    return "/v1/search?q=" .. w
  elseif s == 1 then
    return "/v1/search?q=" .. w .. "&municipality=" .. m .. "&facets=theme,target_group"
  elseif s == 2 then
    local c = centres[(math.floor(a / #words) % #centres) + 1]
    return "/v1/search?q=" .. w .. "&near=" .. c .. "&radius_km=20&sort=distance"
  elseif s == 3 then
    local t = themes[(a % #themes) + 1]
    return "/v1/search?municipality=" .. m .. "&theme=" .. t
  elseif s == 4 then
    local w2 = enc(words[((a * 7 + 3) % #words) + 1])
    return "/v1/search?q=" .. w .. "+" .. w2
  else
    return "/v1/suggest?q=" .. enc(prefixes[(a % #prefixes) + 1])
  end
end

local N = #words * #munis * 6 * 3
local cdf = {}
local total = 0
for k = 1, N do
  total = total + 1 / k
  cdf[k] = total
end

local function draw()
  local x = math.random() * total
  local lo, hi = 1, N
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < x then lo = mid + 1 else hi = mid end
  end
  return lo - 1
end

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(1000 + (seed or 0))
end

function request()
  return wrk.format("GET", shape(draw()), { ["Accept-Encoding"] = "gzip" })
end
