// Tests of lifeline-logger, the per-service log writer: real writer processes pipe into the real
// logger, which writes and rotates real files in a temporary directory.

#include "logs/logbackups.h"
#include "logs/loggerchannel.h"
#include "logs/logtailer.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using lifeline::LoggerChannel;

using namespace Qt::StringLiterals;

namespace {

constexpr int kLineLength = 60; // bytes, newline included, of every numbered line below

// Writes "line 00000001 <padding>" lines numbered 1..count, 60 bytes each.
// seq: stdio writes 4 KiB blocks, so the pipe splits lines between reads.
QString seqWriter(int count)
{
    return u"seq -f 'line %08g ---------------------------------------------' 1 %1"_s.arg(count);
}
// A shell loop: one write(2) per line, so every read holds whole lines.
QString loopWriter(int count)
{
    return u"i=1; while [ $i -le %1 ]; do printf 'line %08d "
           u"---------------------------------------------\\n' $i; "
           u"i=$((i+1)); done"_s.arg(count);
}

/// The bytes of a file; a .gz backup's uncompressed.
QByteArray readFile(const QString &path)
{
    if (path.endsWith(u".gz"_s))
        return lifeline::readBackup({path, 0, true}, 1LL << 30).data;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

void writeFile(const QString &path, const QByteArray &data)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(data), data.size());
}

int highestBackup(const QString &path)
{
    const QFileInfo info(path);
    int highest = 0;
    const QStringList names = info.dir().entryList({info.fileName() + u".*"_s}, QDir::Files);
    for (const QString &name : names) {
        bool ok = false;
        const int n = name.mid(info.fileName().size() + 1).toInt(&ok);
        if (ok)
            highest = std::max(highest, n);
    }
    return highest;
}

/// The files of one log, oldest first: FILE.N ... FILE.1, FILE (a missing one shows up later as
/// missing lines).
QStringList logFilesOldestFirst(const QString &path)
{
    QStringList files;
    for (int i = highestBackup(path); i >= 1; --i) {
        const QString rotated = path + u'.' + QString::number(i);
        if (QFileInfo::exists(rotated))
            files.append(rotated);
    }
    if (QFileInfo::exists(path))
        files.append(path);
    return files;
}

struct Numbered
{
    qint64 first = 0;
    qint64 last = 0;
    qint64 count = 0;
    QString problem; ///< empty when every line is whole and the numbers are contiguous
};

/// Checks that the concatenated files hold whole numbered lines, each one exactly once and in
/// order, with no gap in between.
Numbered checkNumbered(const QStringList &files)
{
    static const QRegularExpression shape(u"^line (\\d{8}) -{45}$"_s);
    Numbered result;
    for (const QString &path : files) {
        const QByteArray data = readFile(path);
        if (!data.isEmpty() && !data.endsWith('\n')) {
            result.problem = path + u" ends inside a line"_s;
            return result;
        }
        const QList<QByteArray> lines = data.split('\n');
        for (qsizetype i = 0; i + 1 < lines.size(); ++i) {
            const QRegularExpressionMatch match = shape.match(QString::fromLatin1(lines.at(i)));
            if (!match.hasMatch()) {
                result.problem = path + u": torn line '"_s + QString::fromLatin1(lines.at(i)) + u"'"_s;
                return result;
            }
            const qint64 number = match.captured(1).toLongLong();
            if (result.count > 0 && number != result.last + 1) {
                result.problem = path + u": line %1 follows line %2"_s.arg(number).arg(result.last);
                return result;
            }
            if (result.count == 0)
                result.first = number;
            result.last = number;
            ++result.count;
        }
    }
    return result;
}

/// /proc/locks shows a process blocked on a lock as "N: -> FLOCK  ADVISORY  WRITE PID ...".
bool waitsForFlock(qint64 pid)
{
    const QList<QByteArray> lines = readFile(u"/proc/locks"_s).split('\n');
    for (const QByteArray &line : lines) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() > 5 && fields.at(1) == "->" && fields.at(2) == "FLOCK" &&
            fields.at(5).toLongLong() == pid)
            return true;
    }
    return false;
}

/// FILE.N ... FILE.1, FILE: the ones that exist.
QStringList withBackups(const QString &path, int backups)
{
    QStringList files;
    for (int i = backups; i >= 1; --i) {
        if (QFileInfo::exists(path + u'.' + QString::number(i)))
            files.append(path + u'.' + QString::number(i));
    }
    if (QFileInfo::exists(path))
        files.append(path);
    return files;
}

QByteArray readAll(const QStringList &files)
{
    QByteArray out;
    for (const QString &file : files)
        out += readFile(file);
    return out;
}

quint64 inodeOf(const QString &path)
{
    struct stat st = {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? quint64(st.st_ino) : 0;
}

/// The lines of both streams in the order the index records them, each as "o:text" / "e:text":
/// each record "o|e INODE END" stands for that file's bytes from the previous record's end to END.
QStringList orderFromIndex(const QByteArray &index, const QStringList &outFiles, const QStringList &errFiles)
{
    QHash<QByteArray, QString> fileOf; // "o 1234" -> path
    for (const QString &f : outFiles)
        fileOf.insert("o " + QByteArray::number(inodeOf(f)), f);
    for (const QString &f : errFiles)
        fileOf.insert("e " + QByteArray::number(inodeOf(f)), f);
    QHash<QByteArray, qint64> done;
    QStringList order;
    for (const QByteArray &record : index.split('\n')) {
        const QList<QByteArray> parts = record.split(' ');
        if (parts.size() != 3)
            continue;
        const QByteArray key = parts[0] + ' ' + parts[1];
        const QByteArray data = readFile(fileOf.value(key));
        const qint64 end = parts[2].toLongLong();
        const QByteArray run = data.mid(done.value(key), end - done.value(key));
        done[key] = end;
        for (const QByteArray &line : run.split('\n')) {
            if (!line.isEmpty())
                order.append(QString::fromLatin1(parts[0] + ':' + line));
        }
    }
    return order;
}

/// FILE's backups, plain or .gz, oldest first, then FILE.
QStringList rotatedOldestFirst(const QString &path)
{
    QStringList files;
    for (const lifeline::LogBackup &b : lifeline::logBackups(path))
        files.prepend(b.path);
    if (QFileInfo::exists(path))
        files.append(path);
    return files;
}

/// Names in FILE's directory that start with FILE's name, for "what is there" checks.
QStringList siblings(const QString &path)
{
    const QFileInfo info(path);
    return info.dir().entryList({info.fileName() + u".*"_s}, QDir::Files, QDir::Name);
}

} // namespace

