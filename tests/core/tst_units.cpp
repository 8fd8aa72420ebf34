// The shared units: durations, sizes and signal names, read (configuration,
// service editor, lifelinectl) and written (diagnostics, reasons, status).
// Each formatter's output reads back through its parser.

#include "util/units.h"

#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace lifeline;

class TestUnits : public QObject
{
    Q_OBJECT

private slots:
    void durations_data();
    void durations();
    void formatDurationRoundTrip_data();
    void formatDurationRoundTrip();
    void coarseDurations_data();
    void coarseDurations();
    void sizes_data();
    void sizes();
    void formatSizes_data();
    void formatSizes();
    void sizesInWrittenUnit_data();
    void sizesInWrittenUnit();
    void formattedSizesReadBack_data();
    void formattedSizesReadBack();
    void stopSignals_data();
    void stopSignals();
    void signalNames_data();
    void signalNames();
};

void TestUnits::durations_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("ms"); // -1 = rejected
    QTest::addColumn<QString>("why");

    QTest::newRow("ms") << u"500ms"_s << qint64(500) << QString();
    QTest::newRow("s") << u"3s"_s << qint64(3000) << QString();
    QTest::newRow("m") << u"5m"_s << qint64(300'000) << QString();
    QTest::newRow("h") << u"1h"_s << qint64(3'600'000) << QString();
    QTest::newRow("d") << u"1d"_s << qint64(86'400'000) << QString();
    QTest::newRow("combined") << u"1m30s"_s << qint64(90'000) << QString();
    QTest::newRow("all units") << u"1d2h3m4s5ms"_s << qint64(93'784'005) << QString();
    QTest::newRow("zero") << u"0"_s << qint64(0) << QString();
    QTest::newRow("zero with unit") << u"0s"_s << qint64(0) << QString();
    QTest::newRow("outer blanks") << u" 2s "_s << qint64(2000) << QString();
    QTest::newRow("24 days") << u"24d"_s << qint64(2'073'600'000) << QString();

    QTest::newRow("empty") << QString() << qint64(-1) << u"empty duration"_s;
    QTest::newRow("negative") << u"-3s"_s << qint64(-1) << u"negative"_s;
    QTest::newRow("bare number") << u"30"_s << qint64(-1) << u"has no unit"_s;
    QTest::newRow("unknown unit") << u"3x"_s << qint64(-1)
                                  << u"is not a duration (use e.g. 500ms, 3s, 5m, 1h)"_s;
    QTest::newRow("upper case") << u"3S"_s << qint64(-1) << u"is not a duration"_s;
    QTest::newRow("words") << u"3 seconds"_s << qint64(-1) << u"\"3 seconds\" is not a duration"_s;
    QTest::newRow("fraction") << u"1.5s"_s << qint64(-1) << u"is not a duration"_s;
    QTest::newRow("wrong order") << u"30s1m"_s << qint64(-1) << u"is not a duration"_s;
    QTest::newRow("repeated unit") << u"1s1s"_s << qint64(-1) << u"is not a duration"_s;
    QTest::newRow("trailing number") << u"1m30"_s << qint64(-1) << u"has no unit"_s;
    QTest::newRow("overflow") << u"99999999999999999999999h"_s << qint64(-1) << u"too long"_s;
    QTest::newRow("beyond timer range") << u"25d"_s << qint64(-1) << u"too long"_s;
}

void TestUnits::durations()
{
    QFETCH(QString, text);
    QFETCH(qint64, ms);
    QFETCH(QString, why);
    QString error;
    const std::optional<Millis> d = parseDuration(text, &error);
    if (ms < 0) {
        QVERIFY(!d.has_value());
        QVERIFY2(error.contains(why), qPrintable(error));
    } else {
        QVERIFY2(d.has_value(), qPrintable(error));
        QCOMPARE(d->count(), ms);
    }
}

void TestUnits::formatDurationRoundTrip_data()
{
    QTest::addColumn<qint64>("ms");
    QTest::addColumn<QString>("text");
    QTest::newRow("0") << qint64(0) << u"0s"_s;
    QTest::newRow("500") << qint64(500) << u"500ms"_s;
    QTest::newRow("1500") << qint64(1500) << u"1s500ms"_s;
    QTest::newRow("90000") << qint64(90'000) << u"1m30s"_s;
    QTest::newRow("1h") << qint64(3'600'000) << u"1h"_s;
    QTest::newRow("1d1ms") << qint64(86'400'001) << u"1d1ms"_s;
    // A health probe's timeout reads like the configuration it came from.
    QTest::newRow("probe timeout 300ms") << qint64(300) << u"300ms"_s;
    QTest::newRow("probe timeout 5s") << qint64(5'000) << u"5s"_s;
    QTest::newRow("probe timeout 2.5s") << qint64(2'500) << u"2s500ms"_s;
}

void TestUnits::formatDurationRoundTrip()
{
    QFETCH(qint64, ms);
    QFETCH(QString, text);
    QCOMPARE(formatDuration(Millis(ms)), text);
    QCOMPARE(parseDuration(text), std::optional<Millis>(Millis(ms)));
}

void TestUnits::coarseDurations_data()
{
    QTest::addColumn<qint64>("ms");
    QTest::addColumn<QString>("text");
    // The UPTIME column of `lifelinectl status` and the window: two units,
    // the second zero-padded, whole seconds.
    QTest::newRow("negative") << qint64(-5'000) << u"0s"_s;
    QTest::newRow("0") << qint64(0) << u"0s"_s;
    QTest::newRow("under a second") << qint64(999) << u"0s"_s;
    QTest::newRow("45s") << qint64(45'900) << u"45s"_s;
    QTest::newRow("5m03s") << qint64(303'000) << u"5m03s"_s;
    QTest::newRow("1m00s") << qint64(60'000) << u"1m00s"_s;
    QTest::newRow("3h12m") << qint64((3 * 3600 + 12 * 60 + 59) * 1000LL) << u"3h12m"_s;
    QTest::newRow("2d04h") << qint64((2 * 86400 + 4 * 3600 + 3599) * 1000LL) << u"2d04h"_s;
}

void TestUnits::coarseDurations()
{
    QFETCH(qint64, ms);
    QFETCH(QString, text);
    QCOMPARE(formatDuration(Millis(ms), DurationStyle::Coarse), text);
    if (ms % 1000 == 0)
        QCOMPARE(formatUptime(ms / 1000), text);
}

void TestUnits::sizes_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("bytes"); // -1 = rejected

    QTest::newRow("plain") << u"4096"_s << qint64(4096);
    QTest::newRow("B") << u"12B"_s << qint64(12);
    QTest::newRow("KB") << u"512KB"_s << qint64(512'000);
    QTest::newRow("MB") << u"500MB"_s << qint64(500'000'000);
    QTest::newRow("GB") << u"1GB"_s << qint64(1'000'000'000);
    QTest::newRow("KiB") << u"1KiB"_s << qint64(1024);
    QTest::newRow("MiB") << u"10MiB"_s << qint64(10 * 1024 * 1024);
    QTest::newRow("GiB") << u"2GiB"_s << qint64(2LL * 1024 * 1024 * 1024);
    QTest::newRow("no B") << u"500M"_s << qint64(500'000'000);
    QTest::newRow("lower case") << u"10mb"_s << qint64(10'000'000);
    QTest::newRow("space") << u"500 MB"_s << qint64(500'000'000);
    QTest::newRow("fraction") << u"1.5GB"_s << qint64(1'500'000'000);
    QTest::newRow("zero") << u"0"_s << qint64(0);

    QTest::newRow("empty") << QString() << qint64(-1);
    QTest::newRow("negative") << u"-1MB"_s << qint64(-1);
    QTest::newRow("unit only") << u"MB"_s << qint64(-1);
    QTest::newRow("unknown unit") << u"5XB"_s << qint64(-1);
    QTest::newRow("words") << u"500 megs"_s << qint64(-1);
    QTest::newRow("dot only") << u"5.MB"_s << qint64(-1);
    QTest::newRow("overflow") << u"99999999999999999999GB"_s << qint64(-1);
    QTest::newRow("too large") << u"9000000000GB"_s << qint64(-1);
}

void TestUnits::sizes()
{
    QFETCH(QString, text);
    QFETCH(qint64, bytes);
    QString error;
    const std::optional<qint64> s = parseSize(text, &error);
    if (bytes < 0) {
        QVERIFY(!s.has_value());
        QVERIFY(!error.isEmpty());
        if (!text.isEmpty())
            QVERIFY2(error.contains(text), qPrintable(error));
    } else {
        QVERIFY2(s.has_value(), qPrintable(error));
        QCOMPARE(*s, bytes);
    }
}

void TestUnits::formatSizes_data()
{
    QTest::addColumn<qint64>("bytes");
    QTest::addColumn<QString>("text");
    QTest::newRow("0") << qint64(0) << u"0 B"_s;
    QTest::newRow("999") << qint64(999) << u"999 B"_s;
    QTest::newRow("1500") << qint64(1500) << u"1.5 KB"_s;
    QTest::newRow("header example") << qint64(500'000'000) << u"500 MB"_s;
    QTest::newRow("612 MB") << qint64(612'300'000) << u"612.3 MB"_s;
    QTest::newRow("1GiB") << qint64(1024LL * 1024 * 1024) << u"1.1 GB"_s;
    // The status table's RSS and the memory limit reason use the same words.
    QTest::newRow("1000") << qint64(1000) << u"1 KB"_s;
    QTest::newRow("rounds up to the next unit") << qint64(999'960) << u"1 MB"_s;
    QTest::newRow("rss 45.2 MB") << qint64(45'249'999) << u"45.2 MB"_s;
    QTest::newRow("2.1 GB") << qint64(2'100'000'000) << u"2.1 GB"_s;
    QTest::newRow("TB") << qint64(3'000'000'000'000) << u"3 TB"_s;
    QTest::newRow("negative") << qint64(-1500) << u"-1.5 KB"_s;
}

void TestUnits::formatSizes()
{
    QFETCH(qint64, bytes);
    QFETCH(QString, text);
    QCOMPARE(formatSize(bytes), text);
}

// memory_limit = "100MiB" is spoken back in MiB (2^20), "100MB" in MB (10^6).
void TestUnits::sizesInWrittenUnit_data()
{
    QTest::addColumn<QString>("written");
    QTest::addColumn<QString>("unit");
    QTest::addColumn<qint64>("bytes");
    QTest::addColumn<QString>("shown");
    QTest::newRow("MiB") << u"100MiB"_s << u"MiB"_s << 152LL * 1024 * 1024 << u"152 MiB"_s;
    QTest::newRow("mib lower case") << u"100mib"_s << u"MiB"_s << 100LL * 1024 * 1024 << u"100 MiB"_s;
    QTest::newRow("MB") << u"100MB"_s << u"MB"_s << 104'857'600LL << u"105 MB"_s;
    QTest::newRow("M is MB") << u"100 M"_s << u"MB"_s << 1'500'000LL << u"1.5 MB"_s;
    QTest::newRow("GiB fraction") << u"1.5GiB"_s << u"GiB"_s << (3LL << 29) << u"1.5 GiB"_s;
    QTest::newRow("KiB") << u"512KiB"_s << u"KiB"_s << 524'288LL << u"512 KiB"_s;
    QTest::newRow("bytes: formatSize") << u"4096"_s << QString() << 4'096LL << u"4.1 KB"_s;
    QTest::newRow("B: formatSize") << u"4096B"_s << QString() << 500'000'000LL << u"500 MB"_s;
}

void TestUnits::sizesInWrittenUnit()
{
    QFETCH(QString, written);
    QFETCH(QString, unit);
    QFETCH(qint64, bytes);
    QCOMPARE(sizeUnit(written), unit);
    QTEST(formatSizeIn(bytes, unit), "shown");
}

void TestUnits::stopSignals_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("number"); // -1 = rejected
    QTest::newRow("TERM") << u"TERM"_s << 15;
    QTest::newRow("SIGTERM") << u"SIGTERM"_s << 15;
    QTest::newRow("15") << u"15"_s << 15;
    QTest::newRow("INT") << u"INT"_s << 2;
    QTest::newRow("SIGQUIT") << u"SIGQUIT"_s << 3;
    QTest::newRow("HUP") << u"HUP"_s << 1;
    QTest::newRow("KILL") << u"KILL"_s << 9;
    QTest::newRow("USR1") << u"USR1"_s << 10;
    QTest::newRow("SIGUSR2") << u"SIGUSR2"_s << 12;
    QTest::newRow("lower case") << u"sigint"_s << 2;
    QTest::newRow("64") << u"64"_s << 64;
    QTest::newRow("0") << u"0"_s << -1;
    QTest::newRow("65") << u"65"_s << -1;
    QTest::newRow("unknown") << u"SIGFOO"_s << -1;
    QTest::newRow("SIG alone") << u"SIG"_s << -1;
    QTest::newRow("empty") << QString() << -1;
}

void TestUnits::stopSignals()
{
    QFETCH(QString, text);
    QFETCH(int, number);
    QString error;
    const std::optional<int> sig = parseSignal(text, &error);
    if (number < 0) {
        QVERIFY(!sig.has_value());
        QVERIFY2(error.contains(u"TERM, INT, QUIT, HUP, KILL, USR1, USR2"_s), qPrintable(error));
    } else {
        QCOMPARE(sig, std::optional<int>(number));
    }
}

void TestUnits::formattedSizesReadBack_data()
{
    QTest::addColumn<qint64>("bytes");
    QTest::newRow("500 MB") << qint64(500'000'000);
    QTest::newRow("1.5 KB") << qint64(1'500);
    QTest::newRow("999 B") << qint64(999);
    QTest::newRow("2.1 GB") << qint64(2'100'000'000);
}

void TestUnits::formattedSizesReadBack()
{
    QFETCH(qint64, bytes);
    QCOMPARE(parseSize(formatSize(bytes)), std::optional<qint64>(bytes));
}

void TestUnits::signalNames_data()
{
    QTest::addColumn<int>("sig");
    QTest::addColumn<QString>("name");
    QTest::newRow("TERM") << int(SIGTERM) << u"SIGTERM"_s;
    QTest::newRow("KILL") << int(SIGKILL) << u"SIGKILL"_s;
    QTest::newRow("HUP") << int(SIGHUP) << u"SIGHUP"_s;
    QTest::newRow("QUIT") << int(SIGQUIT) << u"SIGQUIT"_s;
    QTest::newRow("SEGV") << int(SIGSEGV) << u"SIGSEGV"_s;
    QTest::newRow("XFSZ") << int(SIGXFSZ) << u"SIGXFSZ"_s;
    QTest::newRow("no name") << 40 << u"signal 40"_s;
}

void TestUnits::signalNames()
{
    QFETCH(int, sig);
    QFETCH(QString, name);
    QCOMPARE(signalName(sig), name);
    // The stop signals a configuration can name read back from what is shown.
    if (name.startsWith(u"SIG"_s) && parseSignal(name))
        QCOMPARE(parseSignal(name), std::optional<int>(sig));
}

QTEST_GUILESS_MAIN(TestUnits)

#include "tst_units.moc"
