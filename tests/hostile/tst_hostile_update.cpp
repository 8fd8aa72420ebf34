// Git updates on a bad day: a state file that is a FIFO (open() would block
// the engine) and a repository that is not one.
// Each gets a message naming the service and the cause; the engine keeps
// answering.
#include "config/configloader.h"
#include "engine/engine.h"
#include "logs/eventlog.h"
#include "supervise/fleet.h"
#include "testsupport.h"
#include "update/updater.h"

#include "gitfixture.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestHostileUpdate : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    Config config(const QString &base, const QString &cwd)
    {
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + base.toUtf8() +
            "/state\"\n[[service]]\nname = \"api\"\ncommand = [\"sleep\", \"60\"]\ncwd = \"" + cwd.toUtf8() +
            "\"\nautostart = false\n[service.update]\n";
        const LoadResult r = ConfigLoader::loadString(toml, base + u"/lifeline.toml"_s);
        return r.ok() ? *r.config : Config{};
    }

    static QString eventLog(const QString &base)
    {
        QFile f(base + u"/state/lifeline.log"_s);
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }

private slots:
    void stateFileIsAFifo()
    {
        const QString base = m_dir.filePath(u"fifo"_s);
        GitFixture git;
        QVERIFY(QDir().mkpath(base + u"/state/update"_s));
        QVERIFY(git.create(base));
        QCOMPARE(::mkfifo(QFile::encodeName(base + u"/state/update/api.state.json"_s).constData(), 0600), 0);
        TestEngine engine(config(base, git.app)); // returns: open() was never tried on the FIFO
        Updater *u = engine.engine().updater();
        QTRY_VERIFY_WITH_TIMEOUT(u->status(u"api"_s).checkedAtMs > 0 && !u->status(u"api"_s).isBusy(),
                                 20'000);
        QCOMPARE(u->status(u"api"_s).checkError, QString());
        QVERIFY2(eventLog(base).contains(u"api.state.json not read (not a regular file)"_s),
                 qPrintable(eventLog(base)));
    }

    void repositoryIsNotOne()
    {
        const QString base = m_dir.filePath(u"norepo"_s);
        QVERIFY(QDir().mkpath(base + u"/plain"_s));
        TestEngine engine(config(base, base + u"/plain"_s));
        Updater *u = engine.engine().updater();
        QTRY_VERIFY_WITH_TIMEOUT(!u->status(u"api"_s).checkError.isEmpty(), 20'000);
        QVERIFY2(u->status(u"api"_s).checkError.contains(u"not a git repository"_s),
                 qPrintable(u->status(u"api"_s).checkError));
        QString error;
        QSignalSpy finished(u, &Updater::finished);
        QVERIFY(u->apply(u"api"_s, &error));
        QVERIFY(finished.wait(20'000));
        QVERIFY(!finished[0][1].toBool());
        QVERIFY(finished[0][2].toString().contains(u"not a git repository"_s));
        // Said once in the event log, not at every check.
        QCOMPARE(eventLog(base).count(u"update check failed"_s), 1);
    }
};

QTEST_GUILESS_MAIN(TestHostileUpdate)
#include "tst_hostile_update.moc"
