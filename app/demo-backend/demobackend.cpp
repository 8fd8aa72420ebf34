#include "demobackend.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include <signal.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace lifeline::demo {

namespace {

constexpr qsizetype kMaxHeaderBytes = 16 * 1024;
constexpr auto kLeakInterval = 100ms;
constexpr auto kFloodInterval = 10ms;

QByteArray timestamp()
{
    return QDateTime::currentDateTime().toString(Qt::ISODateWithMs).toLatin1();
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

QByteArray toJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// Writes "prefix<number>\n" with async-signal-safe calls only (used after fork()).
void writeNumberLine(int fd, const char *prefix, long number)
{
    char line[64];
    size_t length = std::strlen(prefix);
    std::memcpy(line, prefix, length);
    const auto [end, ec] = std::to_chars(line + length, line + sizeof(line) - 1, number);
    if (ec != std::errc())
        return;
    *end = '\n';
    writeAll(fd, line, static_cast<size_t>(end + 1 - line));
}

} // namespace

bool writeAll(int fd, const char *data, size_t size)
{
    while (size > 0) {
        const ssize_t written = ::write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += written;
        size -= static_cast<size_t>(written);
    }
    return true;
}

struct DemoBackend::Request
{
    QByteArray buffer;
    QElapsedTimer timer; ///< since the request began, for the request log
    bool answered = false;
    bool keepAlive = false; ///< HTTP/1.1 without "Connection: close": the next request may follow
    qsizetype length = 0;   ///< bytes of the buffer this request's head takes
};

DemoBackend::DemoBackend(DemoOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_uptime.start();
    for (QTimer *timer : {&m_readyTimer, &m_crashTimer, &m_hangTimer, &m_unhealthyTimer})
        timer->setSingleShot(true);
    for (QTimer *timer : {&m_readyTimer, &m_crashTimer, &m_hangTimer, &m_unhealthyTimer, &m_floodTimer})
        timer->setTimerType(Qt::PreciseTimer);

    connect(&m_readyTimer, &QTimer::timeout, this, &DemoBackend::listenNow);
    connect(&m_crashTimer, &QTimer::timeout, this, &DemoBackend::crash);
    connect(&m_hangTimer, &QTimer::timeout, this, &DemoBackend::hang);
    connect(&m_unhealthyTimer, &QTimer::timeout, this, [this] {
        m_unhealthy = true;
        logErr("ERROR: health checks failing as asked (database timeout)");
    });
    connect(&m_leakTimer, &QTimer::timeout, this, &DemoBackend::leakTick);
    connect(&m_floodTimer, &QTimer::timeout, this, &DemoBackend::floodTick);
    connect(&m_server, &QTcpServer::newConnection, this, &DemoBackend::onNewConnection);
}

DemoBackend::~DemoBackend() = default;

void DemoBackend::start()
{
    if (m_options.crashAfter)
        m_crashTimer.start(*m_options.crashAfter);
    if (m_options.hangAfter)
        m_hangTimer.start(*m_options.hangAfter);
    if (m_options.unhealthyAfter)
        m_unhealthyTimer.start(*m_options.unhealthyAfter);
    if (m_options.leakMbPerSecond > 0)
        m_leakTimer.start(kLeakInterval);
    if (m_options.floodLinesPerSecond > 0) {
        m_floodClock.start();
        m_floodTimer.start(kFloodInterval);
    }
    if (m_options.readyAfter) {
        logOut(m_options.name.toUtf8() + " starting, ready in " +
               QByteArray::number(static_cast<qint64>(m_options.readyAfter->count())) + "ms");
    }
    // Even without a delay, listen from the event loop: QCoreApplication::exit() on failure only
    // works once exec() runs.
    m_readyTimer.start(m_options.readyAfter.value_or(Duration(0)));
}

void DemoBackend::listenNow()
{
    const QByteArray address = "127.0.0.1:" + QByteArray::number(m_options.port);
    if (!m_server.listen(QHostAddress::LocalHost, m_options.port)) {
        logErr("ERROR: cannot listen on " + address + ": " + m_server.errorString().toUtf8());
        QCoreApplication::exit(2);
        return;
    }
    m_ready = true;
    logOut(m_options.name.toUtf8() + " listening on " + address + " pid " +
           QByteArray::number(QCoreApplication::applicationPid()));
    if (m_options.spawnGrandchild)
        spawnGrandchild();
}

void DemoBackend::onNewConnection()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        if (m_hung)
            continue; // accepted and kept open, never read: the client waits forever
        auto request = std::make_shared<Request>();
        request->timer.start();
        connect(socket, &QTcpSocket::readyRead, this,
                [this, socket, request] { onReadyRead(socket, *request); });
    }
}

