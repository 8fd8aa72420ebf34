#include "control/controlserver.h"

#include "control/statusjson.h"
#include "diagnostics/crashcontrol.h"
#include "errors/errorjson.h"
#include "errors/errortracker.h"
#include "logs/eventlog.h"
#include "logs/logbackups.h"
#include "platform/localsocket.h"
#include "platform/rlimit.h"
#include "recovery/recovery.h"
#include "repair/repair.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "update/updater.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalSocket>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTimer>

#include <cstring>
#include <utility>

using namespace Qt::StringLiterals;

namespace lifeline {

Q_LOGGING_CATEGORY(lcControl, "lifeline.control")

namespace {

constexpr int kResumeAcceptMs = 200;
constexpr int kDefaultLogLines = 100;
constexpr int kMaxLogLines = 100'000;
constexpr qint64 kMaxFollowChunk = 1024 * 1024; // per file and request
constexpr qint64 kMaxPendingReplyBytes = 16 * 1024 * 1024;

QJsonObject okReply()
{
    return {{u"ok"_s, true}};
}

QJsonObject errorReply(const QString &error)
{
    return {{u"ok"_s, false}, {u"error"_s, error}};
}

QJsonObject badRequest(const QString &why)
{
    return errorReply(u"bad request: "_s + why);
}

QString unknownService(const QString &name)
{
    return u"unknown service \"%1\""_s.arg(name);
}

// Lines appended to `path` since byte `offset`. Only whole lines are taken;
// *cursor is where the next read starts. A file shorter than `offset` was
// rotated or truncated: read it from the start.
QStringList readSince(const QString &path, qint64 offset, bool errorsOnly, qint64 *cursor)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *cursor = 0;
        return {};
    }
    const qint64 size = file.size();
    if (offset < 0 || offset > size)
        offset = 0;
    *cursor = offset;
    if (size == offset || !file.seek(offset))
        return {};
    const QByteArray data = file.read(std::min(size - offset, kMaxFollowChunk));
    const qsizetype end = data.lastIndexOf('\n');
    if (end < 0) {
        // A partial line; unless it alone fills the chunk, wait for its end.
        if (data.size() >= kMaxFollowChunk)
            *cursor = offset + data.size();
        return {};
    }
    *cursor = offset + end + 1;
    QStringList lines;
    const QList<QByteArray> raw = data.left(end).split('\n');
    for (const QByteArray &l : raw) {
        QString line = QString::fromUtf8(l);
        if (line.endsWith(u'\r'))
            line.chop(1);
        if (!errorsOnly || isErrorLine(line))
            lines << line;
    }
    return lines;
}

// The last `lines` lines of a service log, read back through its rotated
// files (PATH, PATH.1, PATH.2 ... newest first, plain or .gz) until there are
// enough: right after a rotation the live file holds a line or two.
QStringList tailRotated(const QString &path, int lines, bool errorsOnly)
{
    QStringList out = tailLines(path, lines, errorsOnly);
    const QList<LogBackup> backups = logBackups(path);
    for (auto b = backups.cbegin(); b != backups.cend() && out.size() < lines; ++b) {
        if (!b->compressed) {
            out = tailLines(b->path, int(lines - out.size()), errorsOnly) + out;
            continue;
        }
        // What tailLines reads at most of a plain file.
        const BackupContents backup = readBackup(*b, 32LL * 1024 * 1024);
        if (!backup.error.isEmpty()) {
            qWarning("lifelinectl logs: %s", qUtf8Printable(skippedBackupLine(b->path, backup.error)));
            out.prepend(skippedBackupLine(b->path, backup.error));
            continue;
        }
        out = lastLines(backup.data, backup.startsMidLine, int(lines - out.size()), errorsOnly) + out;
    }
    return out;
}

// "2026-11-25T12:00:00.123Z ..." -> the timestamp; empty when the line has none.
QStringView timeKey(const QString &line)
{
    if (line.size() < 10 || !line.at(0).isDigit() || line.at(4) != u'-')
        return {};
    const qsizetype space = line.indexOf(u' ');
    return QStringView(line).left(space < 0 ? line.size() : space);
}

