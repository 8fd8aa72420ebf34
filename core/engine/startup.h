// What both composition roots do before there is an engine: load and
// diagnose the configuration, make sure this is the only Lifeline for it
// (its control socket does not answer, its state_dir lock is free) and pick
// the control socket. Prints nothing: the desktop app shows a dialog, the
// headless one writes to stderr, with the same words.
#pragma once

#include "config/configloader.h"
#include "config/servicespec.h"

#include <QLockFile>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace lifeline {

struct Startup
{
    std::optional<Config> config;
    std::unique_ptr<QLockFile> lock; // held for the life of the process
    QString socketPath;
    QStringList warnings; // FILE:LINE:COL: warning: ...
    // On failure: the exit code (2 configuration, 1 anything else), a
    // short title and the whole message.
    int exitCode = 0;
    QString title;
    QString error;

    bool ok() const { return exitCode == 0; }
};

// socketPath empty: derived from the configuration (socketPathForConfig).
// profile: the [profile.NAME] to run ("" = none); one the file does not
// define is a configuration error (exit 2) that names it and the profiles there are.
Startup prepareStartup(const QString &configPath, const QString &socketPath = QString(),
                       const QString &profile = QString());

} // namespace lifeline
