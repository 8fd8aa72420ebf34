#include "configdiff.h"

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

bool sameHealth(const HealthSpec &a, const HealthSpec &b)
{
    return a.kind == b.kind && a.url == b.url && a.tcpHost == b.tcpHost && a.tcpPort == b.tcpPort &&
           a.exec == b.exec && a.interval == b.interval && a.timeout == b.timeout &&
           a.startPeriod == b.startPeriod && a.failures == b.failures && a.successes == b.successes &&
           a.restartOnUnhealthy == b.restartOnUnhealthy && a.expectStatusMin == b.expectStatusMin &&
           a.expectStatusMax == b.expectStatusMax;
}

bool sameSettings(const Settings &a, const Settings &b)
{
    return a.stateDir == b.stateDir && a.sampleInterval == b.sampleInterval && a.onExit == b.onExit;
}

bool sameRecovery(const RecoverySpec &a, const RecoverySpec &b)
{
    return a.clean == b.clean && a.backupLogs == b.backupLogs && a.keepBackups == b.keepBackups &&
           a.verifyTimeout == b.verifyTimeout && a.repair == b.repair;
}

} // namespace

bool sameServiceDefinition(const ServiceSpec &a, const ServiceSpec &b)
{
    // commandHash() covers command, shell, cwd and env.
    return a.name == b.name && a.commandHash() == b.commandHash() && a.autostart == b.autostart &&
           a.dependsOn == b.dependsOn && a.ports == b.ports && a.restart == b.restart &&
           a.restartDelay == b.restartDelay && a.backoffFactor == b.backoffFactor &&
           a.backoffMax == b.backoffMax && a.maxRestarts == b.maxRestarts &&
           a.restartWindow == b.restartWindow && a.stableAfter == b.stableAfter &&
           a.fatalRetry == b.fatalRetry && a.stopSignal == b.stopSignal && a.stopTimeout == b.stopTimeout &&
           a.memoryLimit == b.memoryLimit && a.memoryLimitUnit == b.memoryLimitUnit &&
           a.memoryLimitFor == b.memoryLimitFor && a.cpuLimit == b.cpuLimit &&
           a.cpuLimitFor == b.cpuLimitFor && sameHealth(a.health, b.health) &&
           a.logs.maxSize == b.logs.maxSize && a.logs.backups == b.logs.backups &&
           a.logs.compress == b.logs.compress && a.errors == b.errors;
}

ConfigDiff ConfigDiff::compute(const Config &before, const Config &after)
{
    ConfigDiff diff;
    for (const ServiceSpec &spec : after.services) {
        const ServiceSpec *old = before.service(spec.name);
        if (!old)
            diff.added.append(spec.name);
        else if (sameServiceDefinition(*old, spec))
            diff.unchanged.append(spec.name);
        else
            diff.changed.append(spec.name);
    }
    for (const ServiceSpec &spec : before.services) {
        if (!after.service(spec.name))
            diff.removed.append(spec.name);
    }
    diff.settingsChanged = !sameSettings(before.settings, after.settings);
    diff.stateDirChanged = before.settings.stateDir != after.settings.stateDir;
    diff.recoveryChanged = !sameRecovery(before.recovery, after.recovery);
    diff.metricsChanged = !(before.metrics == after.metrics);
    diff.profileChanged = before.profile != after.profile;
    diff.profile = after.profile;
    return diff;
}

QString ConfigDiff::summary() const
{
    QStringList parts;
    if (profileChanged)
        parts << u"profile "_s + (profile.isEmpty() ? u"default"_s : profile);
    if (!changed.isEmpty())
        parts << u"changed: "_s + changed.join(u", "_s) + u" (restarting)"_s;
    QStringList addRemove;
    if (!added.isEmpty())
        addRemove << u"added: "_s + added.join(u", "_s);
    if (!removed.isEmpty())
        addRemove << u"removed: "_s + removed.join(u", "_s) + u" (stopping)"_s;
    if (!addRemove.isEmpty())
        parts << addRemove.join(u", "_s);
    if (stateDirChanged)
        parts << u"state_dir changed (applies when Lifeline restarts)"_s;
    else if (settingsChanged)
        parts << u"settings changed"_s;
    if (recoveryChanged)
        parts << u"recovery changed"_s;
    if (metricsChanged)
        parts << u"metrics endpoint changed"_s;
    if (!unchanged.isEmpty())
        parts << u"%1 unchanged"_s.arg(unchanged.size());
    if (parts.isEmpty())
        return u"no changes"_s;
    return parts.join(u"; "_s);
}

} // namespace lifeline