// Interleaves a service's stdout and stderr lines by their timestamps when
// both carry one; otherwise stdout's lines come first. Order within each
// file is kept.
QStringList mergeLines(const QStringList &out, const QStringList &err)
{
    QStringList merged;
    merged.reserve(out.size() + err.size());
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < out.size() && j < err.size()) {
        const QStringView ko = timeKey(out[i]);
        const QStringView ke = timeKey(err[j]);
        if (ko.isEmpty() || ke.isEmpty() || ko <= ke)
            merged << out[i++];
        else
            merged << err[j++];
    }
    while (i < out.size())
        merged << out[i++];
    while (j < err.size())
        merged << err[j++];
    return merged;
}

// The reply to requests answered when something ends, to the clients still there.
void answerDeferred(const QList<QPointer<QLocalSocket>> &waiters, const QJsonObject &reply)
{
    const QByteArray line = QJsonDocument(reply).toJson(QJsonDocument::Compact) + '\n';
    for (const QPointer<QLocalSocket> &socket : waiters) {
        if (socket && socket->state() == QLocalSocket::ConnectedState)
            socket->write(line);
    }
}

QString configLabel(const Fleet *fleet)
{
    return fleet ? fleet->config().path : QString();
}

} // namespace

ControlServer::ControlServer(Fleet *fleet, QObject *parent)
    : QObject(parent)
    , m_fleet(fleet)
    , m_resume(new QTimer(this))
{
    m_resume->setSingleShot(true);
    m_resume->setInterval(kResumeAcceptMs);
    connect(m_resume, &QTimer::timeout, this, [this] {
        if (m_notifier)
            m_notifier->setEnabled(true);
    });
}

ControlServer::~ControlServer()
{
    close();
}

bool ControlServer::isServerAlive(const QString &socketPath)
{
    return localsocket::isListenedOn(socketPath);
}

bool ControlServer::listen(const QString &socketPath, QString *error)
{
    close();
    if (isServerAlive(socketPath)) {
        *error =
            u"another Lifeline is already running for %1 (socket %2)"_s.arg(configLabel(m_fleet), socketPath);
        return false;
    }
    // Nobody answers: a file left there is stale.
    if (QFileInfo::exists(socketPath) || QFileInfo(socketPath).isSymLink()) {
        if (!QFile::remove(socketPath)) {
            *error =
                u"cannot remove the stale control socket %1 (for %2)"_s.arg(socketPath, configLabel(m_fleet));
            return false;
        }
    }
    const char *step = "";
    int err = 0;
    const int fd = localsocket::listenAt(socketPath, &step, &err);
    if (fd < 0) {
        *error = u"cannot listen on the control socket %1 (for %2): %3: %4"_s.arg(
            socketPath, configLabel(m_fleet), QLatin1String(step),
            QString::fromLocal8Bit(std::strerror(err)));
        return false;
    }
    m_listenFd = fd;
    m_notifier = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &ControlServer::onAcceptReady);
    m_spareFd = localsocket::openSpareDescriptor();
    m_starved = false;
    m_refused = 0;
    m_socketPath = socketPath;
    return true;
}

void ControlServer::close()
{
    const QList<QLocalSocket *> sockets = m_buffers.keys();
    m_buffers.clear();
    for (QLocalSocket *s : sockets) {
        s->disconnect(this);
        s->abort();
        s->deleteLater();
    }
    m_resume->stop();
    if (m_notifier) {
        m_notifier->setEnabled(false);
        delete std::exchange(m_notifier, nullptr);
    }
    if (m_listenFd >= 0) {
        localsocket::closeDescriptor(std::exchange(m_listenFd, -1));
        QFile::remove(m_socketPath);
    }
    localsocket::closeDescriptor(std::exchange(m_spareFd, -1));
    m_socketPath.clear();
}

bool ControlServer::isListening() const
{
    return m_listenFd >= 0;
}