class TestLogger : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void rotationKeepsNewestLinesWhole_data();
    void rotationKeepsNewestLinesWhole();
    void manyBackupsLoseNothing();
    void zeroBackupsTruncates();
    void longLineWrittenWholeAndNothingLost();
    void lineCutByPipeIsFinishedBeforeRotating();
    void appendsToExistingFile();
    void errGoesFromFd3();
    void errSameFileAsOut();
    void indexRecordsArrivalOrder();
    void indexRotatesAtItsCap();
    void indexThatCannotBeWrittenLeavesLogsAlone();
    void ignoresStopSignalsUntilEof();
    void secondLoggerWaitsForFirst();
    void cannotOpenExitsOne_data();
    void cannotOpenExitsOne();
    void errWithoutFd3ExitsOne();
    void usageErrors_data();
    void usageErrors();
    void writeErrorDropsLinesAndReportsThem();
    void compressedBackupsLoseNothing();
    void compressedBackupsKeepTheMergedOrder();
    void compressionFailureKeepsThePlainBackup();
    void startTidiesAfterACrashMidCompression();
    void compressionDoesNotStallReading();
    void tailerFollowsAcrossCompressedRotations();
    void channelRecords_data();
    void channelRecords();
    void channelSurvivesGarbage();

private:
    /// A QProcess killed in cleanup() if a failed test left it running.
    QProcess *newProcess();
    QProcess *startLogger(const QStringList &args);
    /// A logger reading fd 0 and fd 3 from pipes whose write ends are returned.
    QProcess *startTwoStreamLogger(const QStringList &args, int *outWrite, int *errWrite,
                                   rlim_t fileSizeLimit = RLIM_INFINITY);
    /// Pipes `script` (run by sh) through a logger with args, waits for both to finish.
    void pipeThroughLogger(const QString &script, const QStringList &loggerArgs);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_out;
    std::vector<std::unique_ptr<QProcess>> m_processes;
};

void TestLogger::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_out = m_dir->filePath(u"service.out.log"_s);
}

void TestLogger::cleanup()
{
    for (const auto &process : m_processes) {
        if (process->state() != QProcess::NotRunning) {
            process->kill();
            process->waitForFinished(5000);
        }
    }
    m_processes.clear();
    m_dir.reset();
}

QProcess *TestLogger::newProcess()
{
    m_processes.push_back(std::make_unique<QProcess>());
    return m_processes.back().get();
}

QProcess *TestLogger::startLogger(const QStringList &args)
{
    QProcess *process = newProcess();
    process->start(QStringLiteral(LIFELINE_LOGGER), args);
    return process;
}

void TestLogger::pipeThroughLogger(const QString &script, const QStringList &loggerArgs)
{
    QProcess writer;
    QProcess logger;
    writer.setStandardOutputProcess(&logger);
    logger.start(QStringLiteral(LIFELINE_LOGGER), loggerArgs);
    writer.start(u"/bin/sh"_s, {u"-c"_s, script});
    QVERIFY(logger.waitForStarted(5000));
    QVERIFY(writer.waitForStarted(5000));
    QVERIFY(writer.waitForFinished(30000));
    QCOMPARE(writer.exitCode(), 0);
    QVERIFY(logger.waitForFinished(30000)); // the writer's EOF ends the logger
    QVERIFY2(logger.exitStatus() == QProcess::NormalExit && logger.exitCode() == 0,
             logger.readAllStandardError().constData());
}

void TestLogger::rotationKeepsNewestLinesWhole_data()
{
    QTest::addColumn<QString>("script");
    QTest::newRow("seq, lines split between reads") << seqWriter(20000);
    QTest::newRow("shell loop, one write per line") << loopWriter(20000);
}

void TestLogger::rotationKeepsNewestLinesWhole()
{
    QFETCH(QString, script);
    const qint64 maxSize = 64 * 1024;
    const int backups = 3;
    pipeThroughLogger(script, {u"--out"_s, m_out, u"--max-size"_s, QString::number(maxSize), u"--backups"_s,
                               QString::number(backups)});
    if (QTest::currentTestFailed())
        return;

    QCOMPARE(highestBackup(m_out), backups);
    const QStringList files = logFilesOldestFirst(m_out);
    QCOMPARE(files.size(), backups + 1);
    qint64 total = 0;
    for (const QString &file : files) {
        const qint64 size = QFileInfo(file).size();
        // A line cut by the pipe is finished in the file it started in.
        QVERIFY2(size <= maxSize + kLineLength, qPrintable(file + u" has %1 bytes"_s.arg(size)));
        total += size;
    }
    QVERIFY(total <= maxSize * (backups + 1) + (backups + 1) * kLineLength);

    const Numbered kept = checkNumbered(files);
    QVERIFY2(kept.problem.isEmpty(), qPrintable(kept.problem));
    QCOMPARE(kept.last, 20000);
    // The three rotated files are (nearly) full: at least backups * max-size worth of lines kept.
    QVERIFY2(kept.count >= backups * (maxSize / kLineLength - 1), qPrintable(QString::number(kept.count)));
}

void TestLogger::manyBackupsLoseNothing()
{
    const qint64 maxSize = 16 * 1024;
    pipeThroughLogger(seqWriter(30000), {u"--out"_s, m_out, u"--max-size"_s, QString::number(maxSize),
                                         u"--backups"_s, u"1000"_s});
    if (QTest::currentTestFailed())
        return;

    const QStringList files = logFilesOldestFirst(m_out);
    QVERIFY2(files.size() > 100, qPrintable(QString::number(files.size())));
    QCOMPARE(highestBackup(m_out), files.size() - 1);
    for (const QString &file : files)
        QVERIFY(QFileInfo(file).size() <= maxSize + kLineLength);
    const Numbered all = checkNumbered(files);
    QVERIFY2(all.problem.isEmpty(), qPrintable(all.problem));
    QCOMPARE(all.first, 1);
    QCOMPARE(all.last, 30000);
    QCOMPARE(all.count, 30000);
}

void TestLogger::zeroBackupsTruncates()
{
    const qint64 maxSize = 4096;
    pipeThroughLogger(loopWriter(5000),
                      {u"--out"_s, m_out, u"--max-size"_s, QString::number(maxSize), u"--backups"_s, u"0"_s});
    if (QTest::currentTestFailed())
        return;

    QCOMPARE(highestBackup(m_out), 0);
    QVERIFY(QFileInfo(m_out).size() <= maxSize);
    const Numbered kept = checkNumbered({m_out});
    QVERIFY2(kept.problem.isEmpty(), qPrintable(kept.problem));
    QCOMPARE(kept.last, 5000);
}

