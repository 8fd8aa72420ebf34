// Where a service's git checkout stands against the branch it follows, as
// the table's badge, `status --json` ("update") and `lifelinectl updates`
// show it. Plain values, copied into the engine's snapshots.
#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace lifeline {

struct UpdateStatus
{
    bool enabled = false;
    QString mode;     // "notify" | "auto"
    QString upstream; // "origin/main"; empty until the branch is known
    QString head;     // full sha of HEAD at the last check
    QString target;   // full sha of the upstream at the last check
    int behind = 0;
    int ahead = 0;
    QStringList subjects; // "abc1234 subject" of the commits behind, newest first (at most 50)
    qint64 checkedAtMs = 0;
    QString checkError;  // why the last check failed; empty when it worked
    QString phase;       // "idle", "checking", "updating", "verifying", "rolling back"
    QString lastResult;  // "updated to abc1234", "update to abc1234 rolled back: ..."
    QString lastReport;  // text report of the last update run
    QStringList refused; // shas rolled back once: never applied automatically again

    bool targetRefused() const { return !target.isEmpty() && refused.contains(target); }
    bool isBusy() const { return phase != QLatin1String("idle") && !phase.isEmpty(); }
    // Fast-forward possible and nothing under way: the Update action's enabled state.
    bool canApply() const { return enabled && behind > 0 && ahead == 0 && !isBusy(); }
    // The table's badge: "↓3", "↓3 (diverged)", "updating"...; empty when nothing to say.
    QString badge() const;
    // Several lines for a tooltip and `lifelinectl updates`.
    QString describe() const;
    QJsonObject toJson() const;

    friend bool operator==(const UpdateStatus &a, const UpdateStatus &b);
};

QString shortSha(const QString &sha);

} // namespace lifeline