void DemoBackend::onReadyRead(QTcpSocket *socket, Request &request)
{
    if (m_hung || request.answered)
        return;
    if (request.buffer.isEmpty())
        request.timer.start(); // a kept connection waits between requests: not part of any
    request.buffer += socket->readAll();
    qsizetype headerEnd = request.buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0)
        headerEnd = request.buffer.indexOf("\n\n");
    if (headerEnd < 0) {
        if (request.buffer.size() > kMaxHeaderBytes)
            reply(socket, request, "-", "-", {431, toJson({{u"error"_s, u"request header too large"_s}})});
        return;
    }
    const qsizetype lineEnd = request.buffer.indexOf('\n');
    const QList<QByteArray> parts = request.buffer.left(lineEnd).trimmed().split(' ');
    if (parts.size() != 3 || !parts.at(2).startsWith("HTTP/1.")) {
        reply(socket, request, "-", "-", {400, toJson({{u"error"_s, u"malformed request line"_s}})});
        return;
    }
    // HTTP/1.1 keeps the connection by default, as a real server does: a
    // health checker need not connect once per check.
    const QByteArray head = request.buffer.left(headerEnd).toLower();
    request.keepAlive = parts.at(2) == "HTTP/1.1" && !head.contains("\nconnection: close");
    request.length = headerEnd + (request.buffer.mid(headerEnd, 4) == "\r\n\r\n" ? 4 : 2);
    const QByteArray &method = parts.at(0);
    const QByteArray &target = parts.at(1);
    const qsizetype query = target.indexOf('?');
    const QByteArray path = query < 0 ? target : target.left(query);
    if (method != "GET" && method != "HEAD") {
        request.keepAlive = false; // its body, unread, is no next request
        reply(socket, request, method, path, {405, toJson({{u"error"_s, u"method not allowed"_s}})});
        return;
    }
    reply(socket, request, method, path, route(path));
}

void DemoBackend::reply(QTcpSocket *socket, Request &request, const QByteArray &method,
                        const QByteArray &path, const Response &response)
{
    request.answered = true;
    QByteArray head =
        "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(response.body.size()) +
        "\r\nConnection: " + (request.keepAlive ? "keep-alive" : "close") + "\r\n";
    if (response.status == 405)
        head += "Allow: GET, HEAD\r\n";
    head += "\r\n";
    socket->write(head);
    if (method != "HEAD")
        socket->write(response.body);
    if (!request.keepAlive)
        socket->disconnectFromHost();

    const double ms = static_cast<double>(request.timer.nsecsElapsed()) / 1e6;
    logOut(method + ' ' + path + ' ' + QByteArray::number(response.status) + ' ' +
           QByteArray::number(ms, 'f', 1) + "ms");
    if (!request.keepAlive)
        return;
    // Ready for the next request on this connection (one sent already is read at once).
    request.buffer.remove(0, request.length);
    request.answered = false;
    request.keepAlive = false;
    request.length = 0;
    request.timer.start();
    if (!request.buffer.isEmpty())
        onReadyRead(socket, request);
}

DemoBackend::Response DemoBackend::route(const QByteArray &path)
{
    if (path == "/health" || path == "/health/")
        return healthResponse(false);
    if (path == "/health/detailed")
        return healthResponse(true);
    if (path == "/health/live") {
        QJsonObject live{{u"status"_s, u"alive"_s},
                         {u"name"_s, m_options.name},
                         {u"pid"_s, QCoreApplication::applicationPid()}};
        return {200, toJson(live)};
    }
    if (path == "/health/ready") {
        QJsonObject ready{{u"status"_s, m_ready ? u"ready"_s : u"starting"_s},
                          {u"name"_s, m_options.name},
                          {u"pid"_s, QCoreApplication::applicationPid()}};
        return {m_ready ? 200 : 503, toJson(ready)};
    }
    if (path.startsWith("/health/"))
        return healthResponse(false);
    QJsonObject notFound{{u"error"_s, u"not found"_s}, {u"path"_s, QString::fromUtf8(path)}};
    return {404, toJson(notFound)};
}

