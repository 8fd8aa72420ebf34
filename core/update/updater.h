// Git updates of services ([service.update], design.md "update"): every
// `interval` a bounded `git fetch` of the branch the service's checkout
// follows, and "N commits behind" with their subjects. In notify mode that
// is announced once per new upstream commit and nothing changes until a
// person asks (apply()); in auto mode it is applied at once.
//
// Applying is health-gated: remember HEAD, fast-forward to the commit that
// was fetched and checked (a diverged history or a dirty tree is refused; a
// dirty tree is stashed only with dirty = "stash"; nothing is ever reset
// --hard), run `build`, restart the service and wait up to verify_timeout
// for it to become healthy (without a health check: to stay running). If
// the build fails, the service does not become healthy or it crashes, the
// branch goes back to the remembered commit (git reset --keep, which keeps
// and never overwrites local changes), the old code is rebuilt, restarted
// and verified, an alert is raised and the commit is never applied
// automatically again (kept in state_dir/update/NAME.state.json). Every step
// goes to the event log and to a report in state_dir/update/.
//
// Nothing here waits: every git and build command is a BoundedProcess.
#pragma once

#include "update/updatestatus.h"
#include "util/units.h"

#include <QHash>
#include <QObject>
#include <QStringList>

namespace lifeline {

class Fleet;
class UpdateWatch;

class Updater final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Updater)

public:
    explicit Updater(Fleet *fleet, QObject *parent = nullptr);
    ~Updater() override;

    // Follows the fleet's configuration: services with [service.update] are
    // watched (a first check right away), the others no longer are.
    void sync();

    // The services with [service.update], in configuration order.
    QStringList services() const;
    // enabled = false for a service without [service.update].
    UpdateStatus status(const QString &name) const;
    // A check now; false + *error for a service not watched. A check under way is not repeated.
    bool check(const QString &name, QString *error = nullptr);
    // A person asks for the update: fetch, check, apply (finished() tells
    // how it ended). False + *error when it cannot begin.
    bool apply(const QString &name, QString *error = nullptr);

    // The bound of `git fetch` for a check `interval` apart: half of it, at most two minutes.
    static Millis fetchTimeout(Millis interval);

signals:
    void statusChanged(const QString &name);
    // Notify mode: new commits upstream, once per upstream commit.
    void updateAvailable(const QString &name, const QString &text);
    // For the alert centre: severity 1 warning, 2 critical.
    void alertRaised(const QString &service, int severity, const QString &title, const QString &text);
    // An apply begins (until finished(): restarts and failed checks of the
    // service are the update's own; the place for a maintenance window).
    void applyStarted(const QString &name, const QString &target);
    // An apply ended: updated (ok), refused or rolled back (not ok).
    void finished(const QString &name, bool ok, const QString &summary, const QString &reportPath);
    void eventLogged(const QString &service, const QString &text);

private:
    friend class UpdateWatch;
    void log(const QString &service, const QString &text);

    Fleet *m_fleet;
    QHash<QString, UpdateWatch *> m_watches; // children of this
};

} // namespace lifeline
