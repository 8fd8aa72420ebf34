// Repair of one service (`[service.repair] steps`, issue 14): stop the
// service, run its repair steps in order in its cwd with its env
// (CommandSteps), and start it again when every step succeeded. When a step
// fails the service is left stopped, and the report says so and which step
// failed and why: starting what a failed `npm ci` left half-installed would
// only crash-loop it.
//
// Every run leaves a report in state_dir/repair/<service>-<stamp>.txt and
// .json (like recovery's), with the output of the steps (its last
// kMaxKeptLines lines), and lines in the event log. One run per service at a
// time; runs of different services are independent.
//
// Entry points: the window's "Repair…" dialog (Engine::startRepair), the
// control socket's {"cmd":"repair","name":NAME} (`lifelinectl repair NAME`),
// and emergency recovery with `recovery.repair = true` (it runs the steps
// itself, while everything is stopped, through steps() and CommandSteps).
#pragma once

#include "config/servicespec.h"
#include "repair/commandsteps.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QPointer>
#include <QProcessEnvironment>
#include <QStringList>

#include <functional>

namespace lifeline {

class Fleet;

// What a repair of a service will run, shown before it runs.
struct RepairPlan
{
    QString service;
    QString cwd;
    QList<QStringList> steps;
    Millis timeout{0};
    QString problem; // why it cannot run ("api has no [service.repair] steps"); empty when it can

    // For a service of `config`; problem set when there is no such service
    // or it has no steps.
    static RepairPlan forService(const Config &config, const QString &name);
    QString toText() const; // "in /srv/api, each step at most 10m:\n  1. npm ci\n..."
};

struct RepairReport
{
    QString service;
    bool ok = false;
    QString message; // "repair of api succeeded ..." / "... failed: step 2 of 3 `x` failed: exit code 1; api
                     // left stopped"
    QDateTime startedAt;
    QDateTime finishedAt;
    QString cwd;
    QList<CommandStepResult> steps;
    QStringList output;      // the last kMaxKeptLines lines
    qint64 droppedLines = 0; // earlier lines not kept
    QString textPath;
    QString jsonPath;
    QString saveError;

    QString toText() const;
    QJsonObject toJson() const;
};

class Repair final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Repair)

public:
    static constexpr int kMaxKeptLines = 1000;

    explicit Repair(Fleet *fleet, QObject *parent = nullptr);
    ~Repair() override;

    // Starts a repair of `name`. False + *error when there is no such
    // service, it has no steps, or one is already running for it.
    bool start(const QString &name, QString *error = nullptr);
    bool isRunning(const QString &name) const { return m_runs.contains(name); }
    bool isAnyRunning() const { return !m_runs.isEmpty(); }
    // Asked before a run starts; a non-empty answer refuses it with that reason.
    void setBusyCheck(std::function<QString()> check) { m_busyCheck = std::move(check); }
    // SIGTERM to SIGKILL after a step's timeout; tests shorten it.
    void setKillGrace(Millis grace) { m_killGrace = grace; }

    // How a step of `spec` runs: its cwd (state_dir without one) and its env
    // over Lifeline's.
    static CommandSteps::Options stepOptions(const ServiceSpec &spec, const QString &stateDir);

signals:
    void started(const lifeline::RepairPlan &plan);
    void stepStarted(const QString &service, int index, const QStringList &argv);
    void output(const QString &service, const QStringList &lines);
    void stepFinished(const QString &service, int index, const lifeline::CommandStepResult &result);
    void finished(const lifeline::RepairReport &report);

private:
    struct Run;
    void runSteps(Run *run);
    void end(Run *run, bool ok, const QString &message);
    void save(RepairReport &report) const;

    QPointer<Fleet> m_fleet;
    QHash<QString, Run *> m_runs;
    Millis m_killGrace{5'000};
    std::function<QString()> m_busyCheck;
};

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::RepairPlan)
Q_DECLARE_METATYPE(lifeline::RepairReport)