DemoBackend::Response DemoBackend::healthResponse(bool detailed)
{
    const double uptime = std::round(static_cast<double>(m_uptime.elapsed()) / 10.0) / 100.0;
    QJsonObject object{{u"status"_s, m_unhealthy ? u"unhealthy"_s : u"healthy"_s},
                       {u"name"_s, m_options.name},
                       {u"pid"_s, QCoreApplication::applicationPid()},
                       {u"uptime_s"_s, uptime}};
    if (detailed) {
        auto rounded = [](double value) { return std::round(value * 10.0) / 10.0; };
        object.insert(u"system"_s, QJsonObject{{u"cpu_percent"_s, rounded(m_stats.cpuPercent())},
                                               {u"memory_percent"_s, rounded(SystemStats::memoryPercent())},
                                               {u"disk_percent"_s, rounded(SystemStats::diskPercent())}});
        object.insert(u"health_checks"_s, QJsonObject{{u"database"_s, m_unhealthy ? u"timeout"_s : u"ok"_s},
                                                      {u"disk"_s, u"ok"_s}});
    }
    if (m_options.healthBodySize > 0) {
        // A backend that puts everything it knows into /health: many small
        // checks, as a real report of that size would be.
        if (m_bulkChecks.isEmpty()) {
            qint64 size = toJson(object).size() + 12;
            for (int i = 0; size < m_options.healthBodySize; ++i) {
                const QJsonObject check{{u"name"_s, u"check-%1"_s.arg(i, 6, 10, QLatin1Char('0'))},
                                        {u"status"_s, u"ok"_s},
                                        {u"latency_ms"_s, i % 97}};
                size += toJson(check).size() + 1;
                m_bulkChecks.append(check);
            }
        }
        object.insert(u"checks"_s, m_bulkChecks);
    }
    return {m_unhealthy ? 503 : 200, toJson(object)};
}

void DemoBackend::hang()
{
    logErr("ERROR: hanging as asked (no more answers)");
    m_hung = true;
    for (QTimer *timer : {&m_readyTimer, &m_crashTimer, &m_unhealthyTimer, &m_leakTimer, &m_floodTimer})
        timer->stop();
}

void DemoBackend::crash()
{
    logErr("ERROR: crashing as asked (exit code " + QByteArray::number(m_options.exitCode) + ")");
    QCoreApplication::exit(m_options.exitCode);
}

void DemoBackend::leakTick()
{
    const auto perTick = static_cast<size_t>(std::llround(
        m_options.leakMbPerSecond * 1024.0 * 1024.0 * std::chrono::duration<double>(kLeakInterval).count()));
    if (perTick == 0)
        return;
    auto block = std::make_unique_for_overwrite<char[]>(perTick);
    // Touch every byte so the pages become resident (RSS), not just reserved.
    std::memset(block.get(), 0x5a, perTick);
    m_leaked.push_back(std::move(block));
}

void DemoBackend::floodTick()
{
    const double rate = m_options.floodLinesPerSecond;
    const auto due = static_cast<quint64>(rate * static_cast<double>(m_floodClock.nsecsElapsed()) / 1e9);
    if (due <= m_floodLines)
        return;
    // After a stall (stdout blocked, machine busy) do not try to catch up more than one second.
    const quint64 maxBurst = static_cast<quint64>(m_options.floodLinesPerSecond);
    if (due - m_floodLines > maxBurst)
        m_floodLines = due - maxBurst;

    const QByteArray prefix = timestamp() + ' ' + m_options.name.toUtf8() + " flood line ";
    static constexpr char suffix[] = " lorem ipsum dolor sit amet\n";
    m_floodBuffer.clear();
    for (; m_floodLines < due; ++m_floodLines) {
        m_floodBuffer.append(prefix.constData(), static_cast<size_t>(prefix.size()));
        char digits[24];
        const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), m_floodLines + 1);
        Q_UNUSED(ec);
        m_floodBuffer.append(digits, end);
        m_floodBuffer.append(suffix, sizeof(suffix) - 1);
    }
    writeAll(STDOUT_FILENO, m_floodBuffer.data(), m_floodBuffer.size());
}

void DemoBackend::spawnGrandchild()
{
    const pid_t child = ::fork();
    if (child < 0) {
        logErr("ERROR: cannot fork the grandchild: " + QByteArray(std::strerror(errno)));
        return;
    }
    if (child > 0)
        return;
    // In the child of a (possibly multi-threaded) Qt process: async-signal-safe calls only.
    // Leave the process group and session, keep the inherited listening socket (like a worker of
    // a pre-forking server) and wait for a signal; the TERM/INT disposition is inherited.
    ::setsid();
    writeNumberLine(STDOUT_FILENO, "grandchild PID ", static_cast<long>(::getpid()));
    for (;;)
        ::pause();
}

void DemoBackend::logOut(const QByteArray &line)
{
    const QByteArray full = timestamp() + ' ' + line + '\n';
    writeAll(STDOUT_FILENO, full.constData(), static_cast<size_t>(full.size()));
}

void DemoBackend::logErr(const QByteArray &line)
{
    const QByteArray full = timestamp() + ' ' + line + '\n';
    writeAll(STDERR_FILENO, full.constData(), static_cast<size_t>(full.size()));
}

} // namespace lifeline::demo