void TestLogger::longLineWrittenWholeAndNothingLost()
{
    const QByteArray longLine = QByteArray(300, 'x') + '\n';
    const QByteArray input = "a\nb\n" + longLine + "c\nd\n" + longLine + longLine + "no newline at the end";
    QProcess *logger = startLogger({u"--out"_s, m_out, u"--max-size"_s, u"100"_s, u"--backups"_s, u"50"_s});
    QVERIFY(logger->waitForStarted(5000));
    logger->write(input);
    logger->closeWriteChannel();
    QVERIFY(logger->waitForFinished(10000));
    QCOMPARE(logger->exitCode(), 0);

    QByteArray all;
    for (const QString &file : logFilesOldestFirst(m_out)) {
        const QByteArray data = readFile(file);
        // Any file holding part of the long line holds all of it.
        if (data.contains('x'))
            QVERIFY2(data.contains(longLine), qPrintable(file));
        all += data;
    }
    QCOMPARE(all, input);
}

void TestLogger::lineCutByPipeIsFinishedBeforeRotating()
{
    QProcess *logger = startLogger({u"--out"_s, m_out, u"--max-size"_s, u"100"_s, u"--backups"_s, u"2"_s});
    QVERIFY(logger->waitForStarted(5000));
    const QByteArray lineA = QByteArray(59, 'a') + '\n';
    const QByteArray lineB = QByteArray(59, 'b') + '\n';
    const QByteArray lineC = QByteArray(9, 'c') + '\n';
    // The first read ends inside line B, 10 bytes below max-size...
    logger->write(lineA + lineB.left(30));
    QTRY_COMPARE(QFileInfo(m_out).size(), 90);
    // ...the next one would pass it: B is finished in the same file, C starts the next one.
    logger->write(lineB.mid(30) + lineC);
    logger->closeWriteChannel();
    QVERIFY(logger->waitForFinished(10000));
    QCOMPARE(logger->exitCode(), 0);
    QCOMPARE(readFile(m_out + u".1"_s), lineA + lineB);
    QCOMPARE(readFile(m_out), lineC);
}

void TestLogger::appendsToExistingFile()
{
    writeFile(m_out, "from an earlier run\n");
    QProcess *logger = startLogger({u"--out"_s, m_out, u"--max-size"_s, u"1000"_s, u"--backups"_s, u"2"_s});
    QVERIFY(logger->waitForStarted(5000));
    logger->write("from this run\n");
    logger->closeWriteChannel();
    QVERIFY(logger->waitForFinished(10000));
    QCOMPARE(logger->exitCode(), 0);
    QCOMPARE(readFile(m_out), QByteArray("from an earlier run\nfrom this run\n"));
    QCOMPARE(QFileInfo(m_out).permissions() & QFileDevice::ReadOther, QFileDevice::ReadOther);
}

void TestLogger::errGoesFromFd3()
{
    const QString errPath = m_dir->filePath(u"service.err.log"_s);
    int fds[2];
    QCOMPARE(::pipe2(fds, O_CLOEXEC), 0);
    const int readEnd = fds[0];
    QProcess *logger = newProcess();
    logger->setChildProcessModifier([readEnd] {
        // In the child, between fork and exec: the pipe's read end becomes fd 3 (dup2 clears
        // FD_CLOEXEC; the explicit fcntl covers readEnd == 3, where dup2 does nothing).
        ::dup2(readEnd, 3);
        ::fcntl(3, F_SETFD, 0);
    });
    logger->start(QStringLiteral(LIFELINE_LOGGER), {u"--out"_s, m_out, u"--err"_s, errPath, u"--max-size"_s,
                                                    u"1000"_s, u"--backups"_s, u"2"_s});
    QVERIFY(logger->waitForStarted(5000));
    ::close(readEnd);

    const QByteArray errData = QByteArray("ERROR: something failed\n").repeated(200); // rotates too
    logger->write("an ordinary line\n");
    QCOMPARE(::write(fds[1], errData.constData(), static_cast<size_t>(errData.size())), errData.size());
    ::close(fds[1]);
    logger->closeWriteChannel();
    QVERIFY(logger->waitForFinished(10000));
    QVERIFY2(logger->exitCode() == 0, logger->readAllStandardError().constData());

    QCOMPARE(readFile(m_out), QByteArray("an ordinary line\n"));
    QByteArray err;
    const QStringList errFiles = logFilesOldestFirst(errPath);
    QCOMPARE(errFiles.size(), 3); // err.log.2, err.log.1, err.log
    for (const QString &file : errFiles)
        err += readFile(file);
    QVERIFY(errData.endsWith(err));
    QVERIFY(err.size() >= 2000);
}

QProcess *TestLogger::startTwoStreamLogger(const QStringList &args, int *outWrite, int *errWrite,
                                           rlim_t fileSizeLimit)
{
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
        return nullptr;
    QProcess *logger = newProcess();
    const int outRead = out[0];
    const int errRead = err[0];
    logger->setChildProcessModifier([outRead, errRead, fileSizeLimit] {
        ::dup2(outRead, 0);
        ::dup2(errRead, 3);
        ::fcntl(3, F_SETFD, 0);
        const rlimit limit{fileSizeLimit, RLIM_INFINITY};
        ::setrlimit(RLIMIT_FSIZE, &limit);
    });
    logger->setStandardInputFile(QProcess::nullDevice()); // replaced by the modifier's dup2
    logger->start(QStringLiteral(LIFELINE_LOGGER), args);
    logger->waitForStarted(5000);
    ::close(outRead);
    ::close(errRead);
    *outWrite = out[1];
    *errWrite = err[1];
    return logger;
}

