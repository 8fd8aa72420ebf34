#include "recovery/recoverysteps.h"

#include "repair/repairstep.h"

#include "health/healthmonitor.h"
#include "platform/procfs.h"
#include "recovery/recoverydiscovery.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "util/units.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <unistd.h>

namespace lifeline::recovery {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kKillWaitMs = 3000;       // after SIGKILL, how long a process may take to vanish
constexpr qint64 kStopExtraMs = 5000;      // beyond the longest stop_timeout before "still stopping"
constexpr qint64 kStopHardLimitMs = 30000; // beyond that, step 1 gives up

QString matchedBy(const QStringList &patterns, const QString &cwd)
{
    QStringList quoted;
    for (const QString &p : patterns)
        quoted.append(u'"' + p + u'"');
    return u"matches %1 in %2"_s.arg(quoted.join(u" and "_s), cwd);
}

QList<ProtectedPath> protectedPaths(const Fleet &fleet)
{
    // The most specific first: its name is the one a refusal gives.
    QList<ProtectedPath> out{{fleet.stateDir() + u"/logs"_s, u"the services' logs"_s}};
    for (const ServiceSupervisor *s : fleet.services()) {
        for (const QString &log : {s->logPath(), s->errLogPath()})
            out.append({QFileInfo(log).absolutePath(), u"the log folder of %1"_s.arg(s->name())});
    }
    if (!fleet.config().path.isEmpty())
        out.append({fleet.config().path, u"Lifeline's configuration"_s});
    out.append({fleet.stateDir(), u"Lifeline's state folder (state_dir)"_s});
    return out;
}

// A service that is not running, as the start and verify steps list it.
RecoveryItem notRunningItem(const ServiceSupervisor &s)
{
    RecoveryItem item;
    item.kind = RecoveryItem::Kind::Figure;
    item.service = s.name();
    item.path = s.spec().command.join(u' ');
    item.why = u"not running"_s;
    return item;
}

// A step of a run: the context it shares with the others.
class RunStep : public Step
{
public:
    RunStep(RecoveryStep::Id id, RunContext &context)
        : Step(id)
        , m_ctx(context)
    {}

protected:
    Fleet *fleet() const { return m_ctx.fleet; }
    const ProcFs &proc() const { return *m_ctx.proc; }

    RunContext &m_ctx;
};

// ---- step 1: stop -------------------------------------------------------------

class StopStep final : public RunStep
{
public:
    using RunStep::RunStep;

private:
    void begin() override
    {
        qint64 longest = 0;
        for (const ServiceSupervisor *s : fleet()->services()) {
            longest = std::max<qint64>(longest, s->spec().stopTimeout.count());
            if (isStoppedState(s->state()))
                continue; // its leftovers, if any, are step 2's
            for (pid_t pid : s->treePids()) {
                RecoveryItem item = processItem(proc(), pid, s->name(),
                                                pid == s->pid() ? u"main process of %1"_s.arg(s->name())
                                                                : u"process of %1's tree"_s.arg(s->name()));
                item.action = u"stopped by its supervisor"_s;
                record().items.append(item);
            }
        }
        m_softLimit = longest + kStopExtraMs;
        m_hardLimit = m_softLimit + kStopHardLimitMs;
        if (m_ctx.stopGiveUpMs > 0) {
            m_hardLimit = m_ctx.stopGiveUpMs;
            m_softLimit = std::min(m_softLimit, m_hardLimit);
        }
        listen(connect(fleet(), &Fleet::allStopped, this, [this] { check(); }));
        listen(connect(&pollTimer(), &QTimer::timeout, this, [this] { check(); }));
        pollTimer().start();
        record().message =
            u"stopping %1 service(s) in reverse dependency order"_s.arg(fleet()->services().size());
        changed();
        fleet()->stopAll(u"stopped by emergency recovery"_s); // may report allStopped at once
        check();
    }

