// Plain values of an emergency recovery (design.md, "Emergency recovery"):
// the plan a dry run builds, the steps of a run with what each found and
// did, and the report saved at the end. Produced by Recovery (recovery.h),
// shown by the UI and `lifelinectl recover`, saved as JSON and text.
#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <sys/types.h>

namespace lifeline {

enum class RecoveryStepStatus
{
    Pending,
    Running,
    Ok,
    Warning,
    Failed,
    Skipped
};
QString recoveryStepStatusName(RecoveryStepStatus status); // "pending", "running", "ok", ...

// One thing a step found or acted on: a process, a port, a file, a figure.
struct RecoveryItem
{
    enum class Kind
    {
        Process,
        File,
        Figure
    };
    Kind kind = Kind::Process;
    QString service; // the service it concerns; empty for system-wide figures
    // Process
    pid_t pid = 0;
    uid_t uid = 0;
    QString user;
    QStringList cmdline;
    quint16 port = 0; // set for port holders
    // File (or directory); for Figure: the path the figure is about, if any
    QString path;
    qint64 bytes = -1; // file size, or the figure's value in bytes; -1 = unknown
    QString why;       // why it is listed: "carries LIFELINE_SERVICE_ID of api"
    QString action;    // what was (or, in a plan, would be) done: "ended (SIGTERM)", "not touched: ..."
    bool needsConsent = false; // a port holder of our user not started by Lifeline

    QString describe() const; // one line for reports and the UI
    QJsonObject toJson() const;
};

struct RecoveryStep
{
    enum class Id
    {
        Stop,
        FindLeftovers,
        CheckResources,
        BackupLogs, // before Clean: nothing a glob matches can cost a log first
        Clean,
        Start,
        Verify,
        // Only with recovery.repair = true, and then between Clean and Start;
        // last here so that the other ids keep their place in a run without it.
        Repair
    };
    static constexpr int Count = 7; // the steps of a run without Repair

    Id id = Id::Stop;
    QString title; // "Stop every service"
    RecoveryStepStatus status = RecoveryStepStatus::Pending;
    qint64 durationMs = 0;
    QString message; // what happened, in one or two sentences
    QList<RecoveryItem> items;

    static QString titleOf(Id id);
    static QString keyOf(Id id); // "stop", "find_leftovers", ... (JSON)
    QJsonObject toJson() const;
};

// What a dry run found; nothing was changed to find it.
struct RecoveryPlan
{
    QList<RecoveryItem> toStop; // live processes of the services (step 1)
    QList<RecoveryItem>
        leftovers; // marker-carrying / pidfile-named processes outside the live trees (step 2)
    QList<RecoveryItem> portHolders; // processes holding a service's port that are not the service (step 2)
    // Processes re-parented to Lifeline that no service tree can be proven
    // for (Fleet::orphans()): ours, as our children, but whose is unknown;
    // ended only with consent (step 2).
    QList<RecoveryItem> orphans;
    QList<RecoveryItem> logs;  // log files that would be backed up, with sizes (step 4)
    QList<RecoveryItem> clean; // files that would be removed, and patterns/matches that are refused (step 5)
    QList<RecoveryItem> repairs; // with recovery.repair: each service's repair steps, in order
    bool backupLogs = true;
    QStringList services; // start order (step 6)

    // A port holder that is ours to end only with the person's consent.
    bool hasForeignPortHolders() const;
    // Anything ended only with consent: such a port holder, or an orphan.
    bool needsConsent() const;
    QJsonObject toJson() const;
    QString toText() const;
};

// Consent and thresholds for one run.
struct RecoveryOptions
{
    // The person's consent (GUI checkbox, `lifelinectl recover --yes`) to end
    // processes of our own user that hold a service's port but were not
    // started by Lifeline, and orphans re-parented to Lifeline that no
    // service can be proven for. Processes of other users are never signalled.
    bool killForeignPortHolders = false;
    qint64 minFreeDiskBytes = 100LL * 1000 * 1000;
    qint64 minAvailableMemoryBytes = 100LL * 1000 * 1000;
    int termGraceMs = 3000; // SIGTERM, then SIGKILL after this long
};

// A service as the run left it.
struct RecoveryServiceEnd
{
    QString name;
    QString state;  // stateName()
    QString health; // healthName(), "none" without a health check
    pid_t pid = 0;
    QString problem; // why it is not running/healthy; empty when fine
};

struct RecoveryReport
{
    bool ok = false;
    QDateTime startedAt;
    QDateTime finishedAt;
    qint64 durationMs = 0;
    RecoveryOptions options;
    QList<RecoveryStep> steps;
    QList<RecoveryServiceEnd> endState;
    QString jsonPath; // where the report was saved (empty if it could not be)
    QString textPath;
    QString saveError; // why it could not be saved

    // The failing step (first failed one), or nullptr.
    const RecoveryStep *failedStep() const;
    // One line: "recovery succeeded in 4.2s: 2 services running and healthy"
    // or "recovery failed at step 7 (Verify ...): worker is not healthy: HTTP 503".
    QString summary() const;
    QJsonObject toJson() const;
    QString toText() const; // summary first, then every step with its items, then the end state
};

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::RecoveryStep)
Q_DECLARE_METATYPE(lifeline::RecoveryReport)
