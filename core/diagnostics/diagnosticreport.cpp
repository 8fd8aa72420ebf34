#include "diagnostics/diagnosticreport.h"

#include "config/configloader.h"
#include "diagnostics/configmask.h"
#include "engine/snapshot.h"
#include "health/healthmonitor.h"
#include "metrics/metricshistory.h"
#include "metrics/metricssampler.h"
#include "platform/procfs.h"
#include "recovery/recovery.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "util/units.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSysInfo>
#include <QThread>
#include <QUuid>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#ifndef LIFELINE_COMMIT
#define LIFELINE_COMMIT ""
#endif

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

enum Section
{
    Machine,
    Services,
    RestartHistory,
    HealthFailures,
    ErrorSignatures,
    CrashRecords,
    Alerts,
    Resources,
    LastRecovery,
    Configuration,
    SectionCount
};

const char16_t *const kTitles[SectionCount] = {
    u"Lifeline and machine",
    u"Services",
    u"Restart history",
    u"Recent health failures",
    u"Top error signatures",
    u"Latest crash records",
    u"Alerts",
    u"Resources",
    u"Last recovery report",
    u"Configuration",
};

const QString kNone = u"None recorded."_s;

// ---- Markdown -----------------------------------------------------------------------------

QString localTime(qint64 ms)
{
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(ms);
    // Local time with its offset, so a reader elsewhere knows when it was.
    return t.toOffsetFromUtc(t.offsetFromUtc()).toString(Qt::ISODate);
}

QString cell(const QString &text)
{
    QString out = text.simplified();
    out.replace(u'|', u"\\|"_s);
    return out.isEmpty() ? u"-"_s : out;
}

QString tableRow(const QStringList &cells)
{
    QStringList escaped;
    for (const QString &c : cells)
        escaped << cell(c);
    return u"| "_s + escaped.join(u" | "_s) + u" |\n"_s;
}

QString table(const QStringList &header, const QList<QStringList> &rows)
{
    QString out = tableRow(header);
    out += u"|"_s + QStringList(header.size(), u"---"_s).join(u'|') + u"|\n"_s;
    for (const QStringList &r : rows)
        out += tableRow(r);
    return out;
}

QString code(const QString &text)
{
    if (text.contains(u'`'))
        return u"`` "_s + text + u" ``"_s;
    return u'`' + text + u'`';
}

// Cuts `text` to at most `maxBytes` of UTF-8 on a line boundary.
QString cutToBytes(const QString &text, qint64 maxBytes, bool *cut)
{
    const QByteArray utf8 = text.toUtf8();
    *cut = utf8.size() > maxBytes;
    if (!*cut)
        return text;
    QByteArray head = utf8.left(maxBytes);
    const qsizetype nl = head.lastIndexOf('\n');
    if (nl > 0)
        head.truncate(nl + 1);
    return QString::fromUtf8(head);
}

// ---- what the report is made of -----------------------------------------------------------

struct SeriesStats
{
    QString label;
    std::optional<double> now;
    bool hasData = false;
    double min = 0;
    double avg = 0;
    double max = 0;
    QString trend;
    bool bytes = false;
};

struct ReportData
{
    qint64 nowMs = 0;
    bool running = false;
    QString configPath;
    QString stateDir;
    Config config;
    QList<ServiceSnapshot> services; // live, or beforeStart() of each spec
    QList<HistoryEvent> events;      // the last kEventWindowMs, oldest first
    QString historyNote;             // why events/figures are missing, when they are
    std::optional<SystemSample> system;
    QList<SeriesStats> stats;
    qint64 statsUntilMs = 0;
    std::optional<MemInfo> memory;
    std::optional<DiskUsage> stateDisk;
    QString stateDiskNote;
    ReportProviders providers;
};