    void check()
    {
        if (!fleet() || !listening())
            return;
        const QList<ServiceSupervisor *> services = fleet()->services();
        if (fleet()->isAllStopped()) {
            finish(RecoveryStepStatus::Ok,
                   u"%1 service(s) stopped, %2 process(es) ended by their supervisors"_s.arg(services.size())
                       .arg(record().items.size()));
            return;
        }
        if (elapsed() < m_softLimit)
            return;
        QStringList waiting;
        for (const ServiceSupervisor *s : services) {
            if (!isStoppedState(s->state()))
                waiting.append(u"%1 (%2)"_s.arg(s->name(), stateName(s->state())));
        }
        const QString text = u"still waiting for %1 to stop after %2"_s.arg(
            waiting.join(u", "_s), formatDuration(Millis(elapsed())));
        if (elapsed() >= m_hardLimit) {
            giveUp(services, text);
            return;
        }
        if (record().message != text) {
            record().message = text;
            changed();
        }
    }

    // Known state, not "stopping" forever: each one that did not stop
    // becomes fatal with what is still alive named; SIGKILL goes on.
    void giveUp(const QList<ServiceSupervisor *> &services, const QString &text)
    {
        // The step decides here: marking the last one fatal makes the fleet
        // report "all stopped", which must not re-enter check() and pass
        // the step (e7d897a).
        decide();
        QStringList abandoned;
        for (ServiceSupervisor *s : services) {
            if (s->state() != ServiceState::Stopping)
                continue;
            QStringList alive;
            bool stuck = false;
            for (pid_t pid : s->treePids()) {
                const auto info = proc().processStat(pid);
                stuck = stuck || (info && info->state == 'D');
                alive << u"%1%2"_s.arg(pid).arg(info ? u" (%1)"_s.arg(QChar::fromLatin1(info->state))
                                                     : QString());
            }
            s->abandonStop(
                u"did not stop within %1 of the emergency recovery%2%3 — manual intervention required"_s.arg(
                    formatDuration(Millis(elapsed())),
                    alive.isEmpty() ? QString() : u"; still alive: pid "_s + alive.join(u", "_s),
                    stuck ? u"; state D is uninterruptible sleep, usually a hung disk or network filesystem"_s
                          : QString()));
            abandoned << s->name();
        }
        finish(RecoveryStepStatus::Failed,
               text + u"; marked fatal: %1; nothing else is done while they may still run"_s.arg(
                          abandoned.join(u", "_s)));
    }

    qint64 m_softLimit = 0;
    qint64 m_hardLimit = 0;
};

// ---- step 2: leftovers and port holders ----------------------------------------

class LeftoversStep final : public RunStep
{
public:
    using RunStep::RunStep;

private:
    struct Target
    {
        RecoveryItem item;
        quint64 startTime = 0;
        bool gone = false;
    };

    void begin() override
    {
        const Discovery d = discover(proc(), discoveryInput(*fleet(), {}));
        QList<RecoveryItem> items;

        const auto addTarget = [this](const RecoveryItem &item) {
            for (const Target &t : std::as_const(m_targets)) {
                if (t.item.pid == item.pid)
                    return; // one process holding several ports: listed once
            }
            const auto info = proc().process(item.pid);
            Target t;
            t.item = item;
            t.startTime = info ? info->startTime : 0;
            t.gone = !info || info->isZombie();
            m_targets.append(t);
        };

        for (const RecoveryItem &item : d.leftovers)
            addTarget(item);
        for (RecoveryItem item : d.stalePidfiles) {
            item.action = QFile::remove(item.path) ? u"removed"_s : u"could not be removed"_s;
            items.append(item);
        }
        // Ended only with the person's consent; listed as not touched otherwise.
        const auto withConsent = [&](RecoveryItem item, const QString &notEnded) {
            if (item.needsConsent && m_ctx.options.killForeignPortHolders) {
                item.why += u"; ended with your consent"_s;
                addTarget(item);
                return;
            }
            if (item.needsConsent)
                item.action =
                    u"not ended: "_s + notEnded +
                    u", and ending it needs your consent (the checkbox, or lifelinectl recover --yes)"_s;
            ++m_untouched;
            items.append(item);
        };
        for (const RecoveryItem &item : d.orphans)
            withConsent(item, u"which service it came from cannot be told"_s);
        for (const RecoveryItem &item : d.portHolders)
            withConsent(item, u"not started by Lifeline"_s);
        // Signal: SIGTERM to each, re-checking (pid, start time) and owner first.
        const uid_t me = ::getuid();
        const pid_t self = ::getpid();
        for (Target &t : m_targets) {
            if (t.gone)
                continue;
            const auto info = stillThere(t);
            if (!info) {
                t.gone = true;
                t.item.action = u"already gone"_s;
            } else if (info->uid != me || t.item.pid <= 1 || t.item.pid == self) {
                t.gone = true; // never signal another user's process, init or ourselves
                t.item.action = u"not touched: belongs to user %1"_s.arg(ownerOf(t.item));
                ++m_untouched;
            } else if (::kill(t.item.pid, SIGTERM) == 0) {
                t.item.action = u"SIGTERM sent"_s;
            } else {
                t.item.action = u"SIGTERM failed: %1"_s.arg(QString::fromLocal8Bit(std::strerror(errno)));
            }
        }
        record().items = items;
        for (const Target &t : std::as_const(m_targets))
            record().items.append(t.item);
        m_termSentMs = elapsed();
        changed();
        listen(connect(&pollTimer(), &QTimer::timeout, this, [this] { poll(); }));
        pollTimer().start();
        poll();
    }

