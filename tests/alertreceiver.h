// A real HTTP receiver on 127.0.0.1 for webhook tests: records each request
// (method, path, headers, body) and answers as told, or misbehaves.
#pragma once

#include <QHash>
#include <QList>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

struct ReceivedRequest
{
    QByteArray method;
    QByteArray path;
    QHash<QByteArray, QByteArray> headers; // names lower case
    QByteArray body;
};

class AlertReceiver : public QObject
{
public:
    enum class Mode
    {
        Answer,   // "HTTP/1.1 <status>" with an empty body
        Silent,   // read the request, never answer
        Huge,     // 200 with a 10 MB body
        Trickle,  // the status line one byte a second
        Reset,    // close the connection at once
        FailOnce, // 500 the first time, then 200
    };

    explicit AlertReceiver(Mode mode = Mode::Answer, int status = 200)
        : m_mode(mode)
        , m_status(status)
    {
        m_server.listen(QHostAddress::LocalHost);
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                s->setParent(this);
                QObject::connect(s, &QTcpSocket::readyRead, this, [this, s] { onRead(s); });
            }
        });
    }

    QString url(const QString &path = QStringLiteral("/hook")) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(path);
    }
    QList<ReceivedRequest> requests;
    int connections = 0;

private:
    void onRead(QTcpSocket *s)
    {
        QByteArray &buf = m_buffers[s];
        buf += s->readAll();
        const qsizetype end = buf.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        ReceivedRequest r;
        const QList<QByteArray> lines = buf.left(end).split('\n');
        const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
        r.method = first.value(0);
        r.path = first.value(1);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon > 0)
                r.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
        }
        const qsizetype length = r.headers.value("content-length").toLongLong();
        if (buf.size() < end + 4 + length)
            return;
        r.body = buf.mid(end + 4, length);
        buf.remove(0, end + 4 + length);
        requests.append(r);
        ++connections;
        answer(s);
    }

    void answer(QTcpSocket *s)
    {
        switch (m_mode) {
        case Mode::Answer:
            s->write("HTTP/1.1 " + QByteArray::number(m_status) + " X\r\nContent-Length: 0\r\n\r\n");
            break;
        case Mode::FailOnce:
            s->write(requests.size() == 1 ? "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"
                                          : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            break;
        case Mode::Silent:
            break;
        case Mode::Huge: {
            s->write("HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n");
            s->write(QByteArray(10 * 1024 * 1024, 'x'));
            break;
        }
        case Mode::Trickle: {
            auto *timer = new QTimer(s);
            auto *pos = new int(0);
            QObject::connect(timer, &QTimer::timeout, s, [s, pos, timer] {
                static const QByteArray answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
                if (*pos >= answer.size()) {
                    timer->stop();
                    delete pos;
                    return;
                }
                s->write(answer.mid((*pos)++, 1));
            });
            timer->start(1000);
            break;
        }
        case Mode::Reset:
            s->abort();
            break;
        }
    }

    Mode m_mode;
    int m_status;
    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};