void ControlServer::onAcceptReady()
{
    // Bounded, so a flood of clients cannot keep the event loop here; the
    // notifier fires again for the rest.
    for (int i = 0; i < kMaxClients && m_listenFd >= 0; ++i) {
        const localsocket::Accepted accepted = localsocket::acceptClient(m_listenFd);
        switch (accepted.result) {
        case localsocket::Accepted::Result::Client:
            if (m_starved) {
                m_starved = false;
                note(u"control socket %1: accepting connections again (%2 refused meanwhile)"_s
                         .arg(m_socketPath)
                         .arg(std::exchange(m_refused, 0)));
            }
            if (m_buffers.size() >= kMaxClients)
                refuse(accepted.fd,
                       u"Lifeline refused the connection: %1 clients are connected already, the most it "
                       u"serves at once; try again when one has finished"_s.arg(kMaxClients));
            else
                serve(accepted.fd);
            continue;
        case localsocket::Accepted::Result::Retry:
            continue;
        case localsocket::Accepted::Result::Drained:
            return;
        case localsocket::Accepted::Result::OutOfDescriptors: {
            const QString reason = QString::fromLocal8Bit(std::strerror(accepted.error));
            const QString why = u"Lifeline is out of file descriptors (%1) and cannot serve the connection "
                                u"now; try again later"_s.arg(reason);
            if (!m_starved) {
                m_starved = true;
                note(u"control socket %1: out of file descriptors (%2; limit %3, %4 clients connected): "
                     u"refusing connections until some are closed"_s.arg(
                         m_socketPath, reason, openFileLimitText(), QString::number(m_buffers.size())));
            }
            if (refuseWithSpare(why))
                continue;
            pauseAccepting();
            return;
        }
        case localsocket::Accepted::Result::Failed:
            if (!m_starved) {
                m_starved = true;
                note(u"control socket %1: accept failed: %2; trying again every %3 ms"_s.arg(
                    m_socketPath, QString::fromLocal8Bit(std::strerror(accepted.error)),
                    QString::number(kResumeAcceptMs)));
            }
            pauseAccepting();
            return;
        }
    }
}

// Gives up the spare descriptor for one accept(), so a client waiting while
// we have none hears why instead of hanging; false when that did not work.
bool ControlServer::refuseWithSpare(const QString &why)
{
    // Lost when another thread opened something in the moment between our
    // close and reopen below: without taking it back once a descriptor is
    // free, every later client would wait unanswered.
    if (m_spareFd < 0)
        m_spareFd = localsocket::openSpareDescriptor();
    if (m_spareFd < 0)
        return false;
    localsocket::closeDescriptor(std::exchange(m_spareFd, -1));
    const localsocket::Accepted accepted = localsocket::acceptClient(m_listenFd);
    const bool refused = accepted.result == localsocket::Accepted::Result::Client;
    if (refused) {
        refuse(accepted.fd, why);
        ++m_refused;
    }
    m_spareFd = localsocket::openSpareDescriptor();
    return refused && m_spareFd >= 0;
}

// Never closes the listening socket: a level-triggered notifier on a socket
// we cannot accept from would spin, so it rests for kResumeAcceptMs.
void ControlServer::pauseAccepting()
{
    if (m_notifier)
        m_notifier->setEnabled(false);
    m_resume->start();
}

void ControlServer::refuse(int fd, const QString &why)
{
    localsocket::refuseClient(fd, QJsonDocument(errorReply(why)).toJson(QJsonDocument::Compact) + '\n');
}

void ControlServer::note(const QString &text)
{
    qCWarning(lcControl).noquote() << text;
    if (m_fleet && m_fleet->eventLog())
        m_fleet->eventLog()->write(QString(), text);
}

