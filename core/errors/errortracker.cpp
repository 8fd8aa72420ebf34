#include "errors/errortracker.h"

#include "errors/errordetector.h"
#include "errors/errorstore.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "util/clock.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#endif

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

// What a path is when it is not a regular file; empty when it is one or is missing.
QString notRegular(const QString &path)
{
#ifdef Q_OS_UNIX
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0 || S_ISREG(st.st_mode))
        return {};
    if (S_ISFIFO(st.st_mode))
        return u"a FIFO"_s;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        return u"a device"_s;
    if (S_ISSOCK(st.st_mode))
        return u"a socket"_s;
    if (S_ISDIR(st.st_mode))
        return u"a directory"_s;
    return u"not a regular file"_s;
#else
    const QFileInfo info(path);
    return !info.exists() || info.isFile() ? QString() : u"not a regular file"_s;
#endif
}

bool hasWildcard(const QString &s)
{
    return s.contains(u'*') || s.contains(u'?') || s.contains(u'[');
}

// A rotated backup ("app.log.3"): its lines were read from "app.log" already.
bool isBackup(const QString &name)
{
    static const QRegularExpression re(u"\\.\\d+$"_s);
    return re.match(name).hasMatch();
}

} // namespace

struct ErrorTracker::Source
{
    QString label; // "stdout"/"stderr" are chosen per line; else the file as configured
    std::unique_ptr<LogTailer> tailer;
    std::unique_ptr<ErrorDetector> out;
    std::unique_ptr<ErrorDetector> err;
};

struct ErrorTracker::Watch
{
    ErrorsSpec spec;
    QString cwd;
    QString logPath;
    QString errLogPath;
    QList<QRegularExpression> patterns;
    std::unique_ptr<Source> output;
    std::map<QString, std::unique_ptr<Source>> files; // by absolute path
    QSet<QString> refused;                            // reported, not followed
};

ErrorTracker::ErrorTracker(Fleet *fleet, const QString &databasePath, Clock *clock, QObject *parent)
    : QObject(parent)
    , m_fleet(fleet)
    , m_clock(clock ? clock : Clock::system())
    , m_wallNow([] { return QDateTime::currentMSecsSinceEpoch(); })
    , m_store(std::make_unique<ErrorStore>(databasePath))
{
    const auto stored = m_store->load();
    for (auto it = stored.cbegin(); it != stored.cend(); ++it) {
        for (const ErrorSignature &s : it.value())
            m_signatures[it.key()].insert(s.id, s);
    }
    m_timer.setInterval(kTailIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &ErrorTracker::pollNow);
    m_lastScanMs = m_lastPersistMs = m_clock->nowMs();
    connect(m_fleet, &Fleet::serviceAdded, this, [this] { sync(); });
    connect(m_fleet, &Fleet::serviceRemoved, this, [this] { sync(); });
    sync();
    m_timer.start();
}

ErrorTracker::~ErrorTracker()
{
    persist();
}

void ErrorTracker::sync()
{
    QSet<QString> names;
    for (const ServiceSupervisor *s : m_fleet->services()) {
        names.insert(s->name());
        const auto it = m_watches.find(s->name());
        const QString cwd = s->spec().cwd.isEmpty() ? m_fleet->config().settings.stateDir : s->spec().cwd;
        if (it != m_watches.end() && it->second->spec == s->spec().errors && it->second->cwd == cwd &&
            it->second->logPath == s->logPath())
            continue;
        watch(s->name());
    }
    for (auto it = m_watches.begin(); it != m_watches.end();) {
        if (names.contains(it->first)) {
            ++it;
            continue;
        }
        m_signatures.remove(it->first);
        m_dirty.remove(it->first);
        it = m_watches.erase(it);
    }
}