// Min, average (weighted by samples) and max of 10 s buckets, and whether the
// second half of the window is clearly above or below the first.
SeriesStats statsOf(const QString &label, const QList<HistoryBucket> &buckets, qint64 fromMs, qint64 untilMs,
                    double noise, bool bytes)
{
    SeriesStats s;
    s.label = label;
    s.bytes = bytes;
    qint64 n = 0;
    double sum = 0;
    const qint64 middle = fromMs + (untilMs - fromMs) / 2;
    double halfSum[2] = {0, 0};
    qint64 halfN[2] = {0, 0};
    for (const HistoryBucket &b : buckets) {
        if (b.count <= 0)
            continue;
        s.min = n == 0 ? b.min : std::min(s.min, b.min);
        s.max = n == 0 ? b.max : std::max(s.max, b.max);
        n += b.count;
        sum += b.avg * double(b.count);
        const int half = b.timeMs < middle ? 0 : 1;
        halfSum[half] += b.avg * double(b.count);
        halfN[half] += b.count;
    }
    s.hasData = n > 0;
    if (!s.hasData) {
        s.trend = u"no data"_s;
        return s;
    }
    s.avg = sum / double(n);
    if (halfN[0] == 0 || halfN[1] == 0) {
        s.trend = u"too little data"_s;
        return s;
    }
    const double first = halfSum[0] / double(halfN[0]);
    const double second = halfSum[1] / double(halfN[1]);
    const double delta = second - first;
    // A change counts when it is above the noise and a tenth of the level.
    if (std::abs(delta) < std::max(noise, std::abs(first) * 0.1))
        s.trend = u"steady"_s;
    else
        s.trend = delta > 0 ? u"rising"_s : u"falling"_s;
    return s;
}

struct SeriesWanted
{
    QString service; // empty: the machine
    QString metric;
    QString label;
    double noise;
    bool bytes;
};

QList<SeriesWanted> wantedSeries(const Config &config)
{
    QList<SeriesWanted> out{
        {QString(), u"cpu"_s, u"Machine CPU"_s, 2.0, false},
        {QString(), u"memory"_s, u"Machine memory"_s, 1.0, false},
        {QString(), u"disk"_s, u"Machine disk (fullest)"_s, 1.0, false},
    };
    for (const ServiceSpec &spec : config.services) {
        out.append({spec.name, u"cpu"_s, spec.name + u" CPU"_s, 2.0, false});
        out.append({spec.name, u"rss"_s, spec.name + u" memory (RSS)"_s, 5e6, true});
    }
    return out;
}

std::optional<qint64> machineUptimeSeconds()
{
    // /proc/uptime: "12345.67 54321.00"; absent on other systems.
    QFile f(u"/proc/uptime"_s);
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    bool ok = false;
    const double seconds = QString::fromLatin1(f.read(128)).section(u' ', 0, 0).toDouble(&ok);
    if (!ok)
        return std::nullopt;
    return qint64(seconds);
}

// statfs on a dead network mount hangs: measured on a thread of its own,
// abandoned after `deadline`.
std::optional<DiskFigures> statWithDeadline(const QString &path, std::chrono::milliseconds deadline,
                                            bool *timedOut)
{
    auto promise = std::make_shared<std::promise<std::optional<DiskFigures>>>();
    std::future<std::optional<DiskFigures>> answer = promise->get_future();
    std::thread([promise, path] { promise->set_value(DiskProbe::statPath(path)); }).detach();
    *timedOut = answer.wait_for(deadline) != std::future_status::ready;
    if (*timedOut)
        return std::nullopt;
    return answer.get();
}

// ---- history.sqlite, read-only, for the report without a Lifeline ---------------------------