void ControlServer::serve(int fd)
{
    auto *socket = new QLocalSocket(this);
    if (!socket->setSocketDescriptor(fd)) {
        localsocket::closeDescriptor(fd);
        delete socket;
        return;
    }
    m_buffers.insert(socket, QByteArray());
    connect(socket, &QLocalSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
    connect(socket, &QLocalSocket::disconnected, this, [this, socket] {
        m_buffers.remove(socket);
        socket->deleteLater();
    });
    emit clientConnected();
    if (socket->bytesAvailable() > 0)
        onReadyRead(socket);
}

void ControlServer::onReadyRead(QLocalSocket *socket)
{
    while (socket->bytesAvailable() > 0 && socket->state() == QLocalSocket::ConnectedState) {
        auto it = m_buffers.find(socket);
        if (it == m_buffers.end())
            return; // being closed
        // Bounded reads: the 1 MiB line limit is checked between them.
        QByteArray &buffer = it.value();
        buffer += socket->read(64 * 1024);
        QList<QByteArray> lines;
        qsizetype start = 0;
        for (qsizetype nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n', start)) {
            lines << buffer.mid(start, nl - start);
            start = nl + 1;
        }
        buffer.remove(0, start);
        const bool tooLong = buffer.size() > kMaxLineBytes;
        // `buffer` is not touched below: handling a request may change m_buffers.

        for (QByteArray &line : lines) {
            if (line.endsWith('\r'))
                line.chop(1);
            if (line.trimmed().isEmpty())
                continue;
            m_current = socket;
            const QJsonObject reply = handleLine(line);
            m_current = nullptr;
            if (reply.value(u"deferred"_s).toBool())
                continue; // answered later (a recovery run)
            socket->write(QJsonDocument(reply).toJson(QJsonDocument::Compact) + '\n');
        }
        if (tooLong) {
            const QJsonObject reply =
                badRequest(u"request line longer than %1 bytes; closing the connection"_s.arg(kMaxLineBytes));
            socket->write(QJsonDocument(reply).toJson(QJsonDocument::Compact) + '\n');
            m_buffers.remove(socket);
            // Flushes the reply, then closes; no more reading from this client.
            socket->disconnectFromServer();
            return;
        }
        if (socket->bytesToWrite() > kMaxPendingReplyBytes) {
            // A client that asks and never reads would make us buffer forever.
            m_buffers.remove(socket);
            socket->abort();
            return;
        }
    }
}

QJsonObject ControlServer::handleLine(const QByteArray &line)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return badRequest(
            u"not JSON (%1 at offset %2)"_s.arg(parseError.errorString()).arg(parseError.offset));
    if (!doc.isObject())
        return badRequest(u"expected a JSON object like {\"cmd\":\"status\"}"_s);
    return handle(doc.object());
}

QJsonObject ControlServer::handle(const QJsonObject &request)
{
    const QJsonValue cmdValue = request.value(u"cmd"_s);
    if (!cmdValue.isString())
        return badRequest(u"missing \"cmd\" (a string)"_s);
    const QString cmd = cmdValue.toString();
    if (cmd == u"ping"_s) {
        QJsonObject reply = okReply();
        reply.insert(u"config"_s, configLabel(m_fleet));
        reply.insert(u"pid"_s, QCoreApplication::applicationPid());
        reply.insert(u"version"_s, QStringLiteral(LIFELINE_VERSION));
        return reply;
    }
    if (cmd == u"status"_s)
        return cmdStatus();
    if (cmd == u"start"_s || cmd == u"stop"_s || cmd == u"restart"_s)
        return cmdStartStop(cmd, request);
    if (cmd == u"logs"_s)
        return cmdLogs(request);
    if (cmd == u"health"_s)
        return cmdHealth(request);
    if (cmd == u"recover"_s)
        return cmdRecover(request);
    if (cmd == u"report"_s) {
        if (!m_reportBuilder)
            return errorReply(u"the diagnostic report is not available in this Lifeline"_s);
        QJsonObject reply = okReply();
        reply.insert(u"report"_s, m_reportBuilder());
        return reply;
    }
    if (cmd == u"repair"_s)
        return cmdRepair(request);
    if (cmd == u"updates"_s)
        return cmdUpdates();
    if (cmd == u"update"_s)
        return cmdUpdate(request);
    if (cmd == u"crashes"_s || cmd == u"crash"_s)
        return cmdCrashes(cmd, request);
    if (cmd == u"errors"_s)
        return cmdErrors(request);
    if (const auto it = m_commands.constFind(cmd); it != m_commands.cend())
        return (*it)(request);
    QStringList more = m_commands.keys();
    more.sort();
    return badRequest(u"unknown command \"%1\" (known: ping, status, start, stop, restart, logs, health, "
                      u"recover%2)"_s.arg(cmd, more.isEmpty() ? QString() : u", "_s + more.join(u", "_s)));
}

