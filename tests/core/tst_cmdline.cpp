// `lifeline --version` and `lifeline --help` answer anywhere, like
// `lifelinectl --version`: no display, no platform plugin chosen, exit 0.
#include <QProcess>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;

class TestCmdline : public QObject
{
    Q_OBJECT

private:
    // The desktop binary as a login shell over ssh runs it: no display at all.
    static QProcess *runWithoutDisplay(const QStringList &args)
    {
        auto *p = new QProcess;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const QString &var : {u"QT_QPA_PLATFORM"_s, u"DISPLAY"_s, u"WAYLAND_DISPLAY"_s})
            env.remove(var);
        p->setProcessEnvironment(env);
        p->start(QStringLiteral(LIFELINE_BIN), args);
        return p;
    }

private slots:
    void answersWithoutADisplay_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        QTest::newRow("--version") << QStringList{u"--version"_s}
                                   << QStringLiteral("lifeline " LIFELINE_VERSION);
        QTest::newRow("-v") << QStringList{u"-v"_s} << QStringLiteral("lifeline " LIFELINE_VERSION);
        QTest::newRow("--help") << QStringList{u"--help"_s} << u"--minimized"_s;
        QTest::newRow("-h after options")
            << QStringList{u"--config"_s, u"/nonexistent.toml"_s, u"-h"_s} << u"--config <FILE>"_s;
    }

    void answersWithoutADisplay()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        std::unique_ptr<QProcess> p(runWithoutDisplay(args));
        QVERIFY(p->waitForFinished(20000));
        const QString out = QString::fromUtf8(p->readAllStandardOutput());
        QCOMPARE(p->exitStatus(), QProcess::NormalExit);
        QVERIFY2(p->exitCode() == 0, qPrintable(QString::fromUtf8(p->readAllStandardError())));
        QVERIFY2(out.contains(expected), qPrintable(out));
    }
};

QTEST_GUILESS_MAIN(TestCmdline)
#include "tst_cmdline.moc"