void TestLogger::indexRecordsArrivalOrder()
{
    const QString err = m_dir->filePath(u"service.err.log"_s);
    const QString index = m_dir->filePath(u"service.order"_s);
    int outW = -1;
    int errW = -1;
    QProcess *logger = startTwoStreamLogger({u"--out"_s, m_out, u"--err"_s, err, u"--index"_s, index,
                                             u"--max-size"_s, u"100"_s, u"--backups"_s, u"20"_s},
                                            &outW, &errW);
    QVERIFY(logger && logger->state() == QProcess::Running);
    // Each line reaches the logger before the next is written: the order it can see.
    const QByteArray pattern = "ooeoeeoeeeooooeoeoeoeeeo";
    QStringList written;
    QByteArray outData;
    QByteArray errData;
    for (int i = 0; i < pattern.size(); ++i) {
        const bool isErr = pattern.at(i) == 'e';
        const QByteArray line = (isErr ? "err " : "out ") + QByteArray::number(i) + " ----------------------";
        QCOMPARE(::write(isErr ? errW : outW, line.constData() + 0, size_t(line.size())), line.size());
        QCOMPARE(::write(isErr ? errW : outW, "\n", 1), 1);
        (isErr ? errData : outData) += line + '\n';
        written.append(QString::fromLatin1(QByteArray(1, pattern.at(i)) + ':' + line));
        QTRY_VERIFY(readAll(withBackups(isErr ? err : m_out, 20)).endsWith(QByteArray(line + '\n')));
    }
    ::close(outW);
    ::close(errW);
    QVERIFY(logger->waitForFinished(10000));
    QVERIFY2(logger->exitCode() == 0, logger->readAllStandardError().constData());

    // The raw files are what was written to each stream, byte for byte, across rotations.
    QVERIFY(QFileInfo::exists(m_out + u".2"_s));
    QVERIFY(QFileInfo::exists(err + u".2"_s));
    QCOMPARE(readAll(withBackups(m_out, 20)), outData);
    QCOMPARE(readAll(withBackups(err, 20)), errData);
    // The index gives back the written order, one record per run of one stream.
    const QByteArray records = readFile(index);
    QCOMPARE(orderFromIndex(records, withBackups(m_out, 20), withBackups(err, 20)), written);
    QVERIFY2(records.count('\n') <= pattern.size() + 12, records.constData()); // + rotations
}

void TestLogger::indexRotatesAtItsCap()
{
    const QString err = m_dir->filePath(u"service.err.log"_s);
    const QString index = m_dir->filePath(u"service.order"_s);
    // An index left by earlier runs, at its cap (256 KiB).
    const QByteArray old = QByteArray("o 1 100\n").repeated(256 * 1024 / 8);
    writeFile(index, old);
    writeFile(index + u".1"_s, "older backup, replaced\n");
    for (int run = 0; run < 2; ++run) {
        int outW = -1;
        int errW = -1;
        QProcess *logger = startTwoStreamLogger({u"--out"_s, m_out, u"--err"_s, err, u"--index"_s, index,
                                                 u"--max-size"_s, u"100000"_s, u"--backups"_s, u"1"_s},
                                                &outW, &errW);
        QVERIFY(logger);
        QCOMPARE(::write(outW, "out\n", 4), 4);
        QTRY_COMPARE(readFile(m_out).count('\n'), run * 2 + 1);
        QCOMPARE(::write(errW, "err\n", 4), 4);
        QTRY_COMPARE(readFile(err).count('\n'), run + 1);
        QCOMPARE(::write(outW, "out\n", 4), 4);
        ::close(outW);
        ::close(errW);
        QVERIFY(logger->waitForFinished(10000));
        QCOMPARE(logger->exitCode(), 0);
    }
    // One backup only, the full one; the new file holds the records since (the second logger
    // went on after the first).
    QCOMPARE(readFile(index + u".1"_s), old);
    const QByteArray records = readFile(index);
    QCOMPARE(records.count('\n'), 6);
    QVERIFY(records.startsWith("o "));
    QCOMPARE(orderFromIndex(records, {m_out}, {err}),
             (QStringList{u"o:out"_s, u"e:err"_s, u"o:out"_s, u"o:out"_s, u"e:err"_s, u"o:out"_s}));
}

void TestLogger::indexThatCannotBeWrittenLeavesLogsAlone()
{
    // Every index write fails (EFBIG: the index is already past the file size limit, as on a
    // full disk); the logs are written all the same and the logger ends normally.
    const QString err = m_dir->filePath(u"service.err.log"_s);
    const QString index = m_dir->filePath(u"service.order"_s);
    writeFile(index, QByteArray(2000, 'x'));
    int outW = -1;
    int errW = -1;
    QProcess *logger = startTwoStreamLogger({u"--out"_s, m_out, u"--err"_s, err, u"--index"_s, index,
                                             u"--max-size"_s, u"100000"_s, u"--backups"_s, u"1"_s},
                                            &outW, &errW, 1000);
    QVERIFY(logger);
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(::write(outW, "out\n", 4), 4);
        QTRY_COMPARE(readFile(m_out).count('\n'), i + 1);
        QCOMPARE(::write(errW, "err\n", 4), 4);
        QTRY_COMPARE(readFile(err).count('\n'), i + 1);
    }
    ::close(outW);
    ::close(errW);
    QVERIFY(logger->waitForFinished(10000));
    QVERIFY2(logger->exitCode() == 0, logger->readAllStandardError().constData());
    QCOMPARE(readFile(m_out), QByteArray("out\n").repeated(5));
    QCOMPARE(readFile(err), QByteArray("err\n").repeated(5));
    QCOMPARE(readFile(index), QByteArray(2000, 'x'));
}

void TestLogger::errSameFileAsOut()
{
    // --err naming the --out file (2>&1): one file, one lock, both inputs.
    int fds[2];
    QCOMPARE(::pipe2(fds, O_CLOEXEC), 0);
    const int readEnd = fds[0];
    QProcess *logger = newProcess();
    logger->setChildProcessModifier([readEnd] {
        ::dup2(readEnd, 3);
        ::fcntl(3, F_SETFD, 0);
    });
    logger->start(QStringLiteral(LIFELINE_LOGGER),
                  {u"--out"_s, m_out, u"--err"_s, m_out, u"--max-size"_s, u"1000"_s, u"--backups"_s, u"2"_s});
    QVERIFY(logger->waitForStarted(5000));
    ::close(readEnd);
    logger->write("out\n");
    QTRY_COMPARE(readFile(m_out), QByteArray("out\n"));
    QCOMPARE(::write(fds[1], "err\n", 4), 4);
    ::close(fds[1]);
    logger->closeWriteChannel();
    QVERIFY(logger->waitForFinished(10000));
    QVERIFY2(logger->exitCode() == 0, logger->readAllStandardError().constData());
    QCOMPARE(readFile(m_out), QByteArray("out\nerr\n"));
}