    // The process as it is now, if it is still the one found (same start
    // time) and alive: a reused pid is never signalled.
    std::optional<ProcInfo> stillThere(const Target &t) const
    {
        auto info = proc().process(t.item.pid);
        if (!info || info->isZombie() || info->startTime != t.startTime)
            return std::nullopt;
        return info;
    }

    void poll()
    {
        if (!listening())
            return;
        bool allGone = true;
        const qint64 now = elapsed();
        const int grace = m_ctx.options.termGraceMs;
        for (Target &t : m_targets) {
            if (t.gone)
                continue;
            if (!stillThere(t)) {
                t.gone = true;
                t.item.action = m_killSentMs >= 0
                                    ? u"ended (SIGKILL after %1 without reaction to SIGTERM)"_s.arg(
                                          formatDuration(Millis(grace)))
                                    : u"ended (SIGTERM)"_s;
                continue;
            }
            allGone = false;
        }
        if (!allGone && m_killSentMs < 0 && now - m_termSentMs >= grace) {
            m_killSentMs = now;
            for (const Target &t : std::as_const(m_targets)) {
                const auto info = t.gone ? std::nullopt : stillThere(t);
                if (info && info->uid == ::getuid())
                    ::kill(t.item.pid, SIGKILL);
            }
        }
        // Refresh the items with the current actions.
        QList<RecoveryItem> items;
        for (const RecoveryItem &i : std::as_const(record().items)) {
            if (i.kind != RecoveryItem::Kind::Process ||
                std::none_of(m_targets.cbegin(), m_targets.cend(),
                             [&i](const Target &t) { return t.item.pid == i.pid; }))
                items.append(i);
        }
        for (const Target &t : std::as_const(m_targets))
            items.append(t.item);
        record().items = items;

        int ended = 0;
        for (const Target &t : std::as_const(m_targets))
            ended += t.item.action.startsWith(u"ended"_s) ? 1 : 0;
        if (allGone) {
            QString message = m_targets.isEmpty() && m_untouched == 0
                                  ? u"nothing left over: no marker-carrying processes, no port held"_s
                                  : u"ended %1 process(es)"_s.arg(ended);
            if (m_untouched > 0)
                message +=
                    u"; %1 process(es) holding a service's port or orphaned were NOT touched (see the list)"_s
                        .arg(m_untouched);
            finish(m_untouched > 0 ? RecoveryStepStatus::Warning : RecoveryStepStatus::Ok, message);
            return;
        }
        if (m_killSentMs >= 0 && now - m_killSentMs >= kKillWaitMs) {
            QStringList alive;
            for (const Target &t : std::as_const(m_targets)) {
                if (!t.gone)
                    alive.append(u"PID %1 of %2"_s.arg(t.item.pid).arg(t.item.service));
            }
            finish(RecoveryStepStatus::Failed,
                   u"%1 still alive %2 after SIGKILL (stuck in the kernel?); services were not started again "
                   u"so that no second copy runs beside them"_s.arg(alive.join(u", "_s),
                                                                    formatDuration(Millis(kKillWaitMs))));
            return;
        }
        changed();
    }