void ControlServer::addCommand(const QString &cmd, std::function<QJsonObject(const QJsonObject &)> handler)
{
    m_commands.insert(cmd, std::move(handler));
}

QJsonObject ControlServer::cmdStatus() const
{
    QJsonObject reply = okReply();
    QJsonObject status = statusJson(*m_fleet);
    if (m_updater) {
        QJsonArray services = status.value(u"services"_s).toArray();
        for (QJsonValueRef v : services) {
            QJsonObject o = v.toObject();
            const UpdateStatus u = m_updater->status(o.value(u"name"_s).toString());
            if (u.enabled) {
                o.insert(u"update"_s, u.toJson());
                v = o;
            }
        }
        status.insert(u"services"_s, services);
    }
    reply.insert(u"status"_s, status);
    return reply;
}

QJsonObject ControlServer::cmdStartStop(const QString &cmd, const QJsonObject &request)
{
    const QJsonValue nameValue = request.value(u"name"_s);
    if (!nameValue.isString() || nameValue.toString().isEmpty())
        return badRequest(u"\"%1\" needs \"name\" (a service name or \"all\")"_s.arg(cmd));
    const QString name = nameValue.toString();
    if (name == u"all"_s) {
        if (cmd != u"stop"_s && m_fleet->isShuttingDown())
            return errorReply(u"%1 all refused: Lifeline is shutting down"_s.arg(cmd));
        if (cmd == u"start"_s)
            m_fleet->startAll();
        else if (cmd == u"stop"_s)
            m_fleet->stopAll();
        else
            m_fleet->restartAll();
        if (cmd == u"restart"_s)
            emit restartRequested(u"all"_s);
        return okReply();
    }
    if (!m_fleet->service(name))
        return errorReply(unknownService(name));
    QString error;
    bool ok = false;
    if (cmd == u"start"_s)
        ok = m_fleet->start(name, &error);
    else if (cmd == u"stop"_s)
        ok = m_fleet->stop(name, &error);
    else
        ok = m_fleet->restart(name, &error);
    if (!ok)
        return errorReply(error.isEmpty() ? u"cannot %1 \"%2\""_s.arg(cmd, name) : error);
    if (cmd == u"restart"_s)
        emit restartRequested(name);
    return okReply();
}

QJsonObject ControlServer::cmdLogs(const QJsonObject &request) const
{
    const QJsonValue nameValue = request.value(u"name"_s);
    if (!nameValue.isString() || nameValue.toString().isEmpty())
        return badRequest(u"\"logs\" needs \"name\" (a service name)"_s);
    const QString name = nameValue.toString();
    const ServiceSupervisor *service = m_fleet->service(name);
    if (!service)
        return errorReply(unknownService(name));

    int lines = kDefaultLogLines;
    if (request.contains(u"lines"_s)) {
        const QJsonValue v = request.value(u"lines"_s);
        if (!v.isDouble() || v.toDouble() < 1)
            return badRequest(u"\"lines\" must be a positive number"_s);
        lines = int(std::min(v.toDouble(), double(kMaxLogLines)));
    }
    const QJsonValue errorsValue = request.value(u"errors"_s);
    if (!errorsValue.isUndefined() && !errorsValue.isBool())
        return badRequest(u"\"errors\" must be true or false"_s);
    const bool errorsOnly = errorsValue.toBool(false);

    const QString outPath = service->logPath();
    const QString errPath = service->errLogPath();
    QStringList result;
    qint64 outCursor = 0;
    qint64 errCursor = 0;
    if (request.contains(u"after"_s)) {
        const QJsonObject after = request.value(u"after"_s).toObject();
        if (!after.value(u"out"_s).isDouble() || !after.value(u"err"_s).isDouble())
            return badRequest(u"\"after\" must be a cursor {\"out\":N,\"err\":N} from an earlier reply"_s);
        const QStringList out = readSince(outPath, after.value(u"out"_s).toInteger(), errorsOnly, &outCursor);
        // Everything a service writes to stderr counts as an error line.
        const QStringList err = readSince(errPath, after.value(u"err"_s).toInteger(), false, &errCursor);
        result = mergeLines(out, err);
    } else {
        // Sizes first: a line written while tailing may show twice, never be lost.
        outCursor = QFileInfo(outPath).size();
        errCursor = QFileInfo(errPath).size();
        result = mergeLines(tailRotated(outPath, lines, errorsOnly), tailRotated(errPath, lines, false));
        if (result.size() > lines)
            result = result.mid(result.size() - lines);
    }

    QJsonObject reply = okReply();
    reply.insert(u"lines"_s, QJsonArray::fromStringList(result));
    reply.insert(u"cursor"_s, QJsonObject{{u"out"_s, outCursor}, {u"err"_s, errCursor}});
    return reply;
}

