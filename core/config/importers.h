// Procfile, supervisord.conf and PM2 ecosystem files -> a lifeline.toml, for
// a person arriving from those tools (issue 13, "import"). lifelinectl's
// `import procfile|supervisord|pm2 FILE` prints what these return.
//
// The output is one [[service]] table per process, written by
// ConfigWriter::toToml() so that its quoting is the loader's own; every
// original key that cannot be carried becomes a "# " line above its
// service naming the key and why, so nothing is dropped silently.
//
// Relative directories are resolved against the imported file's folder: the
// TOML may be written anywhere.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

#include <optional>

namespace lifeline {

struct ImportResult
{
    QString toml;            // the configuration, when error is empty
    QString error;           // "FILE:LINE: cause" (LINE omitted when there is none)
    bool unreadable = false; // importFile(): the file itself could not be read
    bool ok() const { return error.isEmpty(); }
};

// "web: bundle exec puma -p $PORT": commands with shell syntax ($, |, &&,
// redirections, ...) run with shell = true; `release:` (a one-off at
// deploy, not a process) becomes a comment.
ImportResult importProcfile(const QByteArray &text, const QString &path);

// [program:x] sections of a supervisord.conf. `environment` is what
// %(ENV_X)s expands from (supervisord expands it from its own environment
// when it loads the file; the importer does the same at import time, and
// says so in a comment).
ImportResult importSupervisord(const QByteArray &text, const QString &path,
                               const QHash<QString, QString> &environment);

// A PM2 ecosystem file as JSON: {"apps": [...]} or a bare array of apps.
ImportResult importPm2Json(const QByteArray &json, const QString &path);

// The JSON of an ecosystem.config.js of the common `module.exports = {...}`
// shape. Only the object literal after "module.exports =" is evaluated, by
// `node` in an empty vm context (no require, no process, a 2 s limit):
// the file's other code never runs. Blocks for at most a few seconds; meant
// for the command-line tool. std::nullopt with *error when node is missing
// or the literal is not plain data.
std::optional<QByteArray> pm2ConfigJsToJson(const QByteArray &js, const QString &path, QString *error);

// A PM2 ecosystem.yaml / .yml: the same keys as the JSON form.
ImportResult importPm2Yaml(const QByteArray &yaml, const QString &path);

// "procfile", "supervisord", "pm2"; what a file's name says it is
// (Procfile, *.conf, ecosystem.* / *.config.js / pm2 *.json|yaml); empty
// when the name does not tell.
QString guessImportFormat(const QString &path);

// Reads FILE and imports it as `format`, picking the PM2 form (.js, .yaml,
// JSON) by the file's extension. supervisord's %(ENV_X)s expands from this
// process's environment. May block for a few seconds (node, for a .js file): the
// command-line tool calls it directly, the window from a worker thread.
ImportResult importFile(const QString &format, const QString &path);

} // namespace lifeline