void TestLogger::ignoresStopSignalsUntilEof()
{
    QProcess *logger = startLogger({u"--out"_s, m_out, u"--max-size"_s, u"100000"_s, u"--backups"_s, u"1"_s});
    QVERIFY(logger->waitForStarted(5000));
    logger->write("before the signals\n");
    QTRY_COMPARE(readFile(m_out), QByteArray("before the signals\n"));

    // What a stop of the service's process group (and a closed terminal) sends it.
    const auto pid = static_cast<pid_t>(logger->processId());
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        QCOMPARE(::kill(pid, sig), 0);
    // A fatal signal would have ended it before it could write this.
    logger->write("after the signals\n");
    QTRY_COMPARE(readFile(m_out), QByteArray("before the signals\nafter the signals\n"));
    QCOMPARE(logger->state(), QProcess::Running);

    logger->closeWriteChannel();
    QVERIFY(logger->waitForFinished(10000));
    QCOMPARE(logger->exitStatus(), QProcess::NormalExit);
    QCOMPARE(logger->exitCode(), 0);
}

void TestLogger::secondLoggerWaitsForFirst()
{
    const QStringList args{u"--out"_s, m_out, u"--max-size"_s, u"100000"_s, u"--backups"_s, u"1"_s};
    QProcess *first = startLogger(args);
    QVERIFY(first->waitForStarted(5000));
    first->write("first logger\n");
    QTRY_COMPARE(readFile(m_out), QByteArray("first logger\n"));

    QProcess *second = startLogger(args);
    QVERIFY(second->waitForStarted(5000));
    second->write("second logger\n");
    QTRY_VERIFY_WITH_TIMEOUT(waitsForFlock(second->processId()), 5000);
    QCOMPARE(readFile(m_out), QByteArray("first logger\n"));

    first->closeWriteChannel();
    QVERIFY(first->waitForFinished(10000));
    QCOMPARE(first->exitCode(), 0);
    QTRY_COMPARE(readFile(m_out), QByteArray("first logger\nsecond logger\n"));
    second->closeWriteChannel();
    QVERIFY(second->waitForFinished(10000));
    QCOMPARE(second->exitCode(), 0);
}

void TestLogger::cannotOpenExitsOne_data()
{
    QTest::addColumn<QString>("outName");
    QTest::addColumn<QString>("errName");
    QTest::addColumn<QString>("named"); // the path the message must name
    QTest::newRow("missing directory") << u"missing/out.log"_s << QString() << u"missing/out.log"_s;
    QTest::newRow("parent is a file") << u"plain-file/out.log"_s << QString() << u"plain-file/out.log"_s;
    QTest::newRow("read-only directory") << u"read-only/out.log"_s << QString() << u"read-only/out.log"_s;
    QTest::newRow("err in missing directory") << u"out.log"_s << u"missing/err.log"_s << u"missing/err.log"_s;
}

void TestLogger::cannotOpenExitsOne()
{
    QFETCH(QString, outName);
    QFETCH(QString, errName);
    QFETCH(QString, named);
    writeFile(m_dir->filePath(u"plain-file"_s), "not a directory\n");
    QVERIFY(QDir(m_dir->path()).mkdir(u"read-only"_s));
    QVERIFY(QFile::setPermissions(m_dir->filePath(u"read-only"_s),
                                  QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    if (named.startsWith("read-only"_L1) && ::geteuid() == 0)
        QSKIP("root writes into read-only directories");

    QStringList args{u"--out"_s, m_dir->filePath(outName), u"--max-size"_s,
                     u"1000"_s,  u"--backups"_s,           u"1"_s};
    QProcess *logger = newProcess();
    if (!errName.isEmpty()) {
        args << u"--err"_s << m_dir->filePath(errName);
        // fd 3 must exist for --err: give it /dev/null.
        logger->setChildProcessModifier([] {
            const int fd = ::open("/dev/null", O_RDONLY);
            if (fd != 3) {
                ::dup2(fd, 3);
                ::close(fd);
            }
        });
    }
    logger->start(QStringLiteral(LIFELINE_LOGGER), args);
    QVERIFY(logger->waitForStarted(5000));
    logger->closeWriteChannel();
    QVERIFY(logger->waitForFinished(10000));
    QCOMPARE(logger->exitStatus(), QProcess::NormalExit);
    QCOMPARE(logger->exitCode(), 1);
    const QByteArray err = logger->readAllStandardError();
    QVERIFY2(err.contains(m_dir->filePath(named).toUtf8()), err.constData());
    QVERIFY2(err.startsWith("lifeline-logger: cannot "), err.constData());
}

void TestLogger::errWithoutFd3ExitsOne()
{
    QProcess *logger = newProcess();
    logger->setChildProcessModifier([] { ::close(3); });
    const QString errPath = m_dir->filePath(u"err.log"_s);
    logger->start(QStringLiteral(LIFELINE_LOGGER), {u"--out"_s, m_out, u"--err"_s, errPath, u"--max-size"_s,
                                                    u"1000"_s, u"--backups"_s, u"1"_s});
    QVERIFY(logger->waitForFinished(10000));
    QCOMPARE(logger->exitCode(), 1);
    const QByteArray err = logger->readAllStandardError();
    QVERIFY2(err.contains("fd 3 is not open"), err.constData());
    QVERIFY2(err.contains(errPath.toUtf8()), err.constData());
}

void TestLogger::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("message");
    QTest::newRow("nothing") << QStringList{} << QByteArray("are required");
    QTest::newRow("no --out") << QStringList{u"--max-size"_s, u"10"_s, u"--backups"_s, u"1"_s}
                              << QByteArray("are required");
    QTest::newRow("no --backups") << QStringList{u"--out"_s, u"x"_s, u"--max-size"_s, u"10"_s}
                                  << QByteArray("are required");
    QTest::newRow("zero max-size") << QStringList{u"--out"_s, u"x"_s,         u"--max-size"_s,
                                                  u"0"_s,     u"--backups"_s, u"1"_s}
                                   << QByteArray("invalid --max-size '0'");
    QTest::newRow("max-size with unit") << QStringList{u"--out"_s, u"x"_s, u"--max-size"_s, u"10MB"_s}
                                        << QByteArray("invalid --max-size '10MB'");
    QTest::newRow("bad backups") << QStringList{u"--out"_s, u"x"_s, u"--backups"_s, u"-1"_s}
                                 << QByteArray("invalid --backups '-1'");
    QTest::newRow("unknown option") << QStringList{u"--color"_s, u"red"_s}
                                    << QByteArray("unknown option --color");
    QTest::newRow("missing value") << QStringList{u"--out"_s} << QByteArray("missing value for --out");
}

void TestLogger::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, message);
    QProcess logger;
    logger.setWorkingDirectory(m_dir->path()); // where "x" would be created
    logger.start(QStringLiteral(LIFELINE_LOGGER), args);
    QVERIFY(logger.waitForFinished(10000));
    QCOMPARE(logger.exitStatus(), QProcess::NormalExit);
    QCOMPARE(logger.exitCode(), 64);
    const QByteArray err = logger.readAllStandardError();
    QVERIFY2(err.contains(message), err.constData());
    QVERIFY(err.contains("usage: lifeline-logger --out FILE"));
    QVERIFY(QDir(m_dir->path()).isEmpty()); // nothing created
}