class OfflineHistory
{
public:
    explicit OfflineHistory(const QString &path)
        : m_name(u"lifeline-report-"_s + QUuid::createUuid().toString(QUuid::WithoutBraces))
    {
        if (!QFileInfo(path).isFile()) {
            m_error = u"no history yet (%1 does not exist)"_s.arg(path);
            return;
        }
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_name);
        db.setDatabaseName(path);
        // Never written to, never waited on for long: a running writer holds locks briefly.
        db.setConnectOptions(u"QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=1000"_s);
        if (!db.open())
            m_error = u"cannot open %1 read-only: %2"_s.arg(path, db.lastError().text());
    }
    ~OfflineHistory() { QSqlDatabase::removeDatabase(m_name); }
    OfflineHistory(const OfflineHistory &) = delete;
    OfflineHistory &operator=(const OfflineHistory &) = delete;

    QString error() const { return m_error; }

    QList<HistoryEvent> events(qint64 fromMs, int limit)
    {
        QList<HistoryEvent> out;
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        q.prepare(
            u"SELECT t, service, kind, text FROM events WHERE t >= ? ORDER BY t DESC, rowid DESC LIMIT ?"_s);
        q.addBindValue(fromMs);
        q.addBindValue(limit);
        if (!q.exec()) {
            note(q);
            return out;
        }
        while (q.next()) {
            HistoryEvent e;
            e.timeMs = q.value(0).toLongLong();
            e.service = q.value(1).toString();
            e.kind = historyEventKindFromName(q.value(2).toString()).value_or(HistoryEventKind::Start);
            e.text = q.value(3).toString();
            out.prepend(e);
        }
        return out;
    }

    std::optional<qint64> lastSampleMs()
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (!q.exec(u"SELECT max(t) FROM samples_10s"_s) || !q.next() || q.value(0).isNull()) {
            note(q);
            return std::nullopt;
        }
        return q.value(0).toLongLong();
    }

    QList<HistoryBucket> buckets(const QString &service, const QString &metric, qint64 fromMs, qint64 toMs)
    {
        QList<HistoryBucket> out;
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        q.prepare(
            u"SELECT b.t, b.vmin, b.vavg, b.vmax, b.n FROM samples_10s b JOIN series s ON s.id = b.series"
            " WHERE s.service = ? AND s.metric = ? AND b.t >= ? AND b.t <= ? ORDER BY b.t LIMIT 1000"_s);
        q.addBindValue(service);
        q.addBindValue(metric);
        q.addBindValue(fromMs);
        q.addBindValue(toMs);
        if (!q.exec()) {
            note(q);
            return out;
        }
        while (q.next())
            out.append({q.value(0).toLongLong(), q.value(1).toDouble(), q.value(2).toDouble(),
                        q.value(3).toDouble(), q.value(4).toLongLong()});
        return out;
    }

private:
    void note(const QSqlQuery &q)
    {
        if (q.lastError().isValid() && m_error.isEmpty())
            m_error = u"history database: "_s + q.lastError().text();
    }

    QString m_name;
    QString m_error;
};

// ---- the sections ---------------------------------------------------------------------------

QString sectionMachine(const ReportData &d)
{
    QList<QStringList> rows;
    const QString commit = QStringLiteral(LIFELINE_COMMIT);
    rows << QStringList{u"Lifeline"_s, QStringLiteral(LIFELINE_VERSION) +
                                           (commit.isEmpty() ? QString() : u" (commit "_s + commit + u')')};
    rows << QStringList{u"Lifeline process"_s,
                        d.running ? u"running, pid %1"_s.arg(QCoreApplication::applicationPid())
                                  : u"not running"_s};
    rows << QStringList{u"Operating system"_s, QSysInfo::prettyProductName()};
    rows << QStringList{u"Kernel"_s, QSysInfo::kernelType() + u' ' + QSysInfo::kernelVersion()};
    rows << QStringList{u"Architecture"_s, QSysInfo::currentCpuArchitecture()};
    rows << QStringList{u"CPUs"_s, QString::number(QThread::idealThreadCount())};
    if (d.memory)
        rows << QStringList{u"Memory"_s,
                            u"%1 total, %2 available; swap %3 total, %4 free"_s.arg(
                                formatSize(d.memory->totalBytes), formatSize(d.memory->availableBytes),
                                formatSize(d.memory->swapTotalBytes), formatSize(d.memory->swapFreeBytes))};
    else
        rows << QStringList{u"Memory"_s, u"unknown"_s};
    if (d.stateDisk && d.stateDisk->totalBytes > 0) {
        const DiskUsage &f = *d.stateDisk;
        rows << QStringList{u"Disk of state_dir"_s,
                            u"%1 on %2: %3 % used, %4 available of %5"_s.arg(
                                d.stateDir, f.rootPath, QString::number(f.percent, 'f', 1),
                                formatSize(f.availableBytes), formatSize(f.totalBytes))};
    } else {
        rows << QStringList{u"Disk of state_dir"_s, d.stateDir + u": "_s + d.stateDiskNote};
    }
    const std::optional<qint64> uptime = machineUptimeSeconds();
    rows << QStringList{u"Machine uptime"_s, uptime ? formatUptime(*uptime) : u"unknown"_s};
    return table({u"What"_s, u"Value"_s}, rows);
}

