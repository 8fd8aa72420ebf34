#include "recovery/recovery.h"

#include "health/healthmonitor.h"
#include "logs/eventlog.h"
#include "metrics/metricshistory.h"
#include "platform/procfs.h"
#include "recovery/recoveryfiles.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "util/units.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QSaveFile>
#include <QSet>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <unistd.h>

namespace lifeline {

using namespace Qt::StringLiterals;

namespace {

constexpr int kPollMs = 100;
constexpr qint64 kKillWaitMs = 3000;       // after SIGKILL, how long a process may take to vanish
constexpr qint64 kStopExtraMs = 5000;      // beyond the longest stop_timeout before "still stopping"
constexpr qint64 kStopHardLimitMs = 30000; // beyond that, step 1 gives up

RecoveryItem processItem(const ProcFs &proc, pid_t pid, const QString &service, const QString &why)
{
    RecoveryItem item;
    item.kind = RecoveryItem::Kind::Process;
    item.service = service;
    item.pid = pid;
    item.why = why;
    if (const auto info = proc.process(pid)) {
        item.uid = info->uid;
        item.user = ProcFs::userName(info->uid);
        item.cmdline = info->cmdline.isEmpty() ? QStringList{u'[' + info->comm + u']'} : info->cmdline;
    }
    return item;
}

QString who(const RecoveryItem &item)
{
    return item.user.isEmpty() ? u"uid %1"_s.arg(item.uid) : item.user;
}

} // namespace

Recovery::Recovery(Fleet *fleet, QObject *parent)
    : QObject(parent)
    , m_fleet(fleet)
{
    qRegisterMetaType<RecoveryStep>();
    qRegisterMetaType<RecoveryReport>();
    m_poll.setInterval(kPollMs);
    m_deadline.setSingleShot(true);
}

Recovery::~Recovery() = default;

QString Recovery::cwdOf(const ServiceSupervisor *s) const
{
    return s->spec().cwd.isEmpty() ? m_fleet->stateDir() : s->spec().cwd;
}

// ---- discovery (shared by plan() and step 2) --------------------------------

Recovery::Discovery Recovery::discover(const QList<pid_t> &exclude) const
{
    Discovery d;
    const ProcFs proc;
    const uid_t me = ::getuid();
    const pid_t self = ::getpid();
    const QByteArray key = ServiceSupervisor::markerKey();
    QHash<pid_t, qsizetype> ours; // pid -> index in d.leftovers

    for (const ServiceSupervisor *s : m_fleet->services()) {
        const QByteArray value = s->markerValue();
        for (pid_t pid : proc.serviceTree(0, 0, key, value)) {
            if (exclude.contains(pid) || ours.contains(pid))
                continue;
            const QString why = proc.hasEnv(pid, key, value)
                                    ? u"carries LIFELINE_SERVICE_ID of %1"_s.arg(s->name())
                                    : u"descendant of a leftover process of %1"_s.arg(s->name());
            ours.insert(pid, d.leftovers.size());
            d.leftovers.append(processItem(proc, pid, s->name(), why));
        }

        // A pidfile is proof only with the same start time and our marker.
        QFile f(s->pidfilePath());
        if (f.open(QIODevice::ReadOnly)) {
            const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
            f.close();
            const pid_t pid = pid_t(o.value(u"pid"_s).toInteger());
            const quint64 startTime = o.value(u"start_time"_s).toString().toULongLong();
            const auto info = pid > 1 ? proc.process(pid) : std::nullopt;
            const bool verified =
                info && !info->isZombie() && info->startTime == startTime && proc.hasEnv(pid, key, value);
            if (verified) {
                if (exclude.contains(pid))
                    continue;
                const QString why = u"named by its verified pidfile %1"_s.arg(s->pidfilePath());
                if (const auto it = ours.constFind(pid); it != ours.cend())
                    d.leftovers[it.value()].why += u"; "_s + why;
                else {
                    ours.insert(pid, d.leftovers.size());
                    d.leftovers.append(processItem(proc, pid, s->name(), why));
                }
            } else {
                RecoveryItem stale;
                stale.kind = RecoveryItem::Kind::File;
                stale.service = s->name();
                stale.path = s->pidfilePath();
                stale.why = u"stale pidfile: pid %1 is %2"_s.arg(pid).arg(
                    info && !info->isZombie() ? u"another program now"_s : u"gone"_s);
                d.stalePidfiles.append(stale);
            }
        }
    }

    // Our own re-parented children: an escapee whose service is known is a
    // leftover like a marker carrier; any other came from some service tree
    // (nothing else of ours leaves a session), so it is listed for consent.
    for (const OrphanProcess &o : m_fleet->freshOrphans()) {
        if (exclude.contains(o.pid) || ours.contains(o.pid))
            continue;
        if (!o.service.isEmpty()) {
            ours.insert(o.pid, d.leftovers.size());
            d.leftovers.append(
                processItem(proc, o.pid, o.service,
                            u"escaped %1's tree, re-parented to Lifeline: %2"_s.arg(o.service, o.why)));
            continue;
        }
        RecoveryItem item = processItem(proc, o.pid, QString(),
                                        u"re-parented to Lifeline from a service tree that cannot be told"_s);
        if (item.uid != me)
            item.action = u"belongs to user %1: not touched"_s.arg(who(item));
        else
            item.needsConsent = true;
        d.orphans.append(item);
    }

    for (const ServiceSupervisor *s : m_fleet->services()) {
        for (quint16 port : s->spec().ports) {
            const std::optional<PortHolder> holder = proc.portHolder(port);
            if (!holder)
                continue;
            if (holder->pid > 0 && exclude.contains(holder->pid))
                continue; // the service itself, still running (dry run)
            const QString needs = u"listens on port %1 which %2 needs"_s.arg(port).arg(s->name());
            if (const auto it = ours.constFind(holder->pid); holder->pid > 0 && it != ours.cend()) {
                RecoveryItem &item = d.leftovers[it.value()];
                item.why += u"; "_s + needs;
                item.port = port;
                continue;
            }
            RecoveryItem item;
            if (holder->pid > 0) {
                item = processItem(proc, holder->pid, s->name(), needs);
            } else {
                item.kind = RecoveryItem::Kind::Process;
                item.service = s->name();
                item.why = needs;
            }
            item.uid = holder->pid > 0 ? item.uid : holder->uid;
            if (item.user.isEmpty())
                item.user = holder->user;
            if (item.cmdline.isEmpty())
                item.cmdline = holder->cmdline;
            item.port = port;
            if (holder->pid == self) {
                item.action = u"is Lifeline itself: not touched"_s;
            } else if (holder->pid <= 1) {
                item.action = u"belongs to %1 and its process cannot be seen: not touched"_s.arg(who(item));
            } else if (item.uid != me) {
                item.action = u"belongs to user %1: not touched"_s.arg(who(item));
            } else {
                item.why += u", not started by Lifeline"_s;
                item.needsConsent = true;
            }
            d.portHolders.append(item);
        }
    }
    return d;
}

QList<ProtectedPath> Recovery::protectedPaths() const
{
    // The most specific first: its name is the one a refusal gives.
    QList<ProtectedPath> out{{m_fleet->stateDir() + u"/logs"_s, u"the services' logs"_s}};
    for (const ServiceSupervisor *s : m_fleet->services()) {
        for (const QString &log : {s->logPath(), s->errLogPath()})
            out.append({QFileInfo(log).absolutePath(), u"the log folder of %1"_s.arg(s->name())});
    }
    if (!m_fleet->config().path.isEmpty())
        out.append({m_fleet->config().path, u"Lifeline's configuration"_s});
    out.append({m_fleet->stateDir(), u"Lifeline's state folder (state_dir)"_s});
    return out;
}

QList<Recovery::CleanEntry> Recovery::cleanEntries() const
{
    QList<CleanEntry> out;
    const QStringList patterns = m_fleet->config().recovery.clean;
    if (patterns.isEmpty())
        return out;
    const QList<ProtectedPath> protect = protectedPaths();
    QHash<QString, qsizetype> byPath;
    for (const ServiceSupervisor *s : m_fleet->services()) {
        const QString cwd = cwdOf(s);
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

static QString matchedBy(const QStringList &patterns, const QString &cwd)
{
    QStringList quoted;
    for (const QString &p : patterns)
        quoted.append(u'"' + p + u'"');
    return u"matches %1 in %2"_s.arg(quoted.join(u" and "_s), cwd);
}

static RecoveryItem cleanItem(const QString &service, const CleanMatch &m, const QString &why)
{
    RecoveryItem item;
    item.kind = RecoveryItem::Kind::File;
    item.service = service;
    item.path = m.path;
    item.bytes = m.bytes;
    item.why = why;
    return item;
}

QList<RecoveryItem> Recovery::planClean() const
{
    QList<RecoveryItem> items;
    for (const CleanEntry &e : cleanEntries()) {
        RecoveryItem item = cleanItem(e.service, e.match, matchedBy(e.patterns, e.cwd));
        item.action = e.match.refused ? u"refused: "_s + e.match.reason
                                      : (e.match.isDir ? u"folder will be removed"_s : u"will be removed"_s);
        items.append(item);
    }
    return items;
}

QList<RecoveryItem> Recovery::planLogs() const
{
    QList<RecoveryItem> items;
    for (const ServiceSupervisor *s : m_fleet->services()) {
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

RecoveryPlan Recovery::plan() const
{
    RecoveryPlan p;
    if (!m_fleet)
        return p;
    const ProcFs proc;
    QList<pid_t> live;
    for (const ServiceSupervisor *s : m_fleet->services()) {
        p.services.append(s->name());
        // A stopped service's marker carriers are leftovers (step 2), not
        // something its supervisor would stop.
        if (isStoppedState(s->state()))
            continue;
        const QList<pid_t> pids = s->treePids();
        for (pid_t pid : pids) {
            RecoveryItem item = processItem(
                proc, pid, s->name(),
                pid == s->pid() ? u"main process of %1 (%2)"_s.arg(s->name(), stateName(s->state()))
                                : u"process of %1's tree"_s.arg(s->name()));
            item.action = u"will be stopped (%1, SIGKILL after %2)"_s.arg(
                s->spec().stopSignal == SIGTERM ? u"SIGTERM"_s : u"signal %1"_s.arg(s->spec().stopSignal),
                formatDuration(s->spec().stopTimeout));
            p.toStop.append(item);
        }
        live += pids;
    }
    Discovery d = discover(live);
    for (RecoveryItem &item : d.leftovers) {
        item.action = u"will be ended (SIGTERM, SIGKILL after %1)"_s.arg(
            formatDuration(Millis(RecoveryOptions{}.termGraceMs)));
        p.leftovers.append(item);
    }
    for (RecoveryItem &item : d.stalePidfiles) {
        item.action = u"will be removed"_s;
        p.leftovers.append(item);
    }
    for (RecoveryItem &item : d.portHolders) {
        if (item.needsConsent)
            item.action = u"will be ended only if you agree (checkbox, or lifelinectl recover --yes)"_s;
        p.portHolders.append(item);
    }
    for (RecoveryItem &item : d.orphans) {
        if (item.needsConsent)
            item.action = u"will be ended only if you agree (checkbox, or lifelinectl recover --yes)"_s;
        p.orphans.append(item);
    }
    p.clean = planClean();
    p.backupLogs = m_fleet->config().recovery.backupLogs;
    if (p.backupLogs)
        p.logs = planLogs();
    return p;
}

// ---- running ------------------------------------------------------------------

bool Recovery::start(const RecoveryOptions &options, QString *error)
{
    const auto fail = [error](const QString &text) {
        if (error)
            *error = text;
        return false;
    };
    if (m_running)
        return fail(u"a recovery is already running (started %1)"_s.arg(m_startedAt.toString(u"HH:mm:ss"_s)));
    if (!m_fleet)
        return fail(u"no services to recover"_s);
    const QString dir = m_fleet->stateDir() + u"/recovery"_s;
    if (!QDir().mkpath(dir))
        return fail(u"cannot create %1"_s.arg(dir));
    auto lock = std::make_unique<QLockFile>(dir + u"/.lock"_s);
    lock->setStaleLockTime(0);
    if (!lock->tryLock(0)) {
        qint64 pid = 0;
        QString host, app;
        lock->getLockInfo(&pid, &host, &app);
        return fail(u"another recovery is already running for %1 (lock %2 held by pid %3)"_s
                        .arg(m_fleet->stateDir(), dir + u"/.lock"_s)
                        .arg(pid));
    }
    m_lock = std::move(lock);
    m_options = options;
    m_running = true;
    m_startedAt = QDateTime::currentDateTime();
    m_runTimer.start();
    m_steps.clear();
    for (int i = 0; i < RecoveryStep::Count; ++i) {
        RecoveryStep step;
        step.id = RecoveryStep::Id(i);
        step.title = RecoveryStep::titleOf(step.id);
        m_steps.append(step);
    }
    m_index = -1;
    m_fleet->eventLog()->write(
        QString(),
        u"emergency recovery started%1"_s.arg(
            options.killForeignPortHolders ? u" (with consent to end foreign port holders)"_s : QString()));
    emit started();
    // The first step begins on the next pass, after the caller connected to us.
    later([this] { beginStep(0); });
    return true;
}

QString Recovery::lastReportPath() const
{
    return m_lastReport ? m_lastReport->textPath : QString();
}

QString Recovery::readLastReport(const QString &stateDir, QString *path)
{
    const QDir dir(stateDir + u"/recovery"_s);
    const QStringList names = dir.entryList(QStringList{u"*.txt"_s}, QDir::Files, QDir::Name);
    if (names.isEmpty())
        return QString();
    // Names are yyyyMMdd-HHmmss[-N]: the newest sorts last (same-second runs by N).
    QStringList sorted = names;
    std::sort(sorted.begin(), sorted.end(), [](const QString &a, const QString &b) {
        const QString da = a.left(15), db = b.left(15);
        if (da != db)
            return da < db;
        return a.mid(16).section(u'.', 0, 0).toInt() < b.mid(16).section(u'.', 0, 0).toInt();
    });
    QFile f(dir.filePath(sorted.constLast()));
    if (!f.open(QIODevice::ReadOnly))
        return QString();
    if (path)
        *path = f.fileName();
    return QString::fromUtf8(f.readAll());
}

void Recovery::later(std::function<void()> work)
{
    QTimer::singleShot(0, this, std::move(work));
}

void Recovery::updateStep()
{
    emit stepChanged(m_index, m_steps.at(m_index));
}

void Recovery::beginStep(int index)
{
    m_index = index;
    m_stepWarnings = 0;
    RecoveryStep &step = current();
    step.status = RecoveryStepStatus::Running;
    m_stepTimer.start();
    updateStep();
    if (!m_fleet) {
        finishStep(RecoveryStepStatus::Failed, u"Lifeline is shutting down"_s);
        return;
    }
    switch (step.id) {
    case RecoveryStep::Id::Stop:
        stepStop();
        return;
    case RecoveryStep::Id::FindLeftovers:
        stepFindLeftovers();
        return;
    case RecoveryStep::Id::CheckResources:
        stepCheckResources();
        return;
    case RecoveryStep::Id::BackupLogs:
        stepBackupLogs();
        return;
    case RecoveryStep::Id::Clean:
        stepClean();
        return;
    case RecoveryStep::Id::Start:
        stepStart();
        return;
    case RecoveryStep::Id::Verify:
        stepVerify();
        return;
    }
}

void Recovery::stopListening()
{
    for (const QMetaObject::Connection &c : std::as_const(m_connections))
        disconnect(c);
    m_connections.clear();
    m_poll.stop();
    m_deadline.stop();
}

void Recovery::finishStep(RecoveryStepStatus status, const QString &message)
{
    stopListening();
    RecoveryStep &step = current();
    // A step ends once. A second verdict (a signal re-entering a step's
    // check while it decides) would queue the next step behind a run that
    // has already finished.
    Q_ASSERT(step.status == RecoveryStepStatus::Running);
    if (step.status != RecoveryStepStatus::Running)
        return;
    step.status = status;
    step.message = message;
    step.durationMs = m_stepTimer.elapsed();
    updateStep();

    if (status == RecoveryStepStatus::Failed) {
        for (int i = m_index + 1; i < m_steps.size(); ++i) {
            m_steps[i].status = RecoveryStepStatus::Skipped;
            m_steps[i].message = u"skipped: step %1 (%2) failed"_s.arg(m_index + 1).arg(step.title);
            emit stepChanged(i, m_steps.at(i));
        }
        finishRun();
        return;
    }
    if (m_index + 1 < m_steps.size()) {
        const int next = m_index + 1;
        later([this, next] { beginStep(next); });
        return;
    }
    finishRun();
}

// ---- step 1: stop -------------------------------------------------------------

void Recovery::stepStop()
{
    const ProcFs proc;
    qint64 longest = 0;
    for (const ServiceSupervisor *s : m_fleet->services()) {
        longest = std::max<qint64>(longest, s->spec().stopTimeout.count());
        if (isStoppedState(s->state()))
            continue; // its leftovers, if any, are step 2's
        for (pid_t pid : s->treePids()) {
            RecoveryItem item = processItem(proc, pid, s->name(),
                                            pid == s->pid() ? u"main process of %1"_s.arg(s->name())
                                                            : u"process of %1's tree"_s.arg(s->name()));
            item.action = u"stopped by its supervisor"_s;
            current().items.append(item);
        }
    }
    qint64 softLimit = longest + kStopExtraMs;
    qint64 hardLimit = softLimit + kStopHardLimitMs;
    if (m_stopGiveUpMs > 0) {
        hardLimit = m_stopGiveUpMs;
        softLimit = std::min(softLimit, hardLimit);
    }
    const auto check = [this, softLimit, hardLimit] {
        if (!m_fleet || current().id != RecoveryStep::Id::Stop ||
            current().status != RecoveryStepStatus::Running)
            return;
        const QList<ServiceSupervisor *> services = m_fleet->services();
        if (m_fleet->isAllStopped()) {
            finishStep(
                RecoveryStepStatus::Ok,
                u"%1 service(s) stopped, %2 process(es) ended by their supervisors"_s.arg(services.size())
                    .arg(current().items.size()));
            return;
        }
        if (m_stepTimer.elapsed() < softLimit)
            return;
        QStringList waiting;
        for (const ServiceSupervisor *s : services) {
            if (!isStoppedState(s->state()))
                waiting.append(u"%1 (%2)"_s.arg(s->name(), stateName(s->state())));
        }
        const QString text = u"still waiting for %1 to stop after %2"_s.arg(
            waiting.join(u", "_s), formatDuration(Millis(m_stepTimer.elapsed())));
        if (m_stepTimer.elapsed() >= hardLimit) {
            // Known state, not "stopping" forever: each one that did not stop
            // becomes fatal with what is still alive named; SIGKILL goes on.
            // The step decides here: marking the last one fatal makes the
            // fleet report "all stopped", which must not re-enter this check
            // and pass the step.
            stopListening();
            const ProcFs procfs;
            QStringList abandoned;
            for (ServiceSupervisor *s : services) {
                if (s->state() != ServiceState::Stopping)
                    continue;
                QStringList alive;
                bool stuck = false;
                for (pid_t pid : s->treePids()) {
                    const auto info = procfs.processStat(pid);
                    stuck = stuck || (info && info->state == 'D');
                    alive << u"%1%2"_s.arg(pid).arg(info ? u" (%1)"_s.arg(QChar::fromLatin1(info->state))
                                                         : QString());
                }
                s->abandonStop(
                    u"did not stop within %1 of the emergency recovery%2%3 — manual intervention required"_s
                        .arg(
                            formatDuration(Millis(m_stepTimer.elapsed())),
                            alive.isEmpty() ? QString() : u"; still alive: pid "_s + alive.join(u", "_s),
                            stuck
                                ? u"; state D is uninterruptible sleep, usually a hung disk or network filesystem"_s
                                : QString()));
                abandoned << s->name();
            }
            finishStep(RecoveryStepStatus::Failed,
                       text + u"; marked fatal: %1; nothing else is done while they may still run"_s.arg(
                                  abandoned.join(u", "_s)));
            return;
        }
        if (current().message != text) {
            current().message = text;
            updateStep();
        }
    };
    m_connections.append(connect(m_fleet, &Fleet::allStopped, this, check));
    m_connections.append(connect(&m_poll, &QTimer::timeout, this, check));
    m_poll.start();
    current().message =
        u"stopping %1 service(s) in reverse dependency order"_s.arg(m_fleet->services().size());
    updateStep();
    m_fleet->stopAll(); // may report allStopped at once
    check();
}

// ---- step 2: leftovers and port holders ----------------------------------------

void Recovery::stepFindLeftovers()
{
    const Discovery d = discover({});
    const ProcFs proc;
    m_targets.clear();
    m_untouched = 0;
    m_killSentMs = -1;
    QList<RecoveryItem> items;

    const auto addTarget = [&](RecoveryItem item) {
        for (const Target &t : std::as_const(m_targets)) {
            if (t.item.pid == item.pid)
                return; // one process holding several ports: listed once
        }
        const auto info = proc.process(item.pid);
        Target t;
        t.item = item;
        t.startTime = info ? info->startTime : 0;
        t.gone = !info || info->isZombie();
        m_targets.append(t);
    };

    for (RecoveryItem item : d.leftovers)
        addTarget(item);
    for (RecoveryItem item : d.stalePidfiles) {
        item.action = QFile::remove(item.path) ? u"removed"_s : u"could not be removed"_s;
        items.append(item);
    }
    // Ended only with the person's consent; listed as not touched otherwise.
    const auto withConsent = [&](RecoveryItem item, const QString &notEnded) {
        if (item.needsConsent && m_options.killForeignPortHolders) {
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
        const auto info = proc.process(t.item.pid);
        if (!info || info->isZombie() || info->startTime != t.startTime) {
            t.gone = true;
            t.item.action = u"already gone"_s;
        } else if (info->uid != me || t.item.pid <= 1 || t.item.pid == self) {
            t.gone = true; // never signal another user's process, init or ourselves
            t.item.action = u"not touched: belongs to user %1"_s.arg(who(t.item));
            ++m_untouched;
        } else if (::kill(t.item.pid, SIGTERM) == 0) {
            t.item.action = u"SIGTERM sent"_s;
        } else {
            t.item.action = u"SIGTERM failed: %1"_s.arg(QString::fromLocal8Bit(std::strerror(errno)));
        }
    }
    current().items = items;
    for (const Target &t : std::as_const(m_targets))
        current().items.append(t.item);
    m_termSentMs = m_stepTimer.elapsed();
    updateStep();
    m_connections.append(connect(&m_poll, &QTimer::timeout, this, &Recovery::pollTargets));
    m_poll.start();
    pollTargets();
}

void Recovery::pollTargets()
{
    if (current().id != RecoveryStep::Id::FindLeftovers || current().status != RecoveryStepStatus::Running)
        return;
    const ProcFs proc;
    bool allGone = true;
    const qint64 now = m_stepTimer.elapsed();
    for (Target &t : m_targets) {
        if (t.gone)
            continue;
        const auto info = proc.process(t.item.pid);
        if (!info || info->isZombie() || info->startTime != t.startTime) {
            t.gone = true;
            t.item.action = m_killSentMs >= 0 ? u"ended (SIGKILL after %1 without reaction to SIGTERM)"_s.arg(
                                                    formatDuration(Millis(m_options.termGraceMs)))
                                              : u"ended (SIGTERM)"_s;
            continue;
        }
        allGone = false;
    }
    if (!allGone && m_killSentMs < 0 && now - m_termSentMs >= m_options.termGraceMs) {
        m_killSentMs = now;
        for (Target &t : m_targets) {
            const auto info = t.gone ? std::nullopt : proc.process(t.item.pid);
            if (info && !info->isZombie() && info->startTime == t.startTime && info->uid == ::getuid())
                ::kill(t.item.pid, SIGKILL);
        }
    }
    // Refresh the items with the current actions.
    QList<RecoveryItem> items;
    for (const RecoveryItem &i : std::as_const(current().items)) {
        if (i.kind != RecoveryItem::Kind::Process ||
            std::none_of(m_targets.cbegin(), m_targets.cend(),
                         [&i](const Target &t) { return t.item.pid == i.pid; }))
            items.append(i);
    }
    for (const Target &t : std::as_const(m_targets))
        items.append(t.item);
    current().items = items;

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
        finishStep(m_untouched > 0 ? RecoveryStepStatus::Warning : RecoveryStepStatus::Ok, message);
        return;
    }
    if (m_killSentMs >= 0 && now - m_killSentMs >= kKillWaitMs) {
        QStringList alive;
        for (const Target &t : std::as_const(m_targets)) {
            if (!t.gone)
                alive.append(u"PID %1 of %2"_s.arg(t.item.pid).arg(t.item.service));
        }
        finishStep(RecoveryStepStatus::Failed,
                   u"%1 still alive %2 after SIGKILL (stuck in the kernel?); services were not started again "
                   u"so that no second copy runs beside them"_s.arg(alive.join(u", "_s),
                                                                    formatDuration(Millis(kKillWaitMs))));
        return;
    }
    updateStep();
}

// ---- step 3: resources -------------------------------------------------------------

void Recovery::stepCheckResources()
{
    m_diskPaths = QStringList{m_fleet->stateDir()};
    for (const ServiceSupervisor *s : m_fleet->services()) {
        const QString cwd = cwdOf(s);
        if (!m_diskPaths.contains(cwd))
            m_diskPaths.append(cwd);
    }
    // statfs on a dead mount hangs in the kernel: it runs on the probe's
    // threads, and the step goes on once every path answered or timed out.
    if (m_diskProbe)
        m_diskProbe->deleteLater(); // its signal may be what brought us here
    m_diskProbe = new DiskProbe(this, m_diskStat, m_diskDeadline);
    m_connections.append(connect(m_diskProbe, &DiskProbe::updated, this, [this] {
        const bool settled = std::all_of(m_diskPaths.cbegin(), m_diskPaths.cend(), [this](const QString &p) {
            const DiskProbe::Reading r = m_diskProbe->reading(p);
            return r.takenMs >= 0 || r.unavailable;
        });
        if (settled)
            finishCheckResources();
    }));
    m_diskProbe->probe(m_diskPaths);
}

void Recovery::finishCheckResources()
{
    QStringList low, figures;
    QSet<QString> roots;
    for (const QString &path : std::as_const(m_diskPaths)) {
        const DiskProbe::Reading reading = m_diskProbe->reading(path);
        RecoveryItem item;
        item.kind = RecoveryItem::Kind::Figure;
        item.path = path;
        if (reading.unavailable) {
            item.why =
                u"free disk space unknown (the file system did not answer within %1: a hung mount?)"_s.arg(
                    formatDuration(m_diskDeadline));
            item.action = u"warning"_s;
            low.append(u"disk space of %1 unknown"_s.arg(path));
            current().items.append(item);
            continue;
        }
        if (!reading.figures) {
            item.why = u"free disk space unknown (cannot read the file system of this path)"_s;
            item.action = u"warning"_s;
            low.append(u"disk space of %1 unknown"_s.arg(path));
            current().items.append(item);
            continue;
        }
        const DiskFigures &f = *reading.figures;
        item.bytes = f.availableBytes;
        item.why = u"free on %1 (%2 total)"_s.arg(f.rootPath, formatSize(f.totalBytes));
        if (item.bytes < m_options.minFreeDiskBytes) {
            item.action = u"below the minimum of %1"_s.arg(formatSize(m_options.minFreeDiskBytes));
            low.append(u"only %1 free for %2 (minimum %3)"_s.arg(formatSize(item.bytes), path,
                                                                 formatSize(m_options.minFreeDiskBytes)));
        } else {
            item.action = u"ok"_s;
        }
        if (!roots.contains(f.rootPath)) {
            roots.insert(f.rootPath);
            figures.append(u"%1 free on %2"_s.arg(formatSize(item.bytes), f.rootPath));
        }
        current().items.append(item);
    }
    RecoveryItem mem;
    mem.kind = RecoveryItem::Kind::Figure;
    mem.path = u"memory"_s;
    if (const auto m = ProcFs().systemMemory()) {
        mem.bytes = m->availableBytes;
        mem.why = u"available (MemAvailable) of %1"_s.arg(formatSize(m->totalBytes));
        figures.append(u"%1 memory available"_s.arg(formatSize(m->availableBytes)));
        if (m->availableBytes < m_options.minAvailableMemoryBytes) {
            mem.action = u"below the minimum of %1"_s.arg(formatSize(m_options.minAvailableMemoryBytes));
            low.append(u"only %1 memory available (minimum %2)"_s.arg(
                formatSize(m->availableBytes), formatSize(m_options.minAvailableMemoryBytes)));
        } else {
            mem.action = u"ok"_s;
        }
    } else {
        mem.why = u"available memory unknown (no /proc/meminfo)"_s;
        mem.action = u"warning"_s;
        low.append(mem.why);
    }
    current().items.append(mem);
    if (low.isEmpty())
        finishStep(RecoveryStepStatus::Ok, figures.join(u"; "_s));
    else
        finishStep(RecoveryStepStatus::Warning, u"low resources: "_s + low.join(u"; "_s));
}

// ---- step 4: logs ---------------------------------------------------------------------

void Recovery::stepBackupLogs()
{
    if (!m_fleet->config().recovery.backupLogs) {
        finishStep(RecoveryStepStatus::Skipped, u"backup_logs = false: logs left as they are"_s);
        return;
    }
    m_logJobs.clear();
    m_nextLogJob = 0;
    m_backedUpBytes = 0;
    for (const ServiceSupervisor *s : m_fleet->services()) {
        for (const QString &path : existingLogFiles(s->logPath(), s->errLogPath()))
            m_logJobs.append({s->name(), path, path == s->logPath() || path == s->errLogPath()});
    }
    if (m_logJobs.isEmpty()) {
        finishStep(RecoveryStepStatus::Ok, u"no log files yet"_s);
        return;
    }
    QString error;
    m_backupDir = createBackupFolder(m_fleet->stateDir() + u"/backups"_s, &error);
    if (m_backupDir.isEmpty()) {
        for (const LogJob &job : std::as_const(m_logJobs)) {
            RecoveryItem item;
            item.kind = RecoveryItem::Kind::File;
            item.service = job.service;
            item.path = job.path;
            item.bytes = QFileInfo(job.path).size();
            item.action = u"not backed up, left as it is"_s;
            current().items.append(item);
        }
        finishStep(RecoveryStepStatus::Warning, error + u"; no log was emptied"_s);
        return;
    }
    current().message = u"copying %1 file(s) into %2"_s.arg(m_logJobs.size()).arg(m_backupDir);
    updateStep();
    later([this] { backupNextLog(); });
}

void Recovery::backupNextLog()
{
    if (current().id != RecoveryStep::Id::BackupLogs || current().status != RecoveryStepStatus::Running)
        return;
    if (m_nextLogJob < m_logJobs.size()) {
        const LogJob job = m_logJobs.at(m_nextLogJob++);
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
            ++m_stepWarnings;
        } else if (job.live) {
            const qint64 total = truncateAfterVerifiedCopy(job.path, dst, &error);
            if (total < 0) {
                item.action = u"copied to %1, but not emptied: %2"_s.arg(dst, error);
                ++m_stepWarnings;
            } else {
                item.bytes = total;
                item.action = u"copied to %1 (%2 bytes, verified), then emptied"_s.arg(dst).arg(total);
                m_backedUpBytes += total;
            }
        } else {
            item.action = u"copied to %1 (%2 bytes, verified)"_s.arg(dst).arg(copied);
            m_backedUpBytes += copied;
        }
        current().items.append(item);
        updateStep();
        later([this] { backupNextLog(); });
        return;
    }
    QStringList errors;
    const QString backups = m_fleet->stateDir() + u"/backups"_s;
    const QStringList removed = pruneBackupFolders(backups, m_fleet->config().recovery.keepBackups, &errors);
    for (const QString &path : removed) {
        RecoveryItem item;
        item.kind = RecoveryItem::Kind::File;
        item.path = path;
        item.why = u"older than the newest %1 backup(s) (keep_backups)"_s.arg(
            std::max(1, m_fleet->config().recovery.keepBackups));
        item.action = u"removed"_s;
        current().items.append(item);
    }
    m_stepWarnings += int(errors.size());
    QString message = u"backed up %1 file(s), %2, into %3"_s.arg(m_logJobs.size())
                          .arg(formatSize(m_backedUpBytes), m_backupDir);
    if (!removed.isEmpty())
        message += u"; removed %1 old backup(s)"_s.arg(removed.size());
    if (!errors.isEmpty())
        message += u"; "_s + errors.join(u"; "_s);
    if (m_stepWarnings > 0)
        message += u"; %1 problem(s), see the list (no log was emptied without a verified copy)"_s.arg(
            m_stepWarnings);
    finishStep(m_stepWarnings > 0 ? RecoveryStepStatus::Warning : RecoveryStepStatus::Ok, message);
}

// ---- step 5: clean -------------------------------------------------------------------

void Recovery::stepClean()
{
    if (m_fleet->config().recovery.clean.isEmpty()) {
        finishStep(RecoveryStepStatus::Ok, u"nothing to clean ([recovery] clean is empty)"_s);
        return;
    }
    int removed = 0, refused = 0, errors = 0;
    QStringList removedPaths;
    for (const CleanEntry &e : cleanEntries()) {
        const CleanMatch &m = e.match;
        RecoveryItem item = cleanItem(e.service, m, matchedBy(e.patterns, e.cwd));
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
        current().items.append(item);
    }
    QString message = u"removed %1 file(s)"_s.arg(removed);
    if (refused > 0)
        message +=
            u"; refused %1 (outside the service's cwd, or Lifeline's own state or logs: see the list)"_s.arg(
                refused);
    if (errors > 0)
        message += u"; %1 could not be removed"_s.arg(errors);
    finishStep(refused + errors > 0 ? RecoveryStepStatus::Warning : RecoveryStepStatus::Ok, message);
}

// ---- step 6: start ---------------------------------------------------------------------

void Recovery::stepStart()
{
    m_startDeadlineMs = m_runTimer.elapsed() + m_fleet->config().recovery.verifyTimeout.count();
    const auto check = [this](bool final) {
        if (!m_fleet || current().id != RecoveryStep::Id::Start ||
            current().status != RecoveryStepStatus::Running)
            return;
        QStringList failed, waiting, order;
        bool all = true;
        for (const ServiceSupervisor *s : m_fleet->services()) {
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
                const QString why = m_fleet->waitingReason(s->name());
                waiting.append(u"%1 (%2)"_s.arg(s->name(), why.isEmpty() ? stateName(st) : why));
            }
        }
        const auto fillItems = [this] {
            const ProcFs proc;
            current().items.clear();
            for (const ServiceSupervisor *s : m_fleet->services()) {
                RecoveryItem item =
                    processItem(proc, s->pid(), s->name(), u"main process of %1"_s.arg(s->name()));
                if (s->state() != ServiceState::Running) {
                    item = RecoveryItem{};
                    item.kind = RecoveryItem::Kind::Figure;
                    item.service = s->name();
                    item.path = s->spec().command.join(u' ');
                    item.why = u"not running"_s;
                }
                item.action = stateName(s->state());
                current().items.append(item);
            }
        };
        if (all) {
            fillItems();
            finishStep(RecoveryStepStatus::Ok, u"started in dependency order: %1"_s.arg(order.join(u", "_s)));
        } else if (!failed.isEmpty()) {
            fillItems();
            finishStep(RecoveryStepStatus::Failed, u"could not start: "_s + failed.join(u"; "_s));
        } else if (final) {
            fillItems();
            finishStep(RecoveryStepStatus::Warning,
                       u"not all started within verify_timeout: still waiting for "_s +
                           waiting.join(u", "_s));
        }
    };
    m_connections.append(connect(m_fleet, &Fleet::serviceStateChanged, this, [check] { check(false); }));
    m_connections.append(connect(&m_poll, &QTimer::timeout, this, [check] { check(false); }));
    m_connections.append(connect(&m_deadline, &QTimer::timeout, this, [check] { check(true); }));
    m_poll.start();
    m_deadline.start(int(std::max<qint64>(0, m_startDeadlineMs - m_runTimer.elapsed())));
    current().message = u"starting services in dependency order"_s;
    updateStep();
    m_fleet->startAll();
    check(false);
}

// ---- step 7: verify ----------------------------------------------------------------------

void Recovery::checkVerify(bool final)
{
    if (!m_fleet || current().id != RecoveryStep::Id::Verify ||
        current().status != RecoveryStepStatus::Running)
        return;
    QStringList problems;
    bool hopeless = false;
    int healthy = 0;
    const ProcFs proc;
    QList<RecoveryItem> items;
    for (const ServiceSupervisor *s : m_fleet->services()) {
        RecoveryItem item = processItem(proc, s->pid(), s->name(), QString());
        const ServiceState st = s->state();
        const HealthMonitor *h = s->health();
        if (st != ServiceState::Running) {
            item = RecoveryItem{};
            item.kind = RecoveryItem::Kind::Figure;
            item.service = s->name();
            item.path = s->spec().command.join(u' ');
            hopeless = hopeless || st == ServiceState::Fatal || st == ServiceState::Exited;
            QString why = s->lastError();
            if (why.isEmpty())
                why = m_fleet->waitingReason(s->name());
            problems.append(
                u"%1 is %2%3"_s.arg(s->name(), stateName(st), why.isEmpty() ? QString() : u": "_s + why));
            item.why = u"not running"_s;
            item.action = problems.constLast();
        } else if (h && h->health() != Health::Healthy) {
            const auto last = h->lastResult();
            const QString why = last ? last->reason : u"no health check answered yet"_s;
            problems.append(u"%1 is running (pid %2) but %3: %4"_s.arg(s->name()).arg(s->pid()).arg(
                h->health() == Health::Unhealthy ? u"unhealthy"_s : u"not yet healthy"_s, why));
            item.why = u"health %1"_s.arg(healthName(h->health()));
            item.action = problems.constLast();
        } else {
            item.why = h ? u"running, healthy"_s : u"running (no health check)"_s;
            item.action = u"ok"_s;
            healthy += h ? 1 : 0;
        }
        items.append(item);
    }
    current().items = items;
    if (problems.isEmpty()) {
        finishStep(RecoveryStepStatus::Ok, u"all %1 service(s) running, %2 with a passing health check"_s
                                               .arg(m_fleet->services().size())
                                               .arg(healthy));
    } else if (final || hopeless) {
        finishStep(RecoveryStepStatus::Failed,
                   u"not recovered within verify_timeout (%1): %2"_s.arg(
                       formatDuration(m_fleet->config().recovery.verifyTimeout), problems.join(u"; "_s)));
    }
}

void Recovery::stepVerify()
{
    m_connections.append(connect(m_fleet, &Fleet::serviceStateChanged, this, [this] { checkVerify(false); }));
    m_connections.append(
        connect(m_fleet, &Fleet::serviceHealthChanged, this, [this] { checkVerify(false); }));
    m_connections.append(connect(&m_poll, &QTimer::timeout, this, [this] { checkVerify(false); }));
    m_connections.append(connect(&m_deadline, &QTimer::timeout, this, [this] { checkVerify(true); }));
    m_poll.start();
    m_deadline.start(int(std::max<qint64>(0, m_startDeadlineMs - m_runTimer.elapsed())));
    checkVerify(false);
}

// ---- the end -----------------------------------------------------------------------------

void Recovery::finishRun()
{
    RecoveryReport r;
    r.ok = std::none_of(m_steps.cbegin(), m_steps.cend(),
                        [](const RecoveryStep &s) { return s.status == RecoveryStepStatus::Failed; });
    r.startedAt = m_startedAt;
    r.finishedAt = QDateTime::currentDateTime();
    r.durationMs = m_runTimer.elapsed();
    r.options = m_options;
    r.steps = m_steps;
    if (m_fleet) {
        for (const ServiceSupervisor *s : m_fleet->services()) {
            RecoveryServiceEnd e;
            e.name = s->name();
            e.state = stateName(s->state());
            e.health = s->health() ? healthName(s->health()->health()) : u"none"_s;
            e.pid = s->state() == ServiceState::Running ? s->pid() : 0;
            if (s->state() != ServiceState::Running)
                e.problem = s->lastError().isEmpty() ? m_fleet->waitingReason(s->name()) : s->lastError();
            else if (s->health() && s->health()->health() != Health::Healthy && s->health()->lastResult())
                e.problem = s->health()->lastResult()->reason;
            r.endState.append(e);
        }

        const QString dir = m_fleet->stateDir() + u"/recovery"_s;
        QDir().mkpath(dir);
        const QString stamp = m_startedAt.toString(u"yyyyMMdd-HHmmss"_s);
        QString base = dir + u'/' + stamp;
        for (int n = 2; QFileInfo::exists(base + u".json"_s) || QFileInfo::exists(base + u".txt"_s); ++n)
            base = dir + u'/' + stamp + u'-' + QString::number(n);
        r.jsonPath = base + u".json"_s;
        r.textPath = base + u".txt"_s;
        const auto save = [&r](const QString &path, const QByteArray &data) {
            QSaveFile f(path);
            if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
                r.saveError = u"cannot write %1: %2"_s.arg(path, f.errorString());
                return false;
            }
            return true;
        };
        // The paths are part of the report, so they are set before it is written.
        if (!save(r.jsonPath, QJsonDocument(r.toJson()).toJson(QJsonDocument::Indented)) ||
            !save(r.textPath, r.toText().toUtf8())) {
            r.jsonPath.clear();
            r.textPath.clear();
        }

        const QString summary = r.summary();
        m_fleet->history()->addEvent(QDateTime::currentMSecsSinceEpoch(), QString(),
                                     HistoryEventKind::Recovery, summary);
        m_fleet->eventLog()->write(QString(),
                                   u"emergency recovery: "_s + summary +
                                       (r.textPath.isEmpty() ? u" (report not saved: "_s + r.saveError + u')'
                                                             : u" (report: "_s + r.textPath + u')'));
    }
    m_lastReport = r;
    m_running = false;
    m_lock.reset();
    emit finished(r);
}

} // namespace lifeline
