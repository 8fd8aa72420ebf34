// The control socket: a Unix-domain socket speaking one JSON object per line each
// way, used by lifelinectl (and the GUI for single-instance hand-over).
//
//   {"cmd":"ping"}                          -> {"ok":true,"config":PATH,"pid":N,"version":V}
//   {"cmd":"status"}                        -> {"ok":true,"status":{...statusJson...}}
//   {"cmd":"start"|"stop"|"restart","name":NAME|"all"}
//                                           -> {"ok":true} | {"ok":false,"error":"unknown service \"apx\""}
//   {"cmd":"logs","name":NAME,"lines":N,"errors":BOOL[,"after":{"out":B,"err":B}]}
//                                           -> {"ok":true,"lines":[...],"cursor":{"out":B,"err":B}}
//      the last N lines of the service's stdout and stderr logs (stderr lines
//      count as errors); with "after" (a cursor from an earlier reply) only the
//      lines written since, which is how `lifelinectl logs --follow` works.
//   {"cmd":"health","name":NAME}            -> {"ok":true,"name":NAME,"health":H,"results":[...]}
//   {"cmd":"report"}                        -> {"ok":true,"report":MARKDOWN} (diagnostics/diagnosticreport.h)
//   {"cmd":"crashes","name":NAME}          -> {"ok":true,"name":NAME,"crashes":[{id,time,cause,exit,...}]}
//   {"cmd":"crash","name":NAME,"id":ID}    -> {"ok":true,"record":{...},"markdown":TEXT}
//   {"cmd":"alerts"|"maintenance",...}      see alerts/enginealerts.h
//   {"cmd":"errors","name":NAME}            -> {"ok":true,"name":NAME,"signatures":[...errorjson.h...]}
//   {"cmd":"recover",...}                   -> {"ok":false,"error":"recovery is not available in this
//   version"}
//   {"cmd":"repair","name":NAME}           -> when the repair ends: {"ok":true,"repaired":BOOL,
//                                              "text":OUTPUT+RESULT,"report":{...}} (Repair, repair.h)
// Anything else gets {"ok":false,"error":"bad request: ..."} and the
// connection stays usable. A line longer than 1 MiB gets an error and the
// connection is closed. Nothing here blocks: every client is served from the
// event loop as its bytes arrive.
//
// The listening socket is ours, not a QLocalServer: Qt 6.4's QLocalServer
// closes itself (and removes the socket file) on any accept() error,
// EMFILE included, which left Lifeline unreachable for good. Here running
// out of file descriptors refuses the waiting clients with a reason (a spare
// descriptor is given up for that moment) and the socket keeps listening.
// At most kMaxClients connections are served at once; more are refused.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QPointer>

#include <functional>

class QLocalSocket;
class QSocketNotifier;
class QTimer;

namespace lifeline {

class ErrorTracker;
class Fleet;
class CrashStore;
class Recovery;
class Repair;
class Updater;
struct RecoveryReport;
struct RepairReport;

class ControlServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ControlServer)

public:
    static constexpr qsizetype kMaxLineBytes = 1024 * 1024;
    static constexpr int kMaxClients = 64;

    explicit ControlServer(Fleet *fleet, QObject *parent = nullptr);
    ~ControlServer() override;

    // True when a live process listens on `socketPath` (connect succeeds or
    // the listen queue is full); false when there is no file or the file is a
    // dead socket left behind by a crash. Instant; never waits.
    static bool isServerAlive(const QString &socketPath);

    // Single instance: if a live server answers on socketPath, fails with
    // "another Lifeline is already running for CONFIG (socket PATH)".
    // A stale socket file is removed. The socket is made accessible to our
    // user only (mode 0600, set before it listens).
    bool listen(const QString &socketPath, QString *error);
    void close();
    bool isListening() const;
    // The recovery engine `recover` drives; without one, `recover` fails.
    void setRecovery(Recovery *recovery);
    // What `report` answers (the Engine's diagnostic report); without one, `report` fails.
    void setReportBuilder(std::function<QString()> builder) { m_reportBuilder = std::move(builder); }
    // The repairs `repair` drives; without one, `repair` fails.
    void setRepair(Repair *repair);
    // "updates", "update" and the "update" key of each service in "status".
    void setUpdater(Updater *updater);
    // Where `crashes` and `crash` read; without one they fail.
    void setCrashes(CrashStore *crashes) { m_crashes = crashes; }
    // What `errors` answers from; without one, `errors` fails.
    void setErrorTracker(ErrorTracker *tracker) { m_errors = tracker; }
    QString socketPath() const { return m_socketPath; }
    // A command served by another part of the engine (alerts, maintenance, ...).
    void addCommand(const QString &cmd, std::function<QJsonObject(const QJsonObject &request)> handler);

    // The protocol without the socket: one request line -> one reply object.
    QJsonObject handleLine(const QByteArray &line);
    QJsonObject handle(const QJsonObject &request);

signals:
    void clientConnected();
    // A person asked for a restart (NAME or "all"): Lifeline's own, not a failure.
    void restartRequested(const QString &name);

private:
    void onAcceptReady();
    void serve(int fd);
    void refuse(int fd, const QString &why);
    bool refuseWithSpare(const QString &why);
    void pauseAccepting();
    void note(const QString &text);
    void onReadyRead(QLocalSocket *socket);

    QJsonObject cmdStatus() const;
    QJsonObject cmdStartStop(const QString &cmd, const QJsonObject &request);
    QJsonObject cmdLogs(const QJsonObject &request) const;
    QJsonObject cmdHealth(const QJsonObject &request) const;
    QJsonObject cmdRecover(const QJsonObject &request);
    QJsonObject cmdCrashes(const QString &cmd, const QJsonObject &request) const;
    QJsonObject cmdErrors(const QJsonObject &request) const;
    void onRecoveryFinished(const RecoveryReport &report);
    QJsonObject cmdRepair(const QJsonObject &request);
    void onRepairFinished(const RepairReport &report);
    QJsonObject cmdUpdates() const;
    QJsonObject cmdUpdate(const QJsonObject &request);
    void onUpdateFinished(const QString &name, bool ok, const QString &summary, const QString &reportPath);

    Fleet *m_fleet;
    int m_listenFd = -1;
    QSocketNotifier *m_notifier = nullptr;
    QTimer *m_resume;       // accepting again after a pause for want of descriptors
    int m_spareFd = -1;     // /dev/null, closed for a moment to accept and refuse when out of descriptors
    bool m_starved = false; // accept() failing (out of descriptors, ...) since it last worked
    int m_refused = 0;      // connections refused for want of descriptors since then
    QString m_socketPath;
    QHash<QLocalSocket *, QByteArray> m_buffers; // partial request line per client
    Recovery *m_recovery = nullptr;
    CrashStore *m_crashes = nullptr;
    ErrorTracker *m_errors = nullptr;
    QLocalSocket *m_current = nullptr;               // the client whose request is being handled
    QList<QPointer<QLocalSocket>> m_recoveryWaiters; // answered when the run ends
    std::function<QString()> m_reportBuilder;
    Repair *m_repair = nullptr;
    QHash<QString, QList<QPointer<QLocalSocket>>>
        m_repairWaiters; // by service, answered when its repair ends
    Updater *m_updater = nullptr;
    QMultiHash<QString, QPointer<QLocalSocket>> m_updateWaiters; // by service, answered when its update ends
    QHash<QString, std::function<QJsonObject(const QJsonObject &)>> m_commands;
};

} // namespace lifeline
