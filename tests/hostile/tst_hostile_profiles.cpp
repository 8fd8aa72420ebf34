// [profile.*] written by a broken generator or by someone hostile: far too
// many profiles, values of the wrong shape. Each is a clear error at its
// FILE:LINE:COL, never a load that holds the engine's thread.
#include "config/configloader.h"

#include <QtTest>

using namespace Qt::StringLiterals;
using namespace lifeline;

class TestHostileProfiles : public QObject
{
    Q_OBJECT

    static QByteArray base()
    {
        QByteArray toml = "[settings]\nstate_dir = \"/tmp/lifeline-hostile-profiles\"\n";
        for (int i = 0; i < 200; ++i)
            toml += "[[service]]\nname = \"s" + QByteArray::number(i) + "\"\ncommand = \"sleep 1\"\n";
        return toml;
    }

private slots:
    void thousandsOfProfilesAreRefusedAtOnce()
    {
        QByteArray toml = base();
        for (int i = 0; i < 5000; ++i)
            toml += "[profile.p" + QByteArray::number(i) + ".s0]\nenv = { A = \"1\" }\n";
        QElapsedTimer timer;
        timer.start();
        const LoadResult r = ConfigLoader::loadString(toml, u"/tmp/many.toml"_s);
        QVERIFY(!r.ok());
        QCOMPARE(r.errors.size(), 1);
        QVERIFY2(r.errors.constFirst().toString().contains(
                     u"error: profile: 5000 profiles; at most 64 are supported"_s),
                 qPrintable(r.errors.constFirst().toString()));
        // Not one load per profile: far below what 5000 loads of this file take.
        QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    }

    void theMostProfilesAllowedStillLoad()
    {
        QByteArray toml = base();
        for (int i = 0; i < 64; ++i)
            toml += "[profile.p" + QByteArray::number(i) + ".s" + QByteArray::number(i) +
                    "]\nenv = { P = \"" + QByteArray::number(i) + "\" }\n";
        const LoadResult r = ConfigLoader::loadString(toml, u"/tmp/many.toml"_s);
        QVERIFY(r.ok());
        QCOMPARE(r.config->profileNames().size(), 64);
        Config config = *r.config;
        QVERIFY(config.selectProfile(u"p63"_s));
        QCOMPARE(config.service(u"s63"_s)->env.value(u"P"_s), u"63"_s);
    }

    void wrongShapes_data()
    {
        QTest::addColumn<QByteArray>("toml");
        QTest::addColumn<QString>("expected");
        QTest::newRow("profile is a string")
            << QByteArray("profile = \"prod\"\n") << u"error: profile: expected a table, got a string"_s;
        QTest::newRow("service entry is an array")
            << QByteArray("[profile.prod]\ns0 = [1, 2]\n")
            << u"error: profile \"prod\", service \"s0\": expected a table of the service's keys, got an array"_s;
        QTest::newRow("env is an integer")
            << QByteArray("[profile.prod.s0]\nenv = 3\n")
            << u"error: profile \"prod\", service \"s0\": env: expected a table, got an integer"_s;
        QTest::newRow("health without a table")
            << QByteArray("[profile.prod.s0]\nhealth = \"yes\"\n")
            << u"error: profile \"prod\", service \"s0\": health: expected a table, got a string"_s;
        QTest::newRow("empty name") << QByteArray("[profile.\"\".s0]\nenv = { A = \"1\" }\n")
                                    << u"error: profile \"\": invalid profile name"_s;
    }

    void wrongShapes()
    {
        QFETCH(QByteArray, toml);
        QFETCH(QString, expected);
        const LoadResult r = ConfigLoader::loadString(toml + base(), u"/tmp/shapes.toml"_s);
        QVERIFY(!r.ok());
        QStringList all;
        for (const Diagnostic &d : r.errors)
            all << d.toString();
        QVERIFY2(all.join(u'\n').contains(expected), qPrintable(all.join(u'\n')));
        QVERIFY2(all.constFirst().startsWith(u"/tmp/shapes.toml:1:"_s) ||
                     all.constFirst().startsWith(u"/tmp/shapes.toml:2:"_s),
                 qPrintable(all.constFirst()));
    }
};

QTEST_GUILESS_MAIN(TestHostileProfiles)
#include "tst_hostile_profiles.moc"
