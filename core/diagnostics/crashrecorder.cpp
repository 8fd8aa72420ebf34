#include "diagnostics/crashrecorder.h"

#include "diagnostics/crashstore.h"
#include "logs/logtailer.h"
#include "metrics/metricshistory.h"
#include "supervise/servicesupervisor.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTimer>

#include <algorithm>
#include <csignal>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

constexpr qint64 kWindowMs = 5 * 60 * 1000;
constexpr int kChartPoints = 60;
// .git/HEAD, a ref, a "gitdir:" file: a few bytes. packed-refs of a large
// repository: megabytes, read line by line up to this.
constexpr qint64 kSmallFile = 4096;
constexpr qint64 kMaxPackedRefs = 8 * 1024 * 1024;

QByteArray readSmall(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.read(kSmallFile).trimmed();
}

bool isHash(const QByteArray &text)
{
    if (text.size() != 40 && text.size() != 64)
        return false;
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

QString resolveRef(const QString &gitDir, const QString &ref)
{
    // A linked worktree keeps its HEAD here and the branches in the common dir.
    QString common = gitDir;
    if (const QByteArray c = readSmall(gitDir + u"/commondir"_s); !c.isEmpty())
        common = QDir(gitDir).filePath(QString::fromUtf8(c));
    for (const QString &base : {gitDir, common}) {
        const QByteArray loose = readSmall(base + u'/' + ref);
        if (isHash(loose))
            return QString::fromLatin1(loose);
    }
    QFile packed(common + u"/packed-refs"_s);
    if (!packed.open(QIODevice::ReadOnly))
        return {};
    const QByteArray wanted = ref.toUtf8();
    while (!packed.atEnd() && packed.pos() < kMaxPackedRefs) {
        const QByteArray line = packed.readLine(1024).trimmed();
        const qsizetype space = line.indexOf(' ');
        if (space > 0 && line.mid(space + 1) == wanted && isHash(line.left(space)))
            return QString::fromLatin1(line.left(space));
    }
    return {};
}

QList<int> toInts(const QList<quint16> &ports)
{
    QList<int> out;
    for (quint16 p : ports)
        out.append(p);
    return out;
}

} // namespace

GitHead readGitHead(const QString &dir)
{
    if (dir.isEmpty())
        return {};
    QDir d(dir);
    QString gitDir;
    for (int depth = 0; depth < 64 && gitDir.isEmpty(); ++depth) {
        const QFileInfo dotGit(d.filePath(u".git"_s));
        if (dotGit.isDir()) {
            gitDir = dotGit.filePath();
        } else if (dotGit.isFile()) {
            // A worktree or submodule: "gitdir: PATH".
            const QByteArray link = readSmall(dotGit.filePath());
            if (!link.startsWith("gitdir:"))
                return {};
            gitDir = d.filePath(QString::fromUtf8(link.mid(7).trimmed()));
        } else if (!d.cdUp()) {
            return {};
        }
    }
    const QByteArray head = readSmall(gitDir + u"/HEAD"_s);
    GitHead out;
    if (head.startsWith("ref:")) {
        out.ref = QString::fromUtf8(head.mid(4).trimmed());
        out.commit = resolveRef(gitDir, out.ref);
    } else if (isHash(head)) {
        out.commit = QString::fromLatin1(head);
    }
    return out;
}

CrashRecorder::CrashRecorder(MetricsHistory *history, CrashStore *store, QObject *parent)
    : QObject(parent)
    , m_history(history)
    , m_store(store)
{}

CrashRecorder::~CrashRecorder()
{
    for (const quint64 key : m_pending.keys())
        finish(key);
}

void CrashRecorder::watch(ServiceSupervisor *service)
{
    connect(service, &ServiceSupervisor::started, this, [this, service] { onStarted(service); });
    connect(service, &ServiceSupervisor::stateChanged, this, [this, service](ServiceState, ServiceState to) {
        if (to == ServiceState::Stopping)
            onStopping(service);
    });
    connect(service, &ServiceSupervisor::exited, this,
            [this, service](const ExitStatus &status) { onExited(service, status); });
    const QString name = service->name();
    connect(service, &QObject::destroyed, this, [this, name] { m_runs.remove(name); });
}

void CrashRecorder::onStarted(ServiceSupervisor *s)
{
    Run &run = m_runs[s->name()];
    run = Run{};
    run.oomBefore = m_proc.oomKillCounts(ServiceSupervisor::OomBaselineMs); // the supervisor's reading
    run.startedAtMs = QDateTime::currentMSecsSinceEpoch();
}

void CrashRecorder::onStopping(ServiceSupervisor *s)
{
    Run &run = m_runs[s->name()];
    run.failure = s->isStoppingForFailure();
    if (run.failure)
        run.listening = toInts(m_proc.listeningPorts(s->treePids()));
}