void ErrorTracker::watch(const QString &service)
{
    const ServiceSupervisor *s = m_fleet->service(service);
    auto w = std::make_unique<Watch>();
    w->spec = s->spec().errors;
    w->cwd = s->spec().cwd.isEmpty() ? m_fleet->config().settings.stateDir : s->spec().cwd;
    w->logPath = s->logPath();
    w->errLogPath = s->errLogPath();
    for (const QString &p : std::as_const(w->spec.patterns)) {
        QRegularExpression re(p); // validated by the loader
        re.optimize();
        w->patterns.append(re);
    }
    w->output = std::make_unique<Source>();
    Source &out = *w->output;
    out.tailer = std::make_unique<LogTailer>();
    out.tailer->addFile(w->logPath, LogTailer::Stream::Out);
    out.tailer->addFile(w->errLogPath, LogTailer::Stream::Err);
    out.out = std::make_unique<ErrorDetector>(w->patterns, w->spec.defaultPatterns);
    out.err = std::make_unique<ErrorDetector>(w->patterns, w->spec.defaultPatterns);
    out.tailer->setMaxBytesPerTick(kMaxBytesPerTick);
    out.tailer->setInterval(0); // pollNow() reads every tailer
    connect(
        out.tailer.get(), &LogTailer::linesAppended, this,
        [this, service, src = &out](const QList<LogTailer::Line> &lines) { onLines(service, *src, lines); });
    out.tailer->start(0);
    Watch &ref = *w;
    m_watches[service] = std::move(w);
    scanFiles(service, ref, true);
}

void ErrorTracker::startSource(const QString &service, Watch &w, const QString &path, bool fromStart)
{
    auto source = std::make_unique<Source>();
    source->label = QDir(w.cwd).relativeFilePath(path);
    source->tailer = std::make_unique<LogTailer>();
    source->tailer->addFile(path);
    source->tailer->setMaxBytesPerTick(kMaxBytesPerTick);
    source->tailer->setInterval(0);
    source->out = std::make_unique<ErrorDetector>(w.patterns, w.spec.defaultPatterns);
    connect(source->tailer.get(), &LogTailer::linesAppended, this,
            [this, service, src = source.get()](const QList<LogTailer::Line> &lines) {
                onLines(service, *src, lines);
            });
    // A file that appeared after watching began is new: all of it. One that
    // was there: from its end.
    if (fromStart)
        source->tailer->startFromBeginning();
    else
        source->tailer->start(0);
    w.files[path] = std::move(source);
}

void ErrorTracker::scanFiles(const QString &service, Watch &w, bool initial)
{
    QStringList found;
    for (const QString &pattern : std::as_const(w.spec.files)) {
        const QString absolute = QDir::cleanPath(QDir(w.cwd).absoluteFilePath(pattern));
        const QFileInfo info(absolute);
        if (!hasWildcard(info.fileName())) {
            found.append(absolute);
            continue;
        }
        const QDir dir = info.absoluteDir();
        const QStringList names =
            dir.entryList({info.fileName()}, QDir::Files | QDir::System | QDir::Hidden, QDir::Name);
        for (const QString &name : names) {
            if (!isBackup(name))
                found.append(dir.filePath(name));
        }
    }
    for (const QString &path : std::as_const(found)) {
        if (path == w.logPath || path == w.errLogPath)
            continue; // read already
        const QString what = notRegular(path);
        if (!what.isEmpty()) {
            // Opening a FIFO would wait for a writer; a device never ends.
            w.files.erase(path);
            if (!w.refused.contains(path)) {
                w.refused.insert(path);
                emit problem(service, u"errors: service \"%1\": %2 is %3, not a regular file; not read"_s.arg(
                                          service, path, what));
            }
            continue;
        }
        if (w.files.count(path))
            continue;
        const bool wasRefused = w.refused.remove(path);
        startSource(service, w, path, !initial || wasRefused);
    }
}

void ErrorTracker::onLines(const QString &service, Source &source, const QList<LogTailer::Line> &lines)
{
    const qint64 now = m_clock->nowMs();
    QList<ErrorEvent> outEvents;
    QList<ErrorEvent> errEvents;
    for (const LogTailer::Line &line : lines) {
        if (line.stream == LogTailer::Stream::Err && source.err)
            source.err->feed(line.text, now, errEvents);
        else
            source.out->feed(line.text, now, outEvents);
    }
    const bool output = source.label.isEmpty();
    record(service, output ? u"stdout"_s : source.label, outEvents);
    record(service, u"stderr"_s, errEvents);
}