QString describeCheck(const HealthSpec &h)
{
    switch (h.kind) {
    case HealthSpec::Kind::Http:
        return u"HTTP "_s + maskUrlSecrets(h.url);
    case HealthSpec::Kind::Tcp:
        return u"TCP %1:%2"_s.arg(h.tcpHost).arg(h.tcpPort);
    case HealthSpec::Kind::Exec:
        return u"exec "_s + h.exec.value(0);
    case HealthSpec::Kind::None:
        break;
    }
    return u"none"_s;
}

QString lastExitText(const ServiceSnapshot &s)
{
    return s.hasExited ? s.lastExit.describe() : QString();
}

QString sectionServices(const ReportData &d)
{
    if (d.services.isEmpty())
        return u"The configuration has no services.\n"_s;
    QList<QStringList> rows;
    QStringList notes;
    for (const ServiceSnapshot &s : d.services) {
        if (!d.running) {
            // The last exit the history knows of.
            QString lastExit;
            for (const HistoryEvent &e : d.events) {
                if (e.service == s.name() && e.kind == HistoryEventKind::Exit)
                    lastExit = e.text + u" ("_s + localTime(e.timeMs) + u')';
            }
            rows << QStringList{s.name(),  u"unknown (Lifeline not running)"_s,
                                QString(), QString(),
                                QString(), QString(),
                                QString(), lastExit,
                                QString(), QString()};
            continue;
        }
        const int shell = s.hasExited ? s.lastExit.shellCode() : -1;
        rows << QStringList{s.name(),
                            stateName(s.state) + (s.adopted ? u" (adopted)"_s : QString()),
                            s.pid > 0 ? QString::number(s.pid) : QString(),
                            s.uptimeMs > 0 ? formatUptime(s.uptimeMs / 1000) : QString(),
                            QString::number(s.restarts),
                            u"%1 of %2 in %3"_s.arg(s.restartsInWindow)
                                .arg(s.spec.maxRestarts)
                                .arg(formatDuration(s.spec.restartWindow)),
                            s.health ? healthName(s.health->health()) : u"no check"_s,
                            lastExitText(s),
                            shell >= 0 ? QString::number(shell) : QString(),
                            s.lastReason};
        if (!s.lastError.isEmpty())
            notes << u"- **%1**: %2"_s.arg(s.name(), s.lastError.simplified());
        if (!s.restartReason.isEmpty() && s.nextRestartInMs >= 0)
            notes << u"- **%1**: restart in %2: %3"_s.arg(
                s.name(), formatDuration(Millis(s.nextRestartInMs), DurationStyle::Coarse), s.restartReason);
        if (!s.waitingReason.isEmpty())
            notes << u"- **%1**: waiting: %2"_s.arg(s.name(), s.waitingReason);
    }
    QString out =
        table({u"Service"_s, u"State"_s, u"PID"_s, u"Uptime"_s, u"Restarts"_s, u"Restarts in window"_s,
               u"Health"_s, u"Last exit"_s, u"Exit code"_s, u"Last reason"_s},
              rows);
    if (!notes.isEmpty())
        out += u"\n"_s + notes.join(u'\n') + u'\n';
    return out;
}