QJsonObject ControlServer::cmdHealth(const QJsonObject &request) const
{
    const QJsonValue nameValue = request.value(u"name"_s);
    if (!nameValue.isString() || nameValue.toString().isEmpty())
        return badRequest(u"\"health\" needs \"name\" (a service name)"_s);
    const QString name = nameValue.toString();
    const ServiceSupervisor *service = m_fleet->service(name);
    if (!service)
        return errorReply(unknownService(name));
    QJsonObject reply = serviceHealthJson(*m_fleet, *service);
    reply.insert(u"ok"_s, true);
    reply.insert(u"name"_s, name);
    return reply;
}

QJsonObject ControlServer::cmdCrashes(const QString &cmd, const QJsonObject &request) const
{
    const QJsonValue nameValue = request.value(u"name"_s);
    if (!nameValue.isString() || nameValue.toString().isEmpty())
        return badRequest(u"\"%1\" needs \"name\" (a service name)"_s.arg(cmd));
    const QString name = nameValue.toString();
    if (!m_fleet->service(name))
        return errorReply(unknownService(name));
    return crashesReply(m_crashes, name, cmd == u"crash"_s, request.value(u"id"_s));
}

QJsonObject ControlServer::cmdErrors(const QJsonObject &request) const
{
    const QJsonValue nameValue = request.value(u"name"_s);
    if (!nameValue.isString() || nameValue.toString().isEmpty())
        return badRequest(u"\"errors\" needs \"name\" (a service name)"_s);
    const QString name = nameValue.toString();
    if (!m_fleet->service(name))
        return errorReply(unknownService(name));
    if (!m_errors)
        return errorReply(u"error tracking is not running in this Lifeline"_s);
    QJsonObject reply = okReply();
    reply.insert(u"name"_s, name);
    reply.insert(u"signatures"_s, errorSignaturesJson(m_errors->signatures(name)));
    return reply;
}

void ControlServer::setRecovery(Recovery *recovery)
{
    if (m_recovery)
        m_recovery->disconnect(this);
    m_recovery = recovery;
    if (m_recovery)
        connect(m_recovery, &Recovery::finished, this, &ControlServer::onRecoveryFinished);
}

QJsonObject ControlServer::cmdRecover(const QJsonObject &request)
{
    if (!m_recovery)
        return errorReply(u"recovery is not available in this Lifeline"_s);
    if (request.value(u"dry_run"_s).toBool()) {
        const RecoveryPlan plan = m_recovery->plan();
        QJsonObject reply = okReply();
        reply.insert(u"dry_run"_s, true);
        reply.insert(u"plan"_s, plan.toJson());
        reply.insert(u"text"_s, plan.toText());
        return reply;
    }
    RecoveryOptions options;
    options.killForeignPortHolders = request.value(u"yes"_s).toBool();
    QString error;
    if (!m_recovery->start(options, &error))
        return errorReply(error);
    // The reply is the report, sent when the run ends (see onRecoveryFinished).
    m_recoveryWaiters.append(QPointer<QLocalSocket>(m_current));
    return QJsonObject{{u"deferred"_s, true}};
}

void ControlServer::setUpdater(Updater *updater)
{
    if (m_updater)
        m_updater->disconnect(this);
    m_updater = updater;
    if (m_updater)
        connect(m_updater, &Updater::finished, this, &ControlServer::onUpdateFinished);
}