    QList<Target> m_targets;
    qint64 m_termSentMs = 0;
    qint64 m_killSentMs = -1;
    int m_untouched = 0;
};

// ---- step 3: resources -------------------------------------------------------------

class ResourcesStep final : public RunStep
{
public:
    using RunStep::RunStep;

private:
    void begin() override
    {
        m_paths = QStringList{fleet()->stateDir()};
        for (const ServiceSupervisor *s : fleet()->services()) {
            const QString cwd = cwdOf(*fleet(), *s);
            if (!m_paths.contains(cwd))
                m_paths.append(cwd);
        }
        // statfs on a dead mount hangs in the kernel: it runs on the probe's
        // threads, and the step goes on once every path answered or timed
        // out. The probe lives as long as this step, which is deleted only
        // after the next run started: its signal may be what ends the step.
        m_probe = new DiskProbe(this, m_ctx.diskStat, m_ctx.diskDeadline);
        listen(connect(m_probe, &DiskProbe::updated, this, [this] {
            const bool settled = std::all_of(m_paths.cbegin(), m_paths.cend(), [this](const QString &p) {
                const DiskProbe::Reading r = m_probe->reading(p);
                return r.takenMs >= 0 || r.unavailable;
            });
            if (settled && listening())
                conclude();
        }));
        m_probe->probe(m_paths);
    }

    void conclude()
    {
        const RecoveryOptions &options = m_ctx.options;
        QStringList low, figures;
        QSet<QString> roots;
        for (const QString &path : std::as_const(m_paths)) {
            const DiskProbe::Reading reading = m_probe->reading(path);
            RecoveryItem item;
            item.kind = RecoveryItem::Kind::Figure;
            item.path = path;
            if (reading.unavailable || !reading.figures) {
                item.why =
                    reading.unavailable
                        ? u"free disk space unknown (the file system did not answer within %1: a hung mount?)"_s
                              .arg(formatDuration(m_ctx.diskDeadline))
                        : u"free disk space unknown (cannot read the file system of this path)"_s;
                item.action = u"warning"_s;
                low.append(u"disk space of %1 unknown"_s.arg(path));
                record().items.append(item);
                continue;
            }
            const DiskFigures &f = *reading.figures;
            item.bytes = f.availableBytes;
            item.why = u"free on %1 (%2 total)"_s.arg(f.rootPath, formatSize(f.totalBytes));
            if (item.bytes < options.minFreeDiskBytes) {
                item.action = u"below the minimum of %1"_s.arg(formatSize(options.minFreeDiskBytes));
                low.append(u"only %1 free for %2 (minimum %3)"_s.arg(formatSize(item.bytes), path,
                                                                     formatSize(options.minFreeDiskBytes)));
            } else {
                item.action = u"ok"_s;
            }
            if (!roots.contains(f.rootPath)) {
                roots.insert(f.rootPath);
                figures.append(u"%1 free on %2"_s.arg(formatSize(item.bytes), f.rootPath));
            }
            record().items.append(item);
        }
        RecoveryItem mem;
        mem.kind = RecoveryItem::Kind::Figure;
        mem.path = u"memory"_s;
        if (const auto m = proc().systemMemory()) {
            mem.bytes = m->availableBytes;
            mem.why = u"available (MemAvailable) of %1"_s.arg(formatSize(m->totalBytes));
            figures.append(u"%1 memory available"_s.arg(formatSize(m->availableBytes)));
            if (m->availableBytes < options.minAvailableMemoryBytes) {
                mem.action = u"below the minimum of %1"_s.arg(formatSize(options.minAvailableMemoryBytes));
                low.append(u"only %1 memory available (minimum %2)"_s.arg(
                    formatSize(m->availableBytes), formatSize(options.minAvailableMemoryBytes)));
            } else {
                mem.action = u"ok"_s;
            }
        } else {
            mem.why = u"available memory unknown (no /proc/meminfo)"_s;
            mem.action = u"warning"_s;
            low.append(mem.why);
        }
        record().items.append(mem);
        if (low.isEmpty())
            finish(RecoveryStepStatus::Ok, figures.join(u"; "_s));
        else
            finish(RecoveryStepStatus::Warning, u"low resources: "_s + low.join(u"; "_s));
    }