void ErrorTracker::record(const QString &service, const QString &source, QList<ErrorEvent> &events)
{
    if (events.isEmpty())
        return;
    const qint64 now = wallNow();
    const qint64 minute = now / 60'000;
    QHash<QString, ErrorSignature> &sigs = m_signatures[service];
    for (ErrorEvent &e : events) {
        const SignatureKey key = signatureOf(e);
        ErrorSignature &s = sigs[key.id];
        if (s.id.isEmpty()) {
            s.id = key.id;
            s.text = key.text;
            s.firstSeenMs = now;
        }
        ++s.count;
        s.lastSeenMs = now;
        s.source = source;
        s.sample = e.lines.join(u'\n');
        if (e.droppedLines > 0)
            s.sample += u"\n\u2026 %1 more lines"_s.arg(e.droppedLines);
        ++s.perMinute[minute];
        while (!s.perMinute.isEmpty() && s.perMinute.firstKey() < minute - kDayMs / 60'000)
            s.perMinute.erase(s.perMinute.begin());
        m_dirty[service].insert(s.id);
        emit errorOccurred(service, s.id, s.text, now);
    }
    while (sigs.size() > kMaxSignaturesPerService) {
        // The one seen least recently goes.
        auto oldest = sigs.begin();
        for (auto it = sigs.begin(); it != sigs.end(); ++it) {
            if (it->lastSeenMs < oldest->lastSeenMs)
                oldest = it;
        }
        m_dirty[service].remove(oldest.key());
        m_evicted[service].append(oldest.key());
        sigs.erase(oldest);
    }
    emit signaturesChanged(service);
}

void ErrorTracker::pollNow()
{
    for (auto &[name, w] : m_watches) {
        w->output->tailer->pollNow();
        for (auto &[path, source] : w->files)
            source->tailer->pollNow();
    }
    tick();
}

void ErrorTracker::tick()
{
    const qint64 now = m_clock->nowMs();
    const bool scan = now - m_lastScanMs >= kScanFilesMs;
    if (scan)
        m_lastScanMs = now;
    bool open = false;
    for (auto &[name, w] : m_watches) {
        QList<ErrorEvent> out;
        QList<ErrorEvent> err;
        w->output->out->closeIfQuiet(now, kQuietMs, out);
        w->output->err->closeIfQuiet(now, kQuietMs, err);
        open = open || w->output->out->hasOpenEvent() || w->output->err->hasOpenEvent();
        record(name, u"stdout"_s, out);
        record(name, u"stderr"_s, err);
        for (auto &[path, source] : w->files) {
            QList<ErrorEvent> events;
            source->out->closeIfQuiet(now, kQuietMs, events);
            open = open || source->out->hasOpenEvent();
            record(name, source->label, events);
        }
        // New files matching the globs, files replaced by FIFOs.
        if (scan && !w->spec.files.isEmpty())
            scanFiles(name, *w, false);
    }
    if (now - m_lastPersistMs >= kPersistMs) {
        m_lastPersistMs = now;
        persist();
    }
    const int interval = open ? kIntervalMs : kTailIntervalMs;
    if (m_timer.interval() != interval)
        m_timer.start(interval);
}

void ErrorTracker::persist()
{
    for (auto it = m_evicted.cbegin(); it != m_evicted.cend(); ++it)
        m_store->remove(it.key(), it.value());
    m_evicted.clear();
    for (auto it = m_dirty.cbegin(); it != m_dirty.cend(); ++it) {
        QList<ErrorSignature> changed;
        const QHash<QString, ErrorSignature> &sigs = m_signatures[it.key()];
        for (const QString &id : it.value()) {
            if (const auto s = sigs.constFind(id); s != sigs.cend())
                changed.append(*s);
        }
        m_store->save(it.key(), changed);
    }
    m_dirty.clear();
}

QList<ErrorSignature> ErrorTracker::signatures(const QString &service) const
{
    QList<ErrorSignature> out = m_signatures.value(service).values();
    std::sort(out.begin(), out.end(), [](const ErrorSignature &a, const ErrorSignature &b) {
        return a.lastSeenMs != b.lastSeenMs ? a.lastSeenMs > b.lastSeenMs : a.id < b.id;
    });
    return out;
}

QStringList ErrorTracker::watchedFiles(const QString &service) const
{
    QStringList out;
    if (const auto it = m_watches.find(service); it != m_watches.end()) {
        for (const auto &[path, source] : it->second->files)
            out.append(path);
    }
    return out;
}

} // namespace lifeline