QString sectionRestartHistory(const ReportData &d)
{
    QString out =
        u"Starts, exits and restarts of the last 24 hours, newest last (at most %1 per service).\n"_s.arg(
            DiagnosticReport::kMaxEventsPerService);
    if (!d.historyNote.isEmpty())
        out += u"\n"_s + d.historyNote + u"\n"_s;
    for (const ServiceSnapshot &s : d.services) {
        QList<QStringList> rows;
        for (const HistoryEvent &e : d.events) {
            if (e.service == s.name() &&
                (e.kind == HistoryEventKind::Start || e.kind == HistoryEventKind::Exit ||
                 e.kind == HistoryEventKind::Restart))
                rows << QStringList{localTime(e.timeMs), historyEventKindName(e.kind), e.text};
        }
        if (rows.size() > DiagnosticReport::kMaxEventsPerService)
            rows = rows.mid(rows.size() - DiagnosticReport::kMaxEventsPerService);
        out += u"\n### "_s + s.name() + u"\n\n"_s;
        out += rows.isEmpty() ? u"No starts, exits or restarts in the last 24 hours.\n"_s
                              : table({u"Time"_s, u"Event"_s, u"Details"_s}, rows);
    }
    return out;
}

QString sectionHealth(const ReportData &d)
{
    QString out;
    QList<QStringList> checks;
    QList<std::pair<qint64, QStringList>> failures;
    for (const ServiceSnapshot &s : d.services) {
        if (!s.spec.health.enabled())
            continue;
        if (s.health) {
            checks << QStringList{
                s.name(), describeCheck(s.health->spec()), healthName(s.health->health()),
                u"%1 of %2"_s.arg(s.health->consecutiveFailures()).arg(s.health->spec().failures)};
            for (const HealthResult &r : s.health->history()) {
                if (!r.ok && r.timeMs >= d.nowMs - DiagnosticReport::kEventWindowMs)
                    failures.append(
                        {r.timeMs, {localTime(r.timeMs), s.name(), u"check failed: "_s + r.reason}});
            }
        } else {
            checks << QStringList{s.name(), describeCheck(s.spec.health), u"unknown (Lifeline not running)"_s,
                                  QString()};
        }
    }
    for (const HistoryEvent &e : d.events) {
        if (e.kind == HistoryEventKind::Health && e.text.startsWith(healthName(Health::Unhealthy)))
            failures.append({e.timeMs, {localTime(e.timeMs), e.service, u"became "_s + e.text}});
    }
    std::stable_sort(failures.begin(), failures.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    if (failures.size() > DiagnosticReport::kMaxHealthFailures)
        failures = failures.mid(failures.size() - DiagnosticReport::kMaxHealthFailures);
    if (checks.isEmpty())
        out += u"No service has a health check.\n"_s;
    else
        out += table({u"Service"_s, u"Check"_s, u"Health"_s, u"Failures in a row"_s}, checks);
    out += u"\n"_s;
    if (failures.isEmpty()) {
        out += u"No health check failed in the last 24 hours.\n"_s;
    } else {
        QList<QStringList> rows;
        for (const auto &f : std::as_const(failures))
            rows << f.second;
        out += table({u"Time"_s, u"Service"_s, u"What"_s}, rows);
    }
    return out;
}

QString sectionProvided(const std::function<QString()> &provider)
{
    const QString body = provider ? provider().trimmed() : QString();
    if (body.isEmpty())
        return kNone + u'\n';
    bool cut = false;
    QString out = cutToBytes(body, DiagnosticReport::kMaxProvidedBytes, &cut);
    // A cut fence would swallow the rest of the report.
    if (cut)
        out += u"\n```\n\n_(cut at %1)_"_s.arg(formatSize(DiagnosticReport::kMaxProvidedBytes));
    return out + u'\n';
}

QString figure(const SeriesStats &s, double v)
{
    return s.bytes ? formatSize(qint64(v)) : QString::number(v, 'f', 1) + u" %"_s;
}

QString sectionResources(const ReportData &d)
{
    QString out;
    if (d.system) {
        const SystemSample &m = *d.system;
        QStringList now;
        if (m.cpuValid)
            now << u"CPU %1 % of %2 cores"_s.arg(QString::number(m.cpuPercent, 'f', 1)).arg(m.cpuCores);
        if (m.memoryValid)
            now << u"memory %1 % (swap %2 %)"_s.arg(QString::number(m.memoryPercent, 'f', 1),
                                                    QString::number(m.swapPercent, 'f', 1));
        if (m.loadValid)
            now << u"load %1 %2 %3"_s.arg(QString::number(m.load.one, 'f', 2),
                                          QString::number(m.load.five, 'f', 2),
                                          QString::number(m.load.fifteen, 'f', 2));
        for (const DiskUsage &disk : m.disks)
            now << u"disk %1 %2 % used"_s.arg(disk.rootPath, QString::number(disk.percent, 'f', 1));
        out += u"Now: "_s + (now.isEmpty() ? u"no sample yet"_s : now.join(u"; "_s)) + u".\n\n"_s;
    } else {
        out += u"Now: not known (Lifeline is not running).\n\n"_s;
    }
    if (d.stats.isEmpty() || std::none_of(d.stats.cbegin(), d.stats.cend(),
                                          [](const SeriesStats &s) { return s.hasData || s.now; })) {
        out += u"No figures recorded in the hour up to %1.\n"_s.arg(localTime(d.statsUntilMs));
        return out;
    }
    out += u"The hour up to %1, from 10 s buckets of the history (CPU in % of one core for services, of the "
           u"whole machine for the machine).\n\n"_s.arg(localTime(d.statsUntilMs));
    QList<QStringList> rows;
    for (const SeriesStats &s : d.stats) {
        rows << QStringList{s.label,
                            s.now ? figure(s, *s.now) : QString(),
                            s.hasData ? figure(s, s.min) : QString(),
                            s.hasData ? figure(s, s.avg) : QString(),
                            s.hasData ? figure(s, s.max) : QString(),
                            s.trend};
    }
    out += table({u"Series"_s, u"Now"_s, u"Min (1 h)"_s, u"Avg (1 h)"_s, u"Max (1 h)"_s, u"Trend"_s}, rows);
    return out;
}

QString sectionRecovery(const ReportData &d)
{
    QString path;
    const QString text =
        Recovery::readLastReport(d.stateDir, &path, DiagnosticReport::kMaxRecoveryReportBytes);
    if (path.isEmpty())
        return u"No recovery has run (no report in %1).\n"_s.arg(code(d.stateDir + u"/recovery"_s));
    QString out = u"From %1, written %2.\n\n"_s.arg(
        code(path), localTime(QFileInfo(path).lastModified().toMSecsSinceEpoch()));
    out += markdownFenced(text);
    if (QFileInfo(path).size() > DiagnosticReport::kMaxRecoveryReportBytes)
        out += u"\n_(cut at %1 of %2)_\n"_s.arg(formatSize(DiagnosticReport::kMaxRecoveryReportBytes),
                                                formatSize(QFileInfo(path).size()));
    return out;
}

QString sectionConfiguration(const ReportData &d)
{
    if (d.configPath.isEmpty())
        return u"The configuration did not come from a file.\n"_s;
    QString error;
    const QFileInfo info(d.configPath);
    // Judged before reading: a configuration may be up to 16 MB, far more than a report wants.
    if (info.isFile() && info.size() > DiagnosticReport::kMaxConfigBytes)
        return u"%1 is %2, more than the %3 a report includes; not shown.\n"_s.arg(
            code(d.configPath), formatSize(info.size()), formatSize(DiagnosticReport::kMaxConfigBytes));
    const std::optional<QByteArray> bytes = readConfigFile(d.configPath, &error);
    if (!bytes)
        return error + u".\n"_s;
    if (bytes->size() > DiagnosticReport::kMaxConfigBytes)
        return u"%1 grew past %2 while being read; not shown.\n"_s.arg(
            code(d.configPath), formatSize(DiagnosticReport::kMaxConfigBytes));
    const MaskedConfig masked = maskConfigSecrets(*bytes);
    QString out =
        u"%1 (%2). Values under `env` and values that look secret are shown as `***` (%3 masked)."_s.arg(
            code(d.configPath), formatSize(bytes->size()), QString::number(masked.masked));
    if (masked.allValues)
        out += u" Note: "_s + masked.note + u'.';
    return out + u"\n\n"_s + markdownFenced(masked.text, u"toml"_s);
}

QString render(const ReportData &d)
{
    QString out = u"# Lifeline diagnostic report\n\n"_s;
    out += u"- Generated: %1\n"_s.arg(localTime(d.nowMs));
    out += d.running
               ? u"- Lifeline: running\n"_s
               : u"- Lifeline: **not running**. This report was built from the configuration and "
                 u"state_dir alone: live states, health and usage are not known; the history is what the "
                 u"last run recorded.\n"_s;
    out += u"- Configuration: %1\n"_s.arg(d.configPath.isEmpty() ? u"-"_s : code(d.configPath));
    out += u"- State folder: %1\n"_s.arg(code(d.stateDir));
    const std::function<QString()> bodies[SectionCount] = {
        [&] { return sectionMachine(d); },
        [&] { return sectionServices(d); },
        [&] { return sectionRestartHistory(d); },
        [&] { return sectionHealth(d); },
        [&] { return sectionProvided(d.providers.errorSignatures); },
        [&] { return sectionProvided(d.providers.crashRecords); },
        [&] { return sectionProvided(d.providers.alerts); },
        [&] { return sectionResources(d); },
        [&] { return sectionRecovery(d); },
        [&] { return sectionConfiguration(d); },
    };
    for (int i = 0; i < SectionCount; ++i)
        out += u"\n## "_s + QString::fromUtf16(kTitles[i]) + u"\n\n"_s + bodies[i]();
    return out;
}

} // namespace