    QStringList m_paths;
    DiskProbe *m_probe = nullptr;
};

// ---- step 4: logs ---------------------------------------------------------------------

class BackupLogsStep final : public RunStep
{
public:
    using RunStep::RunStep;

private:
    struct LogJob
    {
        QString service;
        QString path;
        bool live = false;
    };

    void begin() override
    {
        if (!fleet()->config().recovery.backupLogs) {
            finish(RecoveryStepStatus::Skipped, u"backup_logs = false: logs left as they are"_s);
            return;
        }
        for (const ServiceSupervisor *s : fleet()->services()) {
            for (const QString &path : existingLogFiles(s->logPath(), s->errLogPath()))
                m_jobs.append({s->name(), path, path == s->logPath() || path == s->errLogPath()});
        }
        if (m_jobs.isEmpty()) {
            finish(RecoveryStepStatus::Ok, u"no log files yet"_s);
            return;
        }
        QString error;
        m_backupDir = createBackupFolder(fleet()->stateDir() + u"/backups"_s, &error);
        if (m_backupDir.isEmpty()) {
            for (const LogJob &job : std::as_const(m_jobs)) {
                RecoveryItem item;
                item.kind = RecoveryItem::Kind::File;
                item.service = job.service;
                item.path = job.path;
                item.bytes = QFileInfo(job.path).size();
                item.action = u"not backed up, left as it is"_s;
                record().items.append(item);
            }
            finish(RecoveryStepStatus::Warning, error + u"; no log was emptied"_s);
            return;
        }
        record().message = u"copying %1 file(s) into %2"_s.arg(m_jobs.size()).arg(m_backupDir);
        changed();
        later([this] { backupNext(); });
    }

    // One file per event-loop pass.
    void backupNext()
    {
        if (!fleet())
            return;
        if (m_next < m_jobs.size()) {
            backUp(m_jobs.at(m_next++));
            changed();
            later([this] { backupNext(); });
            return;
        }
        QStringList errors;
        const int keep = fleet()->config().recovery.keepBackups;
        const QStringList removed = pruneBackupFolders(fleet()->stateDir() + u"/backups"_s, keep, &errors);
        for (const QString &path : removed) {
            RecoveryItem item;
            item.kind = RecoveryItem::Kind::File;
            item.path = path;
            item.why = u"older than the newest %1 backup(s) (keep_backups)"_s.arg(std::max(1, keep));
            item.action = u"removed"_s;
            record().items.append(item);
        }
        m_warnings += int(errors.size());
        QString message = u"backed up %1 file(s), %2, into %3"_s.arg(m_jobs.size())
                              .arg(formatSize(m_backedUpBytes), m_backupDir);
        if (!removed.isEmpty())
            message += u"; removed %1 old backup(s)"_s.arg(removed.size());
        if (!errors.isEmpty())
            message += u"; "_s + errors.join(u"; "_s);
        if (m_warnings > 0)
            message += u"; %1 problem(s), see the list (no log was emptied without a verified copy)"_s.arg(
                m_warnings);
        finish(m_warnings > 0 ? RecoveryStepStatus::Warning : RecoveryStepStatus::Ok, message);
    }

