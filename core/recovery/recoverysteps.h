// The seven steps of an emergency recovery (recovery.h describes what each
// does), one class each, and the file plans that the dry run shares with
// them. Recovery builds them for a run and a StepRunner runs them.
#pragma once

#include "metrics/diskprobe.h"
#include "recovery/recoveryfiles.h"
#include "recovery/recoverystep.h"
#include "recovery/recoverytypes.h"

#include <QDeadlineTimer>
#include <QPointer>
#include <QStringList>

#include <chrono>
#include <memory>
#include <vector>

namespace lifeline {
class Fleet;
class ProcFs;
class ServiceSupervisor;
} // namespace lifeline

namespace lifeline::recovery {

// What the steps of one run share.
struct RunContext
{
    QPointer<Fleet> fleet;
    const ProcFs *proc = nullptr;
    RecoveryOptions options;
    qint64 stopGiveUpMs = 0; // 0: the default (Recovery::setStopGiveUpAfter())
    DiskProbe::StatFunction diskStat = DiskProbe::statPath;
    std::chrono::milliseconds diskDeadline = std::chrono::seconds(2);
    // verify_timeout, counted from the start step (steps 6 and 7).
    QDeadlineTimer verifyDeadline;
};

// The steps in order; each refers to `context`, which must outlive them.
std::vector<std::unique_ptr<Step>> makeSteps(RunContext &context);

// A service's cwd; state_dir when it has none.
QString cwdOf(const Fleet &fleet, const ServiceSupervisor &service);

// The clean globs of every service resolved, one entry per path however
// many patterns or services match it.
struct CleanEntry
{
    QString service;
    QString cwd;
    CleanMatch match;
    QStringList patterns;
};
QList<CleanEntry> cleanEntries(const Fleet &fleet);
// The entry as a report lists it, without an action.
RecoveryItem cleanItem(const CleanEntry &entry);

// The dry run's lists of what steps 4 and 5 would do.
QList<RecoveryItem> planLogs(const Fleet &fleet);
QList<RecoveryItem> planClean(const Fleet &fleet);

} // namespace lifeline::recovery