QString markdownFenced(const QString &text, const QString &language)
{
    int longest = 0;
    int run = 0;
    for (const QChar c : text) {
        run = c == u'`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    const QString fence(std::max(3, longest + 1), u'`');
    QString body = text;
    if (!body.endsWith(u'\n'))
        body += u'\n';
    return fence + language + u'\n' + body + fence + u'\n';
}

QStringList DiagnosticReport::sectionTitles()
{
    QStringList out;
    for (const char16_t *t : kTitles)
        out << QString::fromUtf16(t);
    return out;
}

QString DiagnosticReport::build(const Fleet &fleet, const ReportProviders &providers)
{
    ReportData d;
    d.nowMs = QDateTime::currentMSecsSinceEpoch();
    d.running = true;
    d.config = fleet.config();
    d.configPath = d.config.path;
    d.stateDir = fleet.stateDir();
    d.providers = providers;
    for (const ServiceSupervisor *s : fleet.services())
        d.services.append(ServiceSnapshot::of(*s, fleet));
    const MetricsHistory *history = fleet.history();
    const MetricsSampler *sampler = fleet.sampler();
    if (history) {
        d.events = history->events(QString(), d.nowMs - kEventWindowMs, d.nowMs);
        if (!history->lastWarning().isEmpty())
            d.historyNote = u"History database: "_s + history->lastWarning();
    }
    if (sampler) {
        d.system = sampler->lastSystem();
        if (d.system->memoryValid)
            d.memory = d.system->mem;
        for (const DiskUsage &disk : std::as_const(d.system->disks)) {
            if (disk.path == d.stateDir && !disk.unavailable)
                d.stateDisk = disk;
        }
    }
    if (!d.memory)
        d.memory = ProcFs().systemMemory();
    if (!d.stateDisk)
        d.stateDiskNote = u"not measured yet"_s;
    d.statsUntilMs = d.nowMs;
    const qint64 from = d.nowMs - kTrendWindowMs;
    for (const SeriesWanted &w : wantedSeries(d.config)) {
        const QList<HistoryBucket> buckets =
            history ? history->buckets(w.service, w.metric, HistoryTier::TenSeconds, from, d.nowMs)
                    : QList<HistoryBucket>();
        SeriesStats s = statsOf(w.label, buckets, from, d.nowMs, w.noise, w.bytes);
        if (sampler && w.service.isEmpty()) {
            const SystemSample &m = *d.system;
            if (w.metric == u"cpu"_s && m.cpuValid)
                s.now = m.cpuPercent;
            else if (w.metric == u"memory"_s && m.memoryValid)
                s.now = m.memoryPercent;
            else if (w.metric == u"disk"_s && !m.disks.isEmpty())
                s.now = m.diskPercent;
        } else if (sampler) {
            if (const auto tree = sampler->lastService(w.service))
                s.now = w.metric == u"cpu"_s ? tree->cpuPercent : double(tree->rssBytes);
        }
        d.stats.append(s);
    }
    return render(d);
}

QString DiagnosticReport::buildOffline(const Config &config, const ReportProviders &providers)
{
    ReportData d;
    d.nowMs = QDateTime::currentMSecsSinceEpoch();
    d.config = config;
    d.configPath = config.path;
    d.stateDir = config.settings.stateDir;
    d.providers = providers;
    for (const ServiceSpec &spec : config.services)
        d.services.append(ServiceSnapshot::beforeStart(spec, d.stateDir));
    d.memory = ProcFs().systemMemory();
    bool timedOut = false;
    if (const auto figures = statWithDeadline(d.stateDir, std::chrono::seconds(2), &timedOut)) {
        DiskUsage disk;
        disk.path = d.stateDir;
        disk.rootPath = figures->rootPath;
        disk.totalBytes = figures->totalBytes;
        disk.availableBytes = figures->availableBytes;
        // As df counts: used / (used + available).
        const qint64 used = figures->totalBytes - figures->freeBytes;
        if (used + figures->availableBytes > 0)
            disk.percent = 100.0 * double(used) / double(used + figures->availableBytes);
        d.stateDisk = disk;
    }
    d.stateDiskNote = timedOut ? u"did not answer within 2 s (a hung mount?)"_s : u"cannot be measured"_s;

    OfflineHistory history(QDir(d.stateDir).filePath(u"history.sqlite"_s));
    if (history.error().isEmpty()) {
        d.events = history.events(d.nowMs - kEventWindowMs, 5000);
        d.statsUntilMs = history.lastSampleMs().value_or(d.nowMs);
        const qint64 from = d.statsUntilMs - kTrendWindowMs;
        for (const SeriesWanted &w : wantedSeries(config))
            d.stats.append(statsOf(w.label, history.buckets(w.service, w.metric, from, d.statsUntilMs), from,
                                   d.statsUntilMs, w.noise, w.bytes));
    } else {
        d.statsUntilMs = d.nowMs;
    }
    if (!history.error().isEmpty())
        d.historyNote = u"History: "_s + history.error() + u'.';
    return render(d);
}

bool writeReportFile(const QString &path, const QString &text, QString *error)
{
    // By hand rather than QSaveFile: Qt 6.4's QSaveFile::commit() renamed an
    // empty file over the old one when the disk was full, and said it worked.
    const auto fail = [&](const QString &why) {
        *error = u"cannot write the report to %1: %2"_s.arg(path, why);
        return false;
    };
    const QString temp = path + u".tmp-"_s + QUuid::createUuid().toString(QUuid::Id128).left(8);
    QFile file(temp);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly | QIODevice::Unbuffered))
        return fail(file.errorString());
    const QByteArray bytes = text.toUtf8();
    const bool written = file.write(bytes) == bytes.size() && file.flush();
    const QString writeError = file.errorString();
    file.close();
    if (!written || file.error() != QFileDevice::NoError) {
        file.remove();
        return fail(written ? file.errorString() : writeError);
    }
    if (std::rename(QFile::encodeName(temp).constData(), QFile::encodeName(path).constData()) != 0) {
        const QString why = QString::fromLocal8Bit(std::strerror(errno));
        file.remove();
        return fail(why);
    }
    return true;
}

QString defaultReportPath(const QString &stateDir)
{
    return QDir(stateDir).filePath(
        u"reports/lifeline-report-%1.md"_s.arg(QDateTime::currentDateTime().toString(u"yyyyMMdd-HHmmss"_s)));
}

} // namespace lifeline