    void backUp(const LogJob &job)
    {
        const QString dst = m_backupDir + u'/' + QFileInfo(job.path).fileName();
        RecoveryItem item;
        item.kind = RecoveryItem::Kind::File;
        item.service = job.service;
        item.path = job.path;
        item.why = job.live ? u"live log"_s : u"rotated log"_s;
        QString error;
        const qint64 copied = copyVerified(job.path, dst, &error);
        item.bytes = copied;
        if (copied < 0) {
            item.action = u"not backed up (%1); left as it is"_s.arg(error);
            ++m_warnings;
        } else if (job.live) {
            const qint64 total = truncateAfterVerifiedCopy(job.path, dst, &error);
            if (total < 0) {
                item.action = u"copied to %1, but not emptied: %2"_s.arg(dst, error);
                ++m_warnings;
            } else {
                item.bytes = total;
                item.action = u"copied to %1 (%2 bytes, verified), then emptied"_s.arg(dst).arg(total);
                m_backedUpBytes += total;
            }
        } else {
            item.action = u"copied to %1 (%2 bytes, verified)"_s.arg(dst).arg(copied);
            m_backedUpBytes += copied;
        }
        record().items.append(item);
    }

    QList<LogJob> m_jobs;
    qsizetype m_next = 0;
    qint64 m_backedUpBytes = 0;
    int m_warnings = 0;
    QString m_backupDir;
};

// ---- step 5: clean -------------------------------------------------------------------

class CleanStep final : public RunStep
{
public:
    using RunStep::RunStep;

private:
    void begin() override
    {
        if (fleet()->config().recovery.clean.isEmpty()) {
            finish(RecoveryStepStatus::Ok, u"nothing to clean ([recovery] clean is empty)"_s);
            return;
        }
        int removed = 0, refused = 0, errors = 0;
        QStringList removedPaths;
        for (const CleanEntry &e : cleanEntries(*fleet())) {
            const CleanMatch &m = e.match;
            RecoveryItem item = cleanItem(e);
            const QString path = QDir::cleanPath(m.path);
            const auto within = std::find_if(removedPaths.cbegin(), removedPaths.cend(),
                                             [&path](const QString &r) { return path.startsWith(r + u'/'); });
            QString error;
            if (m.refused) {
                item.action = u"refused: "_s + m.reason;
                ++refused;
            } else if (within != removedPaths.cend()) {
                item.action = u"already removed with the folder %1"_s.arg(*within);
            } else if (!QFileInfo::exists(m.path) && !QFileInfo(m.path).isSymLink()) {
                item.action = u"already gone"_s;
            } else if (removeCleanMatch(m, &error)) {
                item.action = m.isDir ? u"folder removed"_s : u"removed"_s;
                removedPaths.append(path);
                ++removed;
            } else {
                item.action = u"not removed: "_s + error;
                ++errors;
            }
            record().items.append(item);
        }
        QString message = u"removed %1 file(s)"_s.arg(removed);
        if (refused > 0)
            message +=
                u"; refused %1 (outside the service's cwd, or Lifeline's own state or logs: see the list)"_s
                    .arg(refused);
        if (errors > 0)
            message += u"; %1 could not be removed"_s.arg(errors);
        finish(refused + errors > 0 ? RecoveryStepStatus::Warning : RecoveryStepStatus::Ok, message);
    }
};

// ---- step 6: start ---------------------------------------------------------------------

class StartStep final : public RunStep
{
public:
    using RunStep::RunStep;

private:
    void begin() override
    {
        m_ctx.verifyDeadline = QDeadlineTimer(fleet()->config().recovery.verifyTimeout);
        listen(connect(fleet(), &Fleet::serviceStateChanged, this, [this] { check(false); }));
        listen(connect(&pollTimer(), &QTimer::timeout, this, [this] { check(false); }));
        listen(connect(&deadlineTimer(), &QTimer::timeout, this, [this] { check(true); }));
        pollTimer().start();
        deadlineTimer().start(int(m_ctx.verifyDeadline.remainingTime()));
        record().message = u"starting services in dependency order"_s;
        changed();
        fleet()->startAll();
        check(false);
    }

