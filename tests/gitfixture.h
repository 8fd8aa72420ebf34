// Local git repositories for the update tests (no network): a bare
// "origin", a "seed" clone that plays the developer pushing commits, and
// the "app" clone a service runs from. The service's command is run.sh from
// the repository, which execs the demo backend with the flags committed in
// `flags`; `build.sh` is the build step. So a commit changes what runs.
#pragma once

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

struct GitFixture
{
    QString root;
    QString origin;
    QString seed;
    QString app;

    // Runs git synchronously (test code only); returns stdout trimmed, "" + ok=false on failure.
    static QString git(const QString &dir, const QStringList &args, bool *ok = nullptr)
    {
        QProcess p;
        p.setWorkingDirectory(dir);
        p.setProcessChannelMode(QProcess::SeparateChannels);
        p.start(QStringLiteral("git"),
                QStringList{QStringLiteral("-c"), QStringLiteral("user.name=Test"), QStringLiteral("-c"),
                            QStringLiteral("user.email=test@lifeline.local"), QStringLiteral("-c"),
                            QStringLiteral("init.defaultBranch=main")} +
                    args);
        const bool done =
            p.waitForFinished(30'000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        if (ok)
            *ok = done;
        if (!done)
            qWarning("git %s in %s failed: %s", qPrintable(args.join(u' ')), qPrintable(dir),
                     p.readAllStandardError().constData());
        return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
    }

    static bool write(const QString &path, const QByteArray &data)
    {
        QFile f(path);
        return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
    }

    // origin with one commit: run.sh, flags ("--name v1"), build.sh (succeeds), notes.txt; app cloned.
    bool create(const QString &dir)
    {
        root = dir;
        origin = dir + QStringLiteral("/origin.git");
        seed = dir + QStringLiteral("/seed");
        app = dir + QStringLiteral("/app");
        bool ok = true;
        git(dir,
            {QStringLiteral("init"), QStringLiteral("--bare"), QStringLiteral("-b"), QStringLiteral("main"),
             origin},
            &ok);
        if (!ok)
            return false;
        git(dir, {QStringLiteral("clone"), QStringLiteral("-q"), origin, seed}, &ok);
        if (!ok)
            return false;
        git(seed,
            {QStringLiteral("checkout"), QStringLiteral("-q"), QStringLiteral("-b"), QStringLiteral("main")});
        ok = write(seed + QStringLiteral("/run.sh"),
                   "#!/bin/sh\nexec \"$DEMO\" --port \"$PORT\" $(cat flags)\n") &&
             write(seed + QStringLiteral("/flags"), "--name v1\n") &&
             write(seed + QStringLiteral("/build.sh"), "#!/bin/sh\necho building\n") &&
             write(seed + QStringLiteral("/notes.txt"), "notes\n");
        if (!ok || !commit(QStringLiteral("first")))
            return false;
        git(dir, {QStringLiteral("clone"), QStringLiteral("-q"), origin, app}, &ok);
        return ok;
    }

    // In seed: `files` written, committed with `subject`, pushed.
    bool push(const QString &subject, const QList<std::pair<QString, QByteArray>> &files = {})
    {
        for (const auto &[name, data] : files) {
            if (!write(seed + QLatin1Char('/') + name, data))
                return false;
        }
        if (files.isEmpty())
            write(seed + QStringLiteral("/notes.txt"), subject.toUtf8() + '\n');
        return commit(subject);
    }

    bool commit(const QString &subject)
    {
        bool ok = true;
        git(seed, {QStringLiteral("add"), QStringLiteral("-A")}, &ok);
        if (ok)
            git(seed, {QStringLiteral("commit"), QStringLiteral("-q"), QStringLiteral("-m"), subject}, &ok);
        if (ok)
            git(seed,
                {QStringLiteral("push"), QStringLiteral("-q"), QStringLiteral("origin"),
                 QStringLiteral("main")},
                &ok);
        return ok;
    }

    // A configuration with one service "api" that runs from app (and is not started), following its branch.
    QByteArray idleServiceToml() const
    {
        return "[settings]\nstate_dir = \"" + root.toUtf8() +
               "/state\"\n[[service]]\nname = \"api\"\ncommand = [\"sleep\", \"60\"]\ncwd = \"" +
               app.toUtf8() + "\"\nautostart = false\n[service.update]\n";
    }

    QString head(const QString &repo) const
    {
        return git(repo, {QStringLiteral("rev-parse"), QStringLiteral("HEAD")});
    }
    QString originHead() const { return head(seed); }
};