QJsonObject ControlServer::cmdUpdates() const
{
    QJsonArray list;
    if (m_updater) {
        const QStringList names = m_updater->services();
        for (const QString &name : names) {
            const UpdateStatus u = m_updater->status(name);
            QJsonObject o = u.toJson();
            o.insert(u"name"_s, name);
            o.insert(u"text"_s, u.describe());
            list.append(o);
        }
    }
    QJsonObject reply = okReply();
    reply.insert(u"updates"_s, list);
    return reply;
}

QJsonObject ControlServer::cmdUpdate(const QJsonObject &request)
{
    const QJsonValue nameValue = request.value(u"name"_s);
    if (!nameValue.isString() || nameValue.toString().isEmpty())
        return badRequest(u"\"update\" needs \"name\" (a service name)"_s);
    const QString name = nameValue.toString();
    if (!m_updater)
        return errorReply(u"updates are not available in this Lifeline"_s);
    QString error;
    if (!m_updater->apply(name, &error))
        return errorReply(error);
    // The reply is the outcome, sent when the update ends (see onUpdateFinished).
    m_updateWaiters.insert(name, QPointer<QLocalSocket>(m_current));
    return QJsonObject{{u"deferred"_s, true}};
}

void ControlServer::onUpdateFinished(const QString &name, bool ok, const QString &summary,
                                     const QString &reportPath)
{
    const QJsonObject reply{{u"ok"_s, ok},
                            {u"error"_s, ok ? QString() : summary},
                            {u"summary"_s, summary},
                            {u"report_path"_s, reportPath}};
    answerDeferred(m_updateWaiters.values(name), reply);
    m_updateWaiters.remove(name);
}

void ControlServer::onRecoveryFinished(const RecoveryReport &report)
{
    QJsonObject reply;
    reply.insert(u"ok"_s, true);
    reply.insert(u"verified"_s, report.ok);
    reply.insert(u"report"_s, report.toJson());
    reply.insert(u"text"_s, report.toText());
    reply.insert(u"report_path"_s, report.jsonPath);
    answerDeferred(std::exchange(m_recoveryWaiters, {}), reply);
}

void ControlServer::setRepair(Repair *repair)
{
    if (m_repair)
        m_repair->disconnect(this);
    m_repair = repair;
    if (m_repair)
        connect(m_repair, &Repair::finished, this, &ControlServer::onRepairFinished);
}

QJsonObject ControlServer::cmdRepair(const QJsonObject &request)
{
    if (!m_repair)
        return errorReply(u"repair is not available in this Lifeline"_s);
    const QString name = request.value(u"name"_s).toString();
    if (name.isEmpty())
        return badRequest(u"repair needs \"name\""_s);
    QString error;
    if (!m_repair->start(name, &error))
        return errorReply(error);
    // The reply is the report, sent when the repair ends (see onRepairFinished).
    m_repairWaiters[name].append(QPointer<QLocalSocket>(m_current));
    return QJsonObject{{u"deferred"_s, true}};
}

void ControlServer::onRepairFinished(const RepairReport &report)
{
    const QList<QPointer<QLocalSocket>> waiters = m_repairWaiters.take(report.service);
    if (waiters.isEmpty())
        return;
    QString text;
    if (report.droppedLines > 0)
        text += u"[%1 earlier lines of output not kept]\n"_s.arg(report.droppedLines);
    for (const QString &line : report.output)
        text += line + u'\n';
    text += report.message + u'\n';
    if (!report.textPath.isEmpty())
        text += u"report: "_s + report.textPath + u'\n';
    const QJsonObject reply{
        {u"ok"_s, true}, {u"repaired"_s, report.ok}, {u"text"_s, text}, {u"report"_s, report.toJson()}};
    const QByteArray line = QJsonDocument(reply).toJson(QJsonDocument::Compact) + '\n';
    for (const QPointer<QLocalSocket> &socket : waiters) {
        if (socket && socket->state() == QLocalSocket::ConnectedState)
            socket->write(line);
    }
}

} // namespace lifeline
