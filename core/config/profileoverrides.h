// [profile.NAME.SERVICE] tables, at the level of the parsed TOML: a profile's
// overrides are moved into the [[service]] tables they name, and the loader
// then reads those tables exactly as it reads the base, so a key means (and
// is checked) the same in a profile as in [[service]]. Moving, not copying,
// keeps every value's FILE:LINE:COL (toml++ drops positions on a copy).
#pragma once

#include <toml++/toml.h>

#include <string_view>

namespace lifeline {

// Merges [profile.`profile`.SERVICE] into the [[service]] table named SERVICE:
// `env` and `logs` key by key over the base; `health` key by key too, except
// that a probe (url, tcp or exec) in the profile replaces the base's probe;
// every other key replaces the base's value. Tables that are not tables,
// and services the base does not define, are left alone (the loader reports
// them). The profile's tables are emptied on the way.
void applyProfileOverrides(toml::table &root, std::string_view profile);

} // namespace lifeline
