// A state_dir Lifeline cannot use: read-only, someone else's, a file, a full
// disk. The real `lifeline --headless` must name the cause, not "cannot take
// the lock", and leave no Lifeline behind for lifelinectl to find.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

struct Run
{
    int exitCode = -1;
    QString err;
};

Run run(const QString &program, const QStringList &args,
        const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    Run r;
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        r.err = u"timed out"_s;
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// `sh -c SCRIPT` in a new user and mount namespace, where a tmpfs can be
// mounted without privileges: $1 is the mount point, then the command to run.
QStringList inMountNamespace(const QString &script, const QStringList &args)
{
    return QStringList{u"-Urm"_s, u"sh"_s, u"-c"_s, script, u"sh"_s} + args;
}

} // namespace

class TestHostileStateDir : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime;

    static QString writeConfig(const QString &dir, const QString &stateDir)
    {
        const QString path = QDir(dir).filePath(u"lifeline.toml"_s);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        f.write("[settings]\nstate_dir = \"" + stateDir.toUtf8() +
                "\"\non_exit = \"stop\"\n\n[[service]]\nname = \"api\"\ncommand = [\"sleep\", \"600\"]\n"
                "autostart = false\n");
        f.setPermissions(f.permissions() | QFileDevice::ReadOther);
        return path;
    }

    // Nothing was left listening: lifelinectl finds no Lifeline for it.
    static void verifyNoLifeline(const QString &config)
    {
        const Run ctl = run(QStringLiteral(LIFELINE_CTL), {u"--config"_s, config, u"status"_s});
        QCOMPARE(ctl.exitCode, 3);
        QVERIFY2(ctl.err.contains(u"no Lifeline is running"_s), qPrintable(ctl.err));
    }

    // Mounts a tmpfs with `options` at <dir>/mnt in a new mount namespace and
    // runs lifeline --headless there after `prepare` (shell, $1 = mount point).
    Run headlessOnTmpfs(const QTemporaryDir &dir, const QString &options, const QString &prepare,
                        const QString &stateDir)
    {
        const QString mnt = dir.filePath(u"mnt"_s);
        QDir().mkpath(mnt);
        const QString config = writeConfig(dir.path(), stateDir);
        const QString script =
            u"mount -t tmpfs -o %1 tmpfs \"$1\" || exit 97; %2; shift; exec \"$@\""_s.arg(options, prepare);
        return run(u"unshare"_s, inMountNamespace(script, {mnt, QStringLiteral(LIFELINE_BIN), u"--headless"_s,
                                                           u"--config"_s, config}));
    }

    static bool canMountTmpfs(QString *why)
    {
        if (QStandardPaths::findExecutable(u"unshare"_s).isEmpty()) {
            *why = u"unshare(1) is not installed"_s;
            return false;
        }
        QTemporaryDir dir;
        const Run probe =
            run(u"unshare"_s, inMountNamespace(u"mount -t tmpfs -o size=64k tmpfs \"$1\""_s, {dir.path()}));
        if (probe.exitCode != 0) {
            *why = u"cannot mount a tmpfs in a user namespace (unshare -Urm): "_s + probe.err.trimmed();
            return false;
        }
        return true;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
        QVERIFY(QFileInfo(QStringLiteral(LIFELINE_BIN)).isExecutable());
        QVERIFY(QFileInfo(QStringLiteral(LIFELINE_CTL)).isExecutable());
    }

    void readOnlyStateDirNamesEROFS_data()
    {
        QTest::addColumn<QString>("sub");
        QTest::addColumn<QString>("expected");
        QTest::newRow("existing") << QString() << u"state_dir %1 is read-only (EROFS)"_s;
        QTest::newRow("to create") << u"state"_s
                                   << u"state_dir %1/state cannot be created: %1 is read-only (EROFS)"_s;
    }

    void readOnlyStateDirNamesEROFS()
    {
        QFETCH(QString, sub);
        QFETCH(QString, expected);
        QString why;
        if (!canMountTmpfs(&why))
            QSKIP(qPrintable(why));
        QTemporaryDir dir;
        const QString mnt = dir.filePath(u"mnt"_s);
        const QString stateDir = sub.isEmpty() ? mnt : mnt + u'/' + sub;
        const Run r = headlessOnTmpfs(dir, u"ro,size=1m"_s, u"true"_s, stateDir);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(expected.arg(mnt)), qPrintable(r.err));
        QVERIFY2(!r.err.contains(u"cannot take the lock"_s), qPrintable(r.err));
        verifyNoLifeline(dir.filePath(u"lifeline.toml"_s));
    }

    void fullStateDirNamesENOSPC()
    {
        QString why;
        if (!canMountTmpfs(&why))
            QSKIP(qPrintable(why));
        QTemporaryDir dir;
        const QString mnt = dir.filePath(u"mnt"_s);
        const Run r = headlessOnTmpfs(dir, u"size=64k"_s, u"cat /dev/zero > \"$1/fill\" 2>/dev/null"_s, mnt);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(u"state_dir %1 has no space left on its device (ENOSPC)"_s.arg(mnt)),
                 qPrintable(r.err));
    }

    void foreignStateDirNamesOwnerAndMode()
    {
        if (::geteuid() != 0)
            QSKIP("needs root to run lifeline as another user (setpriv); as a user, the foreign folder "
                  "cannot be made");
        const QString setpriv = QStandardPaths::findExecutable(u"setpriv"_s);
        if (setpriv.isEmpty())
            QSKIP("setpriv(1) is not installed");
        QTemporaryDir dir;
        // nobody must reach the config and the state_dir, but not write there.
        QVERIFY(::chmod(QFile::encodeName(dir.path()).constData(), 0755) == 0);
        const QString stateDir = dir.filePath(u"state"_s);
        QVERIFY(QDir().mkdir(stateDir));
        QVERIFY(::chmod(QFile::encodeName(stateDir).constData(), 0755) == 0);
        const QString config = writeConfig(dir.path(), stateDir);
        const Run r = run(setpriv, {u"--reuid=65534"_s, u"--regid=65534"_s, u"--clear-groups"_s,
                                    QStringLiteral(LIFELINE_BIN), u"--headless"_s, u"--config"_s, config});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(
            r.err.contains(u"state_dir %1 is not writable by you (owned by uid 0, mode 0755; you are uid "
                           u"65534)"_s.arg(stateDir)),
            qPrintable(r.err));
        verifyNoLifeline(config);
    }

    void stateDirThatIsAFile_data()
    {
        QTest::addColumn<QString>("sub");
        QTest::addColumn<QString>("expected");
        QTest::newRow("the file") << QString() << u"state_dir %1 is not a directory"_s;
        QTest::newRow("under the file")
            << u"state"_s << u"state_dir %1/state cannot be created: %1 is not a directory"_s;
    }

    void stateDirThatIsAFile()
    {
        QFETCH(QString, sub);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString file = dir.filePath(u"state"_s);
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        const QString config = writeConfig(dir.path(), sub.isEmpty() ? file : file + u'/' + sub);
        const Run r = run(QStringLiteral(LIFELINE_BIN), {u"--headless"_s, u"--config"_s, config});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(expected.arg(file)), qPrintable(r.err));
        QVERIFY2(r.err.contains(config), qPrintable(r.err)); // where the state_dir came from
        verifyNoLifeline(config);
    }

    // The desktop app takes the same lock through the same function.
    void desktopAppNamesTheCauseToo()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(u"state"_s);
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        const QString config = writeConfig(dir.path(), file);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
        env.insert(u"LIFELINE_NO_DIALOGS"_s, u"1"_s);
        const Run r = run(QStringLiteral(LIFELINE_BIN), {u"--config"_s, config}, env);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(u"state_dir %1 is not a directory"_s.arg(file)), qPrintable(r.err));
        verifyNoLifeline(config);
    }
};

QTEST_GUILESS_MAIN(TestHostileStateDir)
#include "tst_hostile_statedir.moc"
