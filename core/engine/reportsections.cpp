#include "engine/reportsections.h"

#include "alerts/alertcenter.h"
#include "alerts/enginealerts.h"
#include "diagnostics/crashstore.h"
#include "engine/engine.h"
#include "errors/errortracker.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include <QDateTime>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

constexpr int kSignaturesPerService = 5;
constexpr int kSampleLines = 40;
constexpr int kCrashRecords = 5;
constexpr int kAlertHistory = 50;

QString timeText(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(Qt::ISODate);
}

QString errorsSection(const Engine &engine)
{
    const ErrorTracker *tracker = engine.errorTracker();
    if (!tracker || !engine.fleet())
        return {};
    QString md;
    for (const ServiceSupervisor *s : engine.fleet()->services()) {
        QList<ErrorSignature> sigs = tracker->signatures(s->name());
        if (sigs.isEmpty())
            continue;
        std::sort(sigs.begin(), sigs.end(),
                  [](const ErrorSignature &a, const ErrorSignature &b) { return a.count > b.count; });
        md += u"### %1\n\n"_s.arg(s->name());
        for (const ErrorSignature &sig : sigs.mid(0, kSignaturesPerService)) {
            md += u"- **%1×** `%2` — first %3, last %4 (%5)\n\n"_s.arg(sig.count).arg(
                QString(sig.text).replace(u'`', u'\''), timeText(sig.firstSeenMs), timeText(sig.lastSeenMs),
                sig.source);
            QStringList lines = sig.sample.split(u'\n');
            if (lines.size() > kSampleLines) {
                const qsizetype cut = lines.size() - kSampleLines;
                lines = lines.mid(0, kSampleLines);
                lines << u"… %1 more lines"_s.arg(cut);
            }
            md += markdownFenced(lines.join(u'\n')) + u'\n';
        }
        if (sigs.size() > kSignaturesPerService)
            md += u"(%1 more signatures: `lifelinectl errors %2`)\n\n"_s
                      .arg(sigs.size() - kSignaturesPerService)
                      .arg(s->name());
    }
    return md;
}

QString crashesSection(const Engine &engine)
{
    const CrashStore *store = engine.crashes();
    if (!store || !engine.fleet())
        return {};
    QList<CrashSummary> all;
    for (const ServiceSupervisor *s : engine.fleet()->services())
        all += store->list(s->name()).mid(0, kCrashRecords);
    std::sort(all.begin(), all.end(),
              [](const CrashSummary &a, const CrashSummary &b) { return a.timeMs > b.timeMs; });
    QString md;
    for (const CrashSummary &c : all.mid(0, kCrashRecords)) {
        if (const std::optional<CrashRecord> r = store->record(c.service, c.id)) {
            // One level down: the record's "## " heading under the section's.
            QString record = r->toMarkdown();
            record.replace(u"\n### "_s, u"\n#### "_s);
            md += u"#"_s + record + u'\n';
        }
    }
    if (all.size() > kCrashRecords)
        md += u"(older records: `lifelinectl crashes NAME`)\n"_s;
    return md;
}

QString alertsSection(const Engine &engine)
{
    const EngineAlerts *alerts = engine.alerts();
    if (!alerts)
        return {};
    const QJsonObject json = alerts->center()->toJson(QString(), kAlertHistory);
    const QString text = EngineAlerts::alertsText(json).trimmed();
    return text.isEmpty() ? QString() : markdownFenced(text);
}

} // namespace

ReportProviders reportSections(const Engine &engine)
{
    const Engine *e = &engine;
    return {.errorSignatures = [e] { return errorsSection(*e); },
            .crashRecords = [e] { return crashesSection(*e); },
            .alerts = [e] { return alertsSection(*e); }};
}

} // namespace lifeline
