// The configuration file as a person may attach it to a bug report: exactly
// as written (comments, order, blank lines), with every value under an
// `env` table and every value that looks like a secret replaced by "***".
//
// Secret-looking: a key naming a token, password, secret, API key,
// credential, cookie or authorization (webhook headers); the password of a
// URL's userinfo (https://user:***@host); query parameters with such names;
// and the path of a webhook URL (a Slack or Discord webhook's path is its
// key). Values are found by parsing the file with toml++ and replaced at the
// positions the parser reports, so layout and comments stay; the result is
// parsed again and checked. A file that does not parse (or a check that
// fails) is shown with every value masked instead: nothing leaks because the
// masker could not understand a line.
#pragma once

#include <QByteArray>
#include <QString>

namespace lifeline {

struct MaskedConfig
{
    QString text;
    int masked = 0;         // values replaced
    bool allValues = false; // the fallback: every value masked
    QString note;           // why the fallback was taken; empty otherwise
};

MaskedConfig maskConfigSecrets(const QByteArray &toml);

// A key whose value is a secret ("API_TOKEN", "password", "Authorization").
bool looksSecretKey(const QString &key);
// A URL with the password of its userinfo and secret-named query values
// masked; with `wholePath`, everything after the host as well. Anything
// else comes back unchanged.
QString maskUrlSecrets(const QString &text, bool wholePath = false);

} // namespace lifeline