void CrashRecorder::onExited(ServiceSupervisor *s, const ExitStatus &status)
{
    const Run run = m_runs.value(s->name());
    m_runs[s->name()].failure = false;
    if (!run.failure) {
        // Still running or starting as it ended: nobody asked for it. (A
        // stop asked for has the supervisor in Stopping by now.)
        const ServiceState state = s->state();
        if ((state != ServiceState::Running && state != ServiceState::Starting) || status.isSuccess())
            return;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    CrashRecord r;
    r.service = s->name();
    r.timeMs = now;
    r.reason = s->lastReason();
    r.exit = status.describe();
    r.exitCode = status.shellCode();
    r.signal = status.kind == ExitStatus::Kind::Signaled ? status.code : 0;
    r.pid = s->pid();
    r.uptimeMs = run.startedAtMs > 0 ? now - run.startedAtMs : -1;

    // The OOM killer sends SIGKILL: only then must the count be this moment's.
    const OomKillCounts after = m_proc.oomKillCounts(r.signal == SIGKILL ? 0 : 500);
    if (run.oomBefore.cgroup && after.cgroup) {
        r.oomCounter = u"memory.events of the cgroup"_s;
        r.oomKills = qint64(*after.cgroup) - qint64(*run.oomBefore.cgroup);
    } else if (run.oomBefore.system && after.system) {
        r.oomCounter = u"/proc/vmstat"_s;
        r.oomKills = qint64(*after.system) - qint64(*run.oomBefore.system);
    }
    if (run.failure)
        r.cause = crashCauseOfFailure(r.reason);
    else if (status.cause == ExitStatus::Cause::OutOfMemory ||
             (r.signal == SIGKILL && status.cause != ExitStatus::Cause::StopTimeout && r.oomKills > 0))
        r.cause = u"killed by OOM"_s;
    else
        r.cause = u"crash"_s;

    r.ports = toInts(s->spec().ports);
    // What is left of the tree after a crash may still listen (a worker).
    // Read now, before the restart ends it; the rest waits for finish(), off
    // the path from the exit to the next start.
    r.listeningPorts = run.failure ? run.listening : toInts(m_proc.listeningPorts(s->exitLeftovers()));
    r.cwd = s->spec().cwd;

    const quint64 key = m_nextKey++;
    m_pending.insert(key, Pending{r, s->logPath(), s->errLogPath()});
    QTimer::singleShot(m_outputDelayMs, this, [this, key] { finish(key); });
}

void CrashRecorder::finish(quint64 key)
{
    const auto it = m_pending.constFind(key);
    if (it == m_pending.constEnd())
        return;
    Pending p = *it;
    m_pending.erase(it);
    CrashRecord &r = p.record;
    if (m_history) {
        r.cpu = m_history->series(r.service, u"cpu"_s, r.timeMs - kWindowMs, r.timeMs, kChartPoints);
        r.rss = m_history->series(r.service, u"rss"_s, r.timeMs - kWindowMs, r.timeMs, kChartPoints);
    }
    const GitHead git = readGitHead(r.cwd);
    r.gitCommit = git.commit;
    r.gitRef = git.ref;
    p.record.setOutput(lastLines(p.outPath, p.errPath));
    if (p.record.output.isEmpty())
        p.record.outputNote = u"(nothing in %1 or %2)"_s.arg(p.outPath, p.errPath);
    p.record.id = m_store->add(p.record);
    emit recorded(CrashSummary::of(p.record));
}

QList<CrashRecord::OutputLine> CrashRecorder::lastLines(const QString &outPath, const QString &errPath)
{
    LogTailer tailer;
    tailer.addFile(outPath, LogTailer::Stream::Out);
    tailer.addFile(errPath, LogTailer::Stream::Err);
    tailer.setOrderIndex(LogTailer::orderIndexPath(outPath));
    tailer.setMaxInitialBytes(kMaxReadBytes);
    tailer.setMaxBytesPerTick(kMaxReadBytes);
    QList<CrashRecord::OutputLine> lines;
    connect(&tailer, &LogTailer::linesAppended, &tailer, [&lines](const QList<LogTailer::Line> &batch) {
        for (const LogTailer::Line &l : batch)
            lines.append({l.stream == LogTailer::Stream::Err, l.text});
    });
    tailer.start(CrashRecord::kMaxLines);
    // Lines whose order record is missing are held for a few polls, then
    // handed out: the logger has written everything by now.
    for (int i = 0; i < 4; ++i)
        tailer.pollNow();
    tailer.stop();
    return lines;
}

} // namespace lifeline