// A file that refuses writes (here: a file size limit, EFBIG; on a full disk
// ENOSPC) must not end the logger, or the service would block on a full pipe
// or die of SIGPIPE. The logger drains, counts, reports on --status-fd, and
// writes a marker with the count once the file takes writes again.
void TestLogger::writeErrorDropsLinesAndReportsThem()
{
    int status[2] = {-1, -1};
    QCOMPARE(::pipe2(status, O_CLOEXEC | O_NONBLOCK), 0);
    const int statusW = status[1];
    QProcess *logger = newProcess();
    logger->setChildProcessModifier([statusW] {
        ::dup2(statusW, 4);
        const rlimit small{200, RLIM_INFINITY};
        ::setrlimit(RLIMIT_FSIZE, &small);
    });
    logger->start(QStringLiteral(LIFELINE_LOGGER), {u"--out"_s, m_out, u"--max-size"_s, u"100000"_s,
                                                    u"--backups"_s, u"1"_s, u"--status-fd"_s, u"4"_s});
    QVERIFY(logger->waitForStarted(5000));
    ::close(status[1]);
    QByteArray records;
    const auto readRecords = [&] {
        char buf[512];
        ssize_t n;
        while ((n = ::read(status[0], buf, sizeof(buf))) > 0)
            records.append(buf, n);
        return records;
    };
    const auto droppedSoFar = [&] {
        qint64 total = 0;
        for (const QByteArray &line : readRecords().split('\n')) {
            const QList<QByteArray> parts = line.split(' ');
            if (parts.size() == 4 && parts[0] == "drop")
                total += parts[2].toLongLong();
        }
        return total;
    };

    for (int i = 1; i <= 100; ++i)
        logger->write(QByteArray("line ") + QByteArray::number(i) + '\n');
    QTRY_VERIFY_WITH_TIMEOUT(droppedSoFar() > 0, 10000);
    QVERIFY2(records.startsWith("drop out "), records.constData());
    QVERIFY2(records.contains(QByteArray(" " + QByteArray::number(EFBIG) + "\n")), records.constData());
    QCOMPARE(logger->state(), QProcess::Running); // it drains on
    QVERIFY(QFileInfo(m_out).size() <= 200);

    // Room again: the next write (tried at most once a second) starts with the marker.
    const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    QCOMPARE(::prlimit(pid_t(logger->processId()), RLIMIT_FSIZE, &unlimited, nullptr), 0);
    int afters = 0;
    QTRY_VERIFY_WITH_TIMEOUT((logger->write("after\n"), ++afters, readFile(m_out).contains("after\n")),
                             10000);
    QTRY_VERIFY_WITH_TIMEOUT(readRecords().contains("resume out "), 5000);
    logger->closeWriteChannel();
    QVERIFY(logger->waitForFinished(10000));
    QCOMPARE(logger->exitStatus(), QProcess::NormalExit);
    QCOMPARE(logger->exitCode(), 0);

    const QByteArray text = readFile(m_out);
    static const QRegularExpression marker(u"\\[lifeline: (\\d+) lines dropped: file too large\\]\n"_s);
    const auto match = marker.match(QString::fromUtf8(text));
    QVERIFY2(match.hasMatch(), text.constData());
    const qint64 lines = match.captured(1).toLongLong();
    QVERIFY(lines > 0);
    QVERIFY(text.endsWith("after\n"));
    // Every line is in the file or counted (the one the failure cut may be both), and Lifeline
    // was told the same count as the file says.
    const qint64 inFile = text.count('\n') - 1;
    QVERIFY2(inFile + lines >= 100 + afters && inFile + lines <= 100 + afters + 1, text.constData());
    QCOMPARE(droppedSoFar(), lines);
    QVERIFY2(records.contains(QByteArray("resume out " + QByteArray::number(lines) + "\n")),
             records.constData());
    ::close(status[0]);
}

// What the logger's status pipe may carry, and what a broken one might.
void TestLogger::channelRecords_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<int>("kind"); // 0 drop, 1 resume
    QTest::addColumn<qint64>("lines");
    QTest::newRow("drop") << QByteArray("drop out 12 28") << true << 0 << qint64(12);
    QTest::newRow("resume") << QByteArray("resume err 40") << true << 1 << qint64(40);
    QTest::newRow("empty") << QByteArray() << false << 0 << qint64(0);
    QTest::newRow("unknown verb") << QByteArray("dropped out 1 28") << false << 0 << qint64(0);
    QTest::newRow("unknown stream") << QByteArray("drop both 1 28") << false << 0 << qint64(0);
    QTest::newRow("negative count") << QByteArray("drop out -1 28") << false << 0 << qint64(0);
    QTest::newRow("count not a number") << QByteArray("resume out lots") << false << 0 << qint64(0);
    QTest::newRow("errno zero") << QByteArray("drop out 1 0") << false << 0 << qint64(0);
    QTest::newRow("too many fields") << QByteArray("resume out 1 2") << false << 0 << qint64(0);
    QTest::newRow("binary") << QByteArray("\x01\xff drop out 1 28", 17) << false << 0 << qint64(0);
}

void TestLogger::channelRecords()
{
    QFETCH(QByteArray, line);
    QFETCH(bool, valid);
    const auto record = LoggerChannel::parse(line);
    QCOMPARE(record.has_value(), valid);
    if (!valid)
        return;
    QFETCH(int, kind);
    QFETCH(qint64, lines);
    QCOMPARE(int(record->kind), kind);
    QCOMPARE(record->lines, lines);
}