    void check(bool final)
    {
        if (!fleet() || !listening())
            return;
        QStringList failed, waiting, order;
        bool all = true;
        for (const ServiceSupervisor *s : fleet()->services()) {
            order.append(s->name());
            const ServiceState st = s->state();
            if (st == ServiceState::Running)
                continue;
            all = false;
            if (st == ServiceState::Fatal || st == ServiceState::Exited) {
                failed.append(u"%1 is %2: %3"_s.arg(s->name(), stateName(st),
                                                    s->lastError().isEmpty() ? s->lastExit().describe()
                                                                             : s->lastError()));
            } else {
                const QString why = fleet()->waitingReason(s->name());
                waiting.append(u"%1 (%2)"_s.arg(s->name(), why.isEmpty() ? stateName(st) : why));
            }
        }
        if (all) {
            fillItems();
            finish(RecoveryStepStatus::Ok, u"started in dependency order: %1"_s.arg(order.join(u", "_s)));
        } else if (!failed.isEmpty()) {
            fillItems();
            finish(RecoveryStepStatus::Failed, u"could not start: "_s + failed.join(u"; "_s));
        } else if (final) {
            fillItems();
            finish(RecoveryStepStatus::Warning,
                   u"not all started within verify_timeout: still waiting for "_s + waiting.join(u", "_s));
        }
    }

    void fillItems()
    {
        record().items.clear();
        for (const ServiceSupervisor *s : fleet()->services()) {
            RecoveryItem item =
                s->state() == ServiceState::Running
                    ? processItem(proc(), s->pid(), s->name(), u"main process of %1"_s.arg(s->name()))
                    : notRunningItem(*s);
            item.action = stateName(s->state());
            record().items.append(item);
        }
    }
};

// ---- step 7: verify ----------------------------------------------------------------------

class VerifyStep final : public RunStep
{
public:
    using RunStep::RunStep;

private:
    void begin() override
    {
        listen(connect(fleet(), &Fleet::serviceStateChanged, this, [this] { check(false); }));
        listen(connect(fleet(), &Fleet::serviceHealthChanged, this, [this] { check(false); }));
        listen(connect(&pollTimer(), &QTimer::timeout, this, [this] { check(false); }));
        listen(connect(&deadlineTimer(), &QTimer::timeout, this, [this] { check(true); }));
        pollTimer().start();
        deadlineTimer().start(int(m_ctx.verifyDeadline.remainingTime()));
        check(false);
    }

    void check(bool final)
    {
        if (!fleet() || !listening())
            return;
        QStringList problems;
        bool hopeless = false;
        int healthy = 0;
        QList<RecoveryItem> items;
        for (const ServiceSupervisor *s : fleet()->services()) {
            const ServiceState st = s->state();
            const HealthMonitor *h = s->health();
            RecoveryItem item;
            if (st != ServiceState::Running) {
                item = notRunningItem(*s);
                hopeless = hopeless || st == ServiceState::Fatal || st == ServiceState::Exited;
                QString why = s->lastError();
                if (why.isEmpty())
                    why = fleet()->waitingReason(s->name());
                problems.append(
                    u"%1 is %2%3"_s.arg(s->name(), stateName(st), why.isEmpty() ? QString() : u": "_s + why));
                item.action = problems.constLast();
            } else if (h && h->health() != Health::Healthy) {
                item = processItem(proc(), s->pid(), s->name(), QString());
                const auto last = h->lastResult();
                const QString why = last ? last->reason : u"no health check answered yet"_s;
                problems.append(u"%1 is running (pid %2) but %3: %4"_s.arg(s->name()).arg(s->pid()).arg(
                    h->health() == Health::Unhealthy ? u"unhealthy"_s : u"not yet healthy"_s, why));
                item.why = u"health %1"_s.arg(healthName(h->health()));
                item.action = problems.constLast();
            } else {
                item = processItem(proc(), s->pid(), s->name(), QString());
                item.why = h ? u"running, healthy"_s : u"running (no health check)"_s;
                item.action = u"ok"_s;
                healthy += h ? 1 : 0;
            }
            items.append(item);
        }
        record().items = items;
        if (problems.isEmpty()) {
            finish(RecoveryStepStatus::Ok, u"all %1 service(s) running, %2 with a passing health check"_s
                                               .arg(fleet()->services().size())
                                               .arg(healthy));
        } else if (final || hopeless) {
            finish(RecoveryStepStatus::Failed,
                   u"not recovered within verify_timeout (%1): %2"_s.arg(
                       formatDuration(fleet()->config().recovery.verifyTimeout), problems.join(u"; "_s)));
        }
    }
};

} // namespace

