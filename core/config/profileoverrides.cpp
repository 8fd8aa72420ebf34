#include "profileoverrides.h"

#include <algorithm>
#include <array>
#include <string>

namespace lifeline {

namespace {

toml::table *serviceTable(toml::table &root, std::string_view name)
{
    toml::array *services = root["service"].as_array();
    if (!services)
        return nullptr;
    for (toml::node &element : *services) {
        toml::table *t = element.as_table();
        if (!t)
            continue;
        if (const auto *n = t->get_as<std::string>("name"); n && n->get() == name)
            return t; // the first of a duplicated name, as Config::service() finds
    }
    return nullptr;
}

void mergeKeys(toml::table &into, toml::table &from)
{
    for (auto &&[key, value] : from)
        into.insert_or_assign(key, std::move(value));
}

void mergeService(toml::table &base, toml::table &overrides)
{
    for (auto &&[key, value] : overrides) {
        const std::string_view k = key.str();
        if (k == "name")
            continue; // a profile cannot rename a service; the loader says so
        toml::table *from = value.as_table();
        toml::table *into = base[k].as_table();
        if (from && into && (k == "env" || k == "logs" || k == "health")) {
            if (k == "health") {
                constexpr std::array probes{"url", "tcp", "exec"};
                const bool replacesProbe = std::any_of(probes.begin(), probes.end(),
                                                       [&](const char *p) { return from->contains(p); });
                if (replacesProbe) {
                    for (const char *p : probes)
                        into->erase(p);
                }
            }
            mergeKeys(*into, *from);
        } else {
            base.insert_or_assign(key, std::move(value));
        }
    }
}

} // namespace

void applyProfileOverrides(toml::table &root, std::string_view profile)
{
    toml::table *profiles = root["profile"].as_table();
    toml::table *overrides = profiles ? (*profiles)[profile].as_table() : nullptr;
    if (!overrides)
        return;
    for (auto &&[name, value] : *overrides) {
        toml::table *service = serviceTable(root, name.str());
        if (toml::table *t = value.as_table(); t && service)
            mergeService(*service, *t);
    }
}

} // namespace lifeline
