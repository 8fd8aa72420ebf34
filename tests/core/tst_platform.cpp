// The platform seam itself (docs/platforms.md). Built twice: against the
// Linux implementation, where each call must do what the rest of Lifeline
// relies on (close-on-exec and non-blocking descriptors, a private socket,
// errno names), and against the null one (LIFELINE_PLATFORM_NULL), where each
// must fail plainly instead of pretending.

#include "platform/autostart.h"
#include "platform/errnoname.h"
#include "platform/localsocket.h"
#include "platform/pipe.h"
#include "platform/procfs.h"
#include "platform/rlimit.h"

#include <QFile>
#include <QFileInfo>
#include <QLocalSocket>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace lifeline;

#ifndef LIFELINE_PLATFORM_NULL
namespace {

bool isCloseOnExec(int fd)
{
    return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

bool isNonBlocking(int fd)
{
    return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

} // namespace
#endif

class TestPlatform : public QObject
{
    Q_OBJECT

private slots:
#ifdef LIFELINE_PLATFORM_NULL
    void nullPipeFailsWithEnosys()
    {
        int fds[2] = {-1, -1};
        errno = 0;
        QVERIFY(!openPipe(fds, PipeMode::NonBlocking));
        QCOMPARE(errno, ENOSYS);
        QCOMPARE(fds[0], -1);
    }

    void nullErrnoNameIsTheNumber()
    {
        QCOMPARE(errnoName(EROFS), QString::number(EROFS));
    }

    void nullLocalSocketListensNowhere()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"c.sock"_s);
        QVERIFY(!localsocket::isListenedOn(path));
        const char *step = nullptr;
        int error = 0;
        QCOMPARE(localsocket::listenAt(path, &step, &error), -1);
        QCOMPARE(error, ENOSYS);
        QVERIFY(step && *step);
        QVERIFY(!QFileInfo::exists(path));
        QCOMPARE(localsocket::acceptClient(0).result, localsocket::Accepted::Result::Failed);
        QCOMPARE(localsocket::openSpareDescriptor(), -1);
    }

    void nullKnowsNoProcessAndNoLimit()
    {
        QVERIFY(!ProcFs().process(pid_t(::getpid())));
        QVERIFY(!ProcFs().portHolder(1));
        QVERIFY(!becomeSubreaper());
        QCOMPARE(openPidFd(pid_t(::getpid())), -1);
        QCOMPARE(openFileLimitText(), u"unknown"_s);
        QVERIFY(!Autostart::isSupported());
        QString error;
        QVERIFY(!Autostart::setEnabled(true, u"lifeline"_s, &error));
        QVERIFY(error.contains(u"not supported"_s));
    }
#else
    void pipeEndsAreCloseOnExec()
    {
        int fds[2] = {-1, -1};
        QVERIFY(openPipe(fds, PipeMode::Blocking));
        for (int fd : fds) {
            QVERIFY(isCloseOnExec(fd));
            QVERIFY(!isNonBlocking(fd));
        }
        QCOMPARE(::write(fds[1], "x", 1), ssize_t(1));
        char c = 0;
        QCOMPARE(::read(fds[0], &c, 1), ssize_t(1));
        QCOMPARE(c, 'x');
        ::close(fds[0]);
        ::close(fds[1]);
    }

    void nonBlockingPipeDoesNotWait()
    {
        int fds[2] = {-1, -1};
        QVERIFY(openPipe(fds, PipeMode::NonBlocking));
        for (int fd : fds) {
            QVERIFY(isCloseOnExec(fd));
            QVERIFY(isNonBlocking(fd));
        }
        char c = 0;
        QCOMPARE(::read(fds[0], &c, 1), ssize_t(-1));
        QCOMPARE(errno, EAGAIN);
        ::close(fds[0]);
        ::close(fds[1]);
    }

    void errnoNamesAreSymbolic()
    {
        QCOMPARE(errnoName(EROFS), u"EROFS"_s);
        QCOMPARE(errnoName(ENOSPC), u"ENOSPC"_s);
        QCOMPARE(errnoName(99999), u"99999"_s);
    }

    void openFileLimitIsANumberOrUnlimited()
    {
        static const QRegularExpression shape(u"^([0-9]+|unlimited)$"_s);
        QVERIFY2(shape.match(openFileLimitText()).hasMatch(), qPrintable(openFileLimitText()));
    }

    void localSocketIsPrivateAndServesAClient()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"c.sock"_s);
        QVERIFY(!localsocket::isListenedOn(path));
        const char *step = nullptr;
        int error = 0;
        const int fd = localsocket::listenAt(path, &step, &error);
        QVERIFY2(fd >= 0, step);
        QVERIFY(isCloseOnExec(fd));
        QVERIFY(isNonBlocking(fd));
        const QFile::Permissions others = QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup |
                                          QFile::ReadOther | QFile::WriteOther | QFile::ExeOther;
        QCOMPARE(QFile::permissions(path) & others, QFile::Permissions()); // our user only
        QCOMPARE(localsocket::acceptClient(fd).result, localsocket::Accepted::Result::Drained);
        QVERIFY(localsocket::isListenedOn(path));
        // The probe's own connection waits to be accepted, already closed.
        const localsocket::Accepted probe = localsocket::acceptClient(fd);
        QCOMPARE(probe.result, localsocket::Accepted::Result::Client);
        localsocket::closeDescriptor(probe.fd);

        QLocalSocket client;
        client.connectToServer(path);
        QVERIFY(client.waitForConnected(5000));
        // Connected means queued on the listening socket: accept() has it now.
        const localsocket::Accepted accepted = localsocket::acceptClient(fd);
        QCOMPARE(accepted.result, localsocket::Accepted::Result::Client);
        QVERIFY(isCloseOnExec(accepted.fd));
        QVERIFY(isNonBlocking(accepted.fd));
        localsocket::refuseClient(accepted.fd, "no\n");
        QTRY_VERIFY_WITH_TIMEOUT(client.canReadLine(), 5000);
        QCOMPARE(client.readLine(), QByteArray("no\n"));
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QLocalSocket::UnconnectedState, 5000);

        localsocket::closeDescriptor(fd);
        // The file stays, but nobody answers: what a crash leaves behind.
        QVERIFY(QFileInfo::exists(path));
        QVERIFY(!localsocket::isListenedOn(path));
    }

    void localSocketRefusesWhatItCannotBind()
    {
        QTemporaryDir dir;
        const char *step = nullptr;
        int error = 0;
        QCOMPARE(localsocket::listenAt(dir.filePath(QString(200, u'x')), &step, &error), -1);
        QCOMPARE(QByteArray(step), QByteArray("path"));
        QCOMPARE(error, ENAMETOOLONG);

        const QString taken = dir.filePath(u"taken"_s);
        QFile file(taken);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        QCOMPARE(localsocket::listenAt(taken, &step, &error), -1);
        QCOMPARE(QByteArray(step), QByteArray("bind"));
        QCOMPARE(error, EADDRINUSE);
        QVERIFY(!localsocket::isListenedOn(taken)); // a plain file: ECONNREFUSED
    }

    void spareDescriptorIsCloseOnExec()
    {
        const int fd = localsocket::openSpareDescriptor();
        QVERIFY(fd >= 0);
        QVERIFY(isCloseOnExec(fd));
        localsocket::closeDescriptor(fd);
    }
#endif
};

QTEST_GUILESS_MAIN(TestPlatform)
#include "tst_platform.moc"