std::vector<std::unique_ptr<Step>> makeSteps(RunContext &context)
{
    std::vector<std::unique_ptr<Step>> steps;
    steps.push_back(std::make_unique<StopStep>(RecoveryStep::Id::Stop, context));
    steps.push_back(std::make_unique<LeftoversStep>(RecoveryStep::Id::FindLeftovers, context));
    steps.push_back(std::make_unique<ResourcesStep>(RecoveryStep::Id::CheckResources, context));
    steps.push_back(std::make_unique<BackupLogsStep>(RecoveryStep::Id::BackupLogs, context));
    steps.push_back(std::make_unique<CleanStep>(RecoveryStep::Id::Clean, context));
    if (context.fleet && context.fleet->config().recovery.repair)
        steps.push_back(makeRepairStep(context));
    steps.push_back(std::make_unique<StartStep>(RecoveryStep::Id::Start, context));
    steps.push_back(std::make_unique<VerifyStep>(RecoveryStep::Id::Verify, context));
    return steps;
}

QString cwdOf(const Fleet &fleet, const ServiceSupervisor &service)
{
    return service.spec().cwd.isEmpty() ? fleet.stateDir() : service.spec().cwd;
}

QList<CleanEntry> cleanEntries(const Fleet &fleet)
{
    QList<CleanEntry> out;
    const QStringList patterns = fleet.config().recovery.clean;
    if (patterns.isEmpty())
        return out;
    const QList<ProtectedPath> protect = protectedPaths(fleet);
    QHash<QString, qsizetype> byPath;
    for (const ServiceSupervisor *s : fleet.services()) {
        const QString cwd = cwdOf(fleet, *s);
        for (const CleanMatch &m : resolveCleanGlobs(cwd, patterns, protect)) {
            // Services sharing a cwd, or two patterns matching one file: one entry.
            const QString key = m.path == m.pattern ? cwd + u'\n' + m.pattern : QDir::cleanPath(m.path);
            if (const auto it = byPath.constFind(key); it != byPath.cend()) {
                CleanEntry &e = out[it.value()];
                if (!e.patterns.contains(m.pattern))
                    e.patterns.append(m.pattern);
                continue;
            }
            byPath.insert(key, out.size());
            out.append({s->name(), cwd, m, {m.pattern}});
        }
    }
    return out;
}

RecoveryItem cleanItem(const CleanEntry &entry)
{
    RecoveryItem item;
    item.kind = RecoveryItem::Kind::File;
    item.service = entry.service;
    item.path = entry.match.path;
    item.bytes = entry.match.bytes;
    item.why = matchedBy(entry.patterns, entry.cwd);
    return item;
}

QList<RecoveryItem> planClean(const Fleet &fleet)
{
    QList<RecoveryItem> items;
    for (const CleanEntry &e : cleanEntries(fleet)) {
        RecoveryItem item = cleanItem(e);
        item.action = e.match.refused ? u"refused: "_s + e.match.reason
                                      : (e.match.isDir ? u"folder will be removed"_s : u"will be removed"_s);
        items.append(item);
    }
    return items;
}

QList<RecoveryItem> planLogs(const Fleet &fleet)
{
    QList<RecoveryItem> items;
    for (const ServiceSupervisor *s : fleet.services()) {
        for (const QString &path : existingLogFiles(s->logPath(), s->errLogPath())) {
            RecoveryItem item;
            item.kind = RecoveryItem::Kind::File;
            item.service = s->name();
            item.path = path;
            item.bytes = QFileInfo(path).size();
            const bool live = path == s->logPath() || path == s->errLogPath();
            item.why = live ? u"live log"_s : u"rotated log"_s;
            item.action = live ? u"will be copied to backups/ and verified, then emptied"_s
                               : u"will be copied to backups/ and verified"_s;
            items.append(item);
        }
    }
    return items;
}

} // namespace lifeline::recovery
