// What changed between two configurations, service by service: what a reload
// applies (Fleet::applyConfig()) and what it tells the person who edited it.
#pragma once

#include "servicespec.h"

#include <QStringList>

namespace lifeline {

// Everything but the source position (which moves when lines are added
// above): two specs that compare equal run the same way.
bool sameServiceDefinition(const ServiceSpec &a, const ServiceSpec &b);

struct ConfigDiff
{
    QStringList added;            // in the new file only (in its order)
    QStringList removed;          // in the old file only
    QStringList changed;          // in both, with a different definition
    QStringList unchanged;        // in both, the same: never touched
    bool settingsChanged = false; // [settings] (on_exit, sample_interval, state_dir)
    bool stateDirChanged = false; // applies only when Lifeline starts again
    bool recoveryChanged = false; // [recovery]
    bool metricsChanged = false;  // [metrics]: the endpoint moves or closes
    bool profileChanged = false;  // another profile is active (Config::profile)
    QString profile;              // the profile active after it ("" = none)

    static ConfigDiff compute(const Config &before, const Config &after);

    bool isEmpty() const
    {
        return added.isEmpty() && removed.isEmpty() && changed.isEmpty() && !settingsChanged &&
               !recoveryChanged && !metricsChanged && !profileChanged;
    }
    // One line for a person: "changed: api (restarting); added: web, removed:
    // old (stopping); 2 unchanged". Fleet::applyConfig() does what it says.
    QString summary() const;
};

} // namespace lifeline