// Tens of kilobytes without a newline, then junk lines, then a real record:
// the junk is ignored, the one real record gets through, and the channel
// goes away when the logger closes its end.
void TestLogger::channelSurvivesGarbage()
{
    int fds[2];
    QCOMPARE(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    auto *channel = new LoggerChannel(fds[0], this);
    QSignalSpy dropped(channel, &LoggerChannel::dropped);
    QSignalSpy destroyed(channel, &QObject::destroyed);
    // 60 000 bytes: far past the channel's record limit, within one pipe's capacity.
    const QByteArray junk(60000, 'x');
    QCOMPARE(::write(fds[1], junk.constData(), size_t(junk.size())), ssize_t(junk.size()));
    const QByteArray tail = "\nnonsense\ndrop out 1\ndrop out 3 28\n";
    QCOMPARE(::write(fds[1], tail.constData(), size_t(tail.size())), ssize_t(tail.size()));
    QVERIFY(dropped.wait(5000));
    QCOMPARE(dropped.size(), 1);
    QCOMPARE(dropped.first().at(1).toLongLong(), 3);
    ::close(fds[1]); // the logger exits: the channel goes
    QVERIFY(destroyed.wait(5000));
}

// --compress gzip: every rotated file ends up as FILE.N.gz, and together with FILE they hold every
// line once, in order.
void TestLogger::compressedBackupsLoseNothing()
{
    pipeThroughLogger(seqWriter(20000), {u"--out"_s, m_out, u"--max-size"_s, u"65536"_s, u"--backups"_s,
                                         u"3"_s, u"--compress"_s, u"gzip"_s});
    if (QTest::currentTestFailed())
        return;
    // The logger waits for its compressor before it exits: nothing is left plain or half-done.
    QCOMPARE(siblings(m_out), (QStringList{u"service.out.log.1.gz"_s, u"service.out.log.2.gz"_s,
                                           u"service.out.log.3.gz"_s, u"service.out.log.lock"_s}));
    const QStringList files = rotatedOldestFirst(m_out);
    QCOMPARE(files.size(), 4);
    const Numbered kept = checkNumbered(files);
    QVERIFY2(kept.problem.isEmpty(), qPrintable(kept.problem));
    QCOMPARE(kept.last, 20000);
    QVERIFY2(kept.count >= 3 * (65536 / kLineLength - 1), qPrintable(QString::number(kept.count)));
    // Compressed for real: numbered lines shrink a lot.
    QVERIFY(QFileInfo(m_out + u".1.gz"_s).size() < 65536 / 4);
}

// The order index names files by inode; a .gz carries its plain file's inode, so the log view
// merges stdout and stderr across compressed backups in the order they arrived.
void TestLogger::compressedBackupsKeepTheMergedOrder()
{
    const QString err = m_dir->filePath(u"service.err.log"_s);
    const QString index = m_dir->filePath(u"service.order"_s);
    int outW = -1;
    int errW = -1;
    QProcess *logger =
        startTwoStreamLogger({u"--out"_s, m_out, u"--err"_s, err, u"--index"_s, index, u"--max-size"_s,
                              u"100"_s, u"--backups"_s, u"20"_s, u"--compress"_s, u"gzip"_s},
                             &outW, &errW);
    QVERIFY(logger && logger->state() == QProcess::Running);
    const QByteArray pattern = "ooeoeeoeeeooooeoeoeoeeeo";
    QStringList written;
    for (int i = 0; i < pattern.size(); ++i) {
        const bool isErr = pattern.at(i) == 'e';
        const QByteArray line = (isErr ? "err " : "out ") + QByteArray::number(i) + " ----------------------";
        QCOMPARE(::write(isErr ? errW : outW, QByteArray(line + '\n').constData(), size_t(line.size() + 1)),
                 line.size() + 1);
        written.append(QString::fromLatin1(QByteArray(1, pattern.at(i)) + ':' + line));
        // Each line reaches the logger before the next is written: the order it can see.
        QTRY_VERIFY(readAll(rotatedOldestFirst(isErr ? err : m_out)).endsWith(QByteArray(line + '\n')));
    }
    ::close(outW);
    ::close(errW);
    QVERIFY(logger->waitForFinished(10000));
    QVERIFY2(logger->exitCode() == 0, logger->readAllStandardError().constData());
    QVERIFY(QFileInfo::exists(m_out + u".2.gz"_s));
    QVERIFY(QFileInfo::exists(err + u".2.gz"_s));
    QVERIFY(!QFileInfo::exists(m_out + u".1"_s));

    lifeline::LogTailer tailer;
    tailer.addFile(m_out, lifeline::LogTailer::Stream::Out);
    tailer.addFile(err, lifeline::LogTailer::Stream::Err);
    tailer.setOrderIndex(index);
    QSignalSpy spy(&tailer, &lifeline::LogTailer::linesAppended);
    tailer.start(1000);
    QStringList shown;
    for (const QList<QVariant> &args : spy) {
        for (const lifeline::LogTailer::Line &line : args.at(0).value<QList<lifeline::LogTailer::Line>>())
            shown += (line.stream == lifeline::LogTailer::Stream::Err ? u"e:"_s : u"o:"_s) + line.text;
    }
    QCOMPARE(shown, written);
}

// A compressor that cannot write its .gz (a full disk; here the file size limit, EFBIG) keeps the
// plain backup whole, says why, and the logger goes on.
void TestLogger::compressionFailureKeepsThePlainBackup()
{
    const QString err = m_dir->filePath(u"service.err.log"_s);
    int outW = -1;
    int errW = -1;
    // 4 lines of 1024 incompressible bytes fill FILE to exactly the limit; its .gz (header,
    // stored blocks, trailer) cannot fit.
    QProcess *logger = startTwoStreamLogger({u"--out"_s, m_out, u"--err"_s, err, u"--max-size"_s, u"4096"_s,
                                             u"--backups"_s, u"2"_s, u"--compress"_s, u"gzip"_s},
                                            &outW, &errW, 4096);
    QVERIFY(logger && logger->state() == QProcess::Running);
    QByteArray data;
    for (int i = 0; i < 5; ++i) {
        QByteArray line(1023, Qt::Uninitialized);
        for (char &c : line)
            c = char(QRandomGenerator::global()->bounded(11, 256)); // never '\n' (10)
        data += line + '\n';
    }
    QCOMPARE(::write(outW, data.constData(), size_t(data.size())), data.size());
    ::close(outW);
    ::close(errW);
    QVERIFY(logger->waitForFinished(10000));
    QCOMPARE(logger->exitCode(), 0);
    const QByteArray stderrText = logger->readAllStandardError();
    QVERIFY2(stderrText.contains(QByteArray("cannot compress " + QFile::encodeName(m_out) +
                                            ".1: File too large; the backup is "
                                            "kept uncompressed")),
             stderrText.constData());
    QCOMPARE(siblings(m_out), (QStringList{u"service.out.log.1"_s, u"service.out.log.lock"_s}));
    QCOMPARE(readFile(m_out + u".1"_s), data.left(4096));
    QCOMPARE(readFile(m_out), data.mid(4096));
}

// A crash mid-compression leaves FILE.N.gz.tmp beside the plain FILE.N, and one between the
// rename and the unlink leaves both FILE.N and a complete FILE.N.gz. The next logger (under the
// lock) removes the stale .tmp and the plain twin, and compresses what is still plain.
void TestLogger::startTidiesAfterACrashMidCompression()
{
    const QByteArray first = "first backup line\n";
    writeFile(m_out + u".1"_s, first);
    writeFile(m_out + u".1.gz.tmp"_s, "half a gzip stream");
    pipeThroughLogger(u"printf 'one\\n'"_s, {u"--out"_s, m_out, u"--max-size"_s, u"4096"_s, u"--backups"_s,
                                             u"3"_s, u"--compress"_s, u"gzip"_s});
    QCOMPARE(siblings(m_out), (QStringList{u"service.out.log.1.gz"_s, u"service.out.log.lock"_s}));
    QCOMPARE(readFile(m_out + u".1.gz"_s), first);

    QVERIFY(QFile::copy(m_out + u".1.gz"_s, m_out + u".2.gz"_s));
    writeFile(m_out + u".2"_s, first); // the plain twin of the complete .gz
    QFile::remove(m_out + u".1.gz"_s);
    pipeThroughLogger(u"printf 'two\\n'"_s, {u"--out"_s, m_out, u"--max-size"_s, u"4096"_s, u"--backups"_s,
                                             u"3"_s, u"--compress"_s, u"gzip"_s});
    QCOMPARE(siblings(m_out), (QStringList{u"service.out.log.2.gz"_s, u"service.out.log.lock"_s}));
    QCOMPARE(readFile(m_out + u".2.gz"_s), first);
    QCOMPARE(readFile(m_out), QByteArray("one\ntwo\n"));
}

// Compressing a 10 MB backup runs beside the logger: a writer sending at a brisk 20 MB/s is never
// held up by it (a rotation waits for the previous compressor only when the next 10 MB come in
// before it is done), and no line is lost.
void TestLogger::compressionDoesNotStallReading()
{
    const QString err = m_dir->filePath(u"service.err.log"_s);
    int outW = -1;
    int errW = -1;
    QProcess *logger =
        startTwoStreamLogger({u"--out"_s, m_out, u"--err"_s, err, u"--max-size"_s, u"10000000"_s,
                              u"--backups"_s, u"5"_s, u"--compress"_s, u"gzip"_s},
                             &outW, &errW);
    QVERIFY(logger && logger->state() == QProcess::Running);
    constexpr int kLines = 400'000; // 24 MB: two rotations, two 10 MB backups compressed
    constexpr int kPerChunk = 1000; // 60 KB per write
    constexpr qint64 kBytesPerMs = 20'000;
    QElapsedTimer clock;
    clock.start();
    qint64 longestWriteNs = 0;
    qint64 sent = 0;
    for (int from = 1; from <= kLines; from += kPerChunk) {
        QByteArray chunk;
        for (int i = from; i < from + kPerChunk; ++i)
            chunk += QByteArray("line ") + QByteArray::number(i).rightJustified(8, '0') +
                     " ---------------------------------------------\n";
        // Paced, not a flood: 20 MB/s.
        while (clock.elapsed() * kBytesPerMs < sent)
            QTest::qWait(1);
        const qint64 before = clock.nsecsElapsed();
        QCOMPARE(::write(outW, chunk.constData(), size_t(chunk.size())), chunk.size());
        longestWriteNs = std::max(longestWriteNs, clock.nsecsElapsed() - before);
        sent += chunk.size();
    }
    ::close(outW);
    ::close(errW);
    QVERIFY(logger->waitForFinished(30000));
    QCOMPARE(logger->exitCode(), 0);
    qInfo("longest write into the logger's pipe across two 10 MB compressions: %.1f ms",
          double(longestWriteNs) / 1e6);
    QVERIFY2(longestWriteNs < 1'000'000'000, qPrintable(QString::number(longestWriteNs / 1'000'000)));
    QVERIFY(QFileInfo::exists(m_out + u".2.gz"_s));
    const Numbered kept = checkNumbered(rotatedOldestFirst(m_out));
    QVERIFY2(kept.problem.isEmpty(), qPrintable(kept.problem));
    QCOMPARE(kept.first, 1);
    QCOMPARE(kept.last, kLines);
}

// The log view follows a log whose backups are compressed while it looks: several rotations
// between two ticks leave FILE.N.gz files (plain a moment ago), read from their uncompressed bytes
// in order, and no line is lost or shown twice.
void TestLogger::tailerFollowsAcrossCompressedRotations()
{
    int outW = -1;
    int errW = -1;
    QProcess *logger = startTwoStreamLogger(
        {u"--out"_s, m_out, u"--max-size"_s, u"300"_s, u"--backups"_s, u"50"_s, u"--compress"_s, u"gzip"_s},
        &outW, &errW);
    QVERIFY(logger && logger->state() == QProcess::Running);
    lifeline::LogTailer tailer;
    tailer.setInterval(200);
    tailer.addFile(m_out);
    QSignalSpy spy(&tailer, &lifeline::LogTailer::linesAppended);
    tailer.start(0);
    QStringList written;
    for (int burst = 0; burst < 4; ++burst) {
        QByteArray data;
        for (int i = 0; i < 40; ++i) { // 40 lines of 30 bytes: four rotations in one burst
            const QByteArray line = "burst " + QByteArray::number(burst) + " line " +
                                    QByteArray::number(i).rightJustified(3, '0') + " ----------";
            data += line + '\n';
            written.append(QString::fromLatin1(line));
        }
        QCOMPARE(::write(outW, data.constData(), size_t(data.size())), data.size());
        QTRY_VERIFY(QFileInfo::exists(m_out + u".%1.gz"_s.arg(4 * (burst + 1) - 1)));
    }
    const auto shown = [&] {
        QStringList out;
        for (const QList<QVariant> &args : spy) {
            for (const lifeline::LogTailer::Line &line : args.at(0).value<QList<lifeline::LogTailer::Line>>())
                out += line.text;
        }
        return out;
    };
    QTRY_COMPARE(shown().size(), written.size());
    QCOMPARE(shown(), written);
    ::close(outW);
    ::close(errW);
    QVERIFY(logger->waitForFinished(10000));
}

QTEST_GUILESS_MAIN(TestLogger)
#include "tst_logger.moc"
