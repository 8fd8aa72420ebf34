#include "engine/startup.h"

#include "control/controlpaths.h"
#include "control/controlserver.h"
#include "control/statedir.h"

using namespace Qt::StringLiterals;

namespace lifeline {

Startup prepareStartup(const QString &configPath, const QString &socketPathArg, const QString &profile)
{
    Startup s;
    const auto fail = [&s](int code, const QString &title, const QString &error) {
        s.exitCode = code;
        s.title = title;
        s.error = error;
        return std::move(s);
    };

    // 1. Configuration: errors stop us (exit 2), warnings are shown.
    LoadResult loaded = ConfigLoader::loadFile(configPath);
    for (const Diagnostic &d : loaded.warnings)
        s.warnings << d.toString();
    if (!loaded.ok()) {
        QStringList lines;
        for (const Diagnostic &d : loaded.errors)
            lines << d.toString();
        if (lines.isEmpty())
            lines << u"%1: error: cannot load the configuration"_s.arg(configPath);
        return fail(2, u"Lifeline: configuration error"_s, lines.join(u'\n'));
    }
    if (!loaded.config->selectProfile(profile))
        return fail(2, u"Lifeline: configuration error"_s,
                    u"%1: error: --profile: %2"_s.arg(loaded.config->path,
                                                      loaded.config->unknownProfileText(profile)));
    const Config &config = *loaded.config;
    const QString configName = config.path.isEmpty() ? canonicalConfigPath(configPath) : config.path;

    // 2. Single instance, per configuration: the control socket answers.
    s.socketPath = socketPathArg;
    if (s.socketPath.isEmpty()) {
        QString error;
        s.socketPath = socketPathForConfig(configName, &error);
        if (s.socketPath.isEmpty())
            return fail(1, u"Lifeline"_s, error);
    }
    if (ControlServer::isServerAlive(s.socketPath))
        return fail(
            1, u"Lifeline is already running"_s,
            u"another Lifeline is already running for %1 (socket %2)"_s.arg(configName, s.socketPath));

    // 3. ... and per state_dir: two configurations must not share pidfiles and logs.
    QString lockError;
    qint64 holderPid = 0;
    s.lock = takeStateDirLock(config.settings.stateDir, &lockError, &holderPid);
    if (!s.lock)
        return fail(1, holderPid > 0 ? u"Lifeline is already running"_s : u"Lifeline: state_dir unusable"_s,
                    u"%1 (configuration %2)"_s.arg(lockError, configName));
    s.config = std::move(*loaded.config);
    return s;
}

} // namespace lifeline
