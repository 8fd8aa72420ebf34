#include "update/updatestatus.h"

#include <QDateTime>
#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace lifeline {

QString shortSha(const QString &sha)
{
    return sha.left(7);
}

QString UpdateStatus::badge() const
{
    if (!enabled)
        return {};
    if (isBusy())
        return phase;
    if (!checkError.isEmpty())
        return u"update check failed"_s;
    if (behind > 0 && ahead > 0)
        return u"↓%1 diverged"_s.arg(behind);
    if (behind > 0)
        return targetRefused() ? u"↓%1 (rolled back)"_s.arg(behind) : u"↓%1"_s.arg(behind);
    return {};
}

QString UpdateStatus::describe() const
{
    if (!enabled)
        return u"no [service.update]"_s;
    QStringList lines;
    const QString where = upstream.isEmpty() ? u"its branch"_s : upstream;
    if (checkedAtMs == 0)
        lines << u"not checked yet (following %1, mode %2)"_s.arg(where, mode);
    else if (behind == 0 && ahead == 0)
        lines << u"up to date with %1 at %2 (mode %3)"_s.arg(where, shortSha(head), mode);
    else
        lines << u"%1 commit(s) behind %2 (mode %3)"_s.arg(behind).arg(where, mode);
    if (ahead > 0)
        lines << u"%1 local commit(s) not on %2: a fast-forward is impossible"_s.arg(ahead).arg(where);
    if (targetRefused())
        lines << u"%1 was rolled back once and is not applied automatically again"_s.arg(shortSha(target));
    for (const QString &s : subjects)
        lines << u"  "_s + s;
    if (!checkError.isEmpty())
        lines << u"last check failed: "_s + checkError;
    if (isBusy())
        lines << u"now: "_s + phase;
    if (!lastResult.isEmpty())
        lines << u"last update: "_s + lastResult;
    return lines.join(u'\n');
}

QJsonObject UpdateStatus::toJson() const
{
    QJsonObject o;
    o.insert(u"mode"_s, mode);
    o.insert(u"upstream"_s, upstream);
    o.insert(u"head"_s, head);
    o.insert(u"target"_s, target);
    o.insert(u"behind"_s, behind);
    o.insert(u"ahead"_s, ahead);
    o.insert(u"subjects"_s, QJsonArray::fromStringList(subjects));
    o.insert(u"checked_at"_s,
             checkedAtMs ? QDateTime::fromMSecsSinceEpoch(checkedAtMs).toString(Qt::ISODate) : QString());
    o.insert(u"check_error"_s, checkError);
    o.insert(u"phase"_s, phase);
    o.insert(u"last_result"_s, lastResult);
    o.insert(u"last_report"_s, lastReport);
    o.insert(u"refused"_s, QJsonArray::fromStringList(refused));
    return o;
}

bool operator==(const UpdateStatus &a, const UpdateStatus &b)
{
    return a.enabled == b.enabled && a.mode == b.mode && a.upstream == b.upstream && a.head == b.head &&
           a.target == b.target && a.behind == b.behind && a.ahead == b.ahead && a.subjects == b.subjects &&
           a.checkedAtMs == b.checkedAtMs && a.checkError == b.checkError && a.phase == b.phase &&
           a.lastResult == b.lastResult && a.lastReport == b.lastReport && a.refused == b.refused;
}

} // namespace lifeline
