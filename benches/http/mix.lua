-- A realistic query mix for wrk: text, text + filters + facets, near-me, autocomplete, by id,
-- reference data. Each connection walks the list from its own starting point.
-- MIX_ACTIVITY_ID and MIX_ORGANISATION_ID name records that exist in the served index (the
-- defaults are in the embedded default data; for a synthetic index use synth:2 and synth:1).
local activity_id = os.getenv("MIX_ACTIVITY_ID") or "local:savon-omaishoitajat/vertaisryhma-kuopio"
local organisation_id = os.getenv("MIX_ORGANISATION_ID") or "local:savon-omaishoitajat"
local paths = {
  "/v1/search?q=kuoro",
  "/v1/search?q=omaishoitajat&facets=theme,municipality",
  "/v1/search?q=vertaistuki&municipality=Tampere&facets=theme,target_group,kind",
  "/v1/search?q=liikunta+senioreille&free=true",
  "/v1/search?near=60.452,22.267&radius_km=10&sort=distance",
  "/v1/search?q=kerho&near=60.170,24.941&radius_km=20",
  "/v1/search?theme=mental_health&facets=municipality,county",
  "/v1/search?q=k%C3%B6r+i+%C3%85bo&lang=sv",
  "/v1/search?q=nuoret&offset=20&limit=20",
  "/v1/suggest?q=kuo",
  "/v1/suggest?q=omai",
  "/v1/suggest?q=ves",
  "/v1/activities/" .. activity_id,
  "/v1/organisations/" .. organisation_id,
  "/v1/vocabularies?lang=fi",
}
local counter = 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 7
end
local i = 0
function init(args)
  i = offset or 0
end
function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], { ["Accept-Encoding"] = "gzip" })
end
