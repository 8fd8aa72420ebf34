// Git updates from a terminal: `lifelinectl updates`, `update NAME` and the
// "update" key of `status --json`, against a live engine's control socket.
#include "config/configloader.h"
#include "engine/engine.h"
#include "testsupport.h"
#include "update/updater.h"

#include "gitfixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestUpdateControl : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    // lifelinectl run while this thread's event loop serves the engine it talks to.
    static CtlRun ctl(const QStringList &args)
    {
        QProcess p;
        QSignalSpy done(&p, &QProcess::finished);
        p.start(QStringLiteral(LIFELINE_CTL), args);
        CtlRun r;
        r.finished = done.wait(60'000);
        if (!r.finished) {
            p.kill();
            p.waitForFinished(5'000);
            return r;
        }
        r.exitCode = p.exitCode();
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

private slots:
    void updatesAndUpdateFromLifelinectl()
    {
        GitFixture git;
        QVERIFY(git.create(m_dir.path()));
        const QByteArray toml = git.idleServiceToml();
        const LoadResult loaded = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        QVERIFY(loaded.ok());
        Engine engine(*loaded.config, {.liveReload = false});
        const QString socket = m_dir.filePath(u"ctl.sock"_s);
        QVERIFY(engine.initialize(socket));
        Updater *u = engine.updater();
        QTRY_VERIFY_WITH_TIMEOUT(u->status(u"api"_s).checkedAtMs > 0 && !u->status(u"api"_s).isBusy(),
                                 20'000);
        QVERIFY(git.push(u"first fix"_s));
        QVERIFY(git.push(u"second fix"_s));
        const qint64 before = u->status(u"api"_s).checkedAtMs;
        QVERIFY(u->check(u"api"_s));
        QTRY_VERIFY_WITH_TIMEOUT(u->status(u"api"_s).checkedAtMs != before && !u->status(u"api"_s).isBusy(),
                                 20'000);

        CtlRun r = ctl({u"--socket"_s, socket, u"updates"_s});
        QVERIFY(r.finished);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(u"api: 2 commit(s) behind origin/main"_s), qPrintable(r.out));
        QVERIFY(r.out.contains(u" second fix"_s));

        r = ctl({u"--socket"_s, socket, u"status"_s, u"--json"_s});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject service =
            QJsonDocument::fromJson(r.out.toUtf8()).object().value(u"services"_s).toArray().at(0).toObject();
        QCOMPARE(service.value(u"name"_s).toString(), u"api"_s);
        QCOMPARE(service.value(u"state"_s).toString(), u"stopped"_s); // the contract's keys stay
        QCOMPARE(service.value(u"update"_s).toObject().value(u"behind"_s).toInt(), 2);
        QCOMPARE(service.value(u"update"_s).toObject().value(u"subjects"_s).toArray().size(), 2);

        r = ctl({u"--socket"_s, socket, u"update"_s, u"api"_s});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith(u"api: updated to %1"_s.arg(git.originHead().left(7))), qPrintable(r.out));
        QCOMPARE(git.head(git.app), git.originHead());

        r = ctl({u"--socket"_s, socket, u"update"_s, u"nosuch"_s});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(u"unknown service \"nosuch\""_s), qPrintable(r.err));

        r = ctl({u"--socket"_s, m_dir.filePath(u"nobody.sock"_s), u"updates"_s});
        QCOMPARE(r.exitCode, 3);
    }
};

QTEST_GUILESS_MAIN(TestUpdateControl)
#include "tst_updatecontrol.moc"
