#include "update/updater.h"

#include "health/healthmonitor.h"
#include "logs/eventlog.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "update/boundedprocess.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QSet>
#include <QTimer>

#include <functional>
#include <memory>
#include <utility>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

constexpr Millis kGitTimeout{60'000};
constexpr Millis kBuildTimeout{30 * 60'000};
constexpr int kMaxSubjects = 50;
constexpr qsizetype kReportOutput = 16 * 1024; // per step

QString modeName(UpdateSpec::Mode m)
{
    return m == UpdateSpec::Mode::Auto ? u"auto"_s : u"notify"_s;
}

QString firstLines(const QString &text, int n)
{
    QStringList lines = text.trimmed().split(u'\n');
    if (lines.size() > n) {
        const qsizetype more = lines.size() - n;
        lines = lines.first(n);
        lines << u"(%1 more)"_s.arg(more);
    }
    return lines.join(u", "_s);
}

} // namespace

// One watched service: its timer, its status and the update run under way.
// Every process, timer and verification hangs below it, so a service that
// leaves the configuration takes whatever it was doing with it.
class UpdateWatch final : public QObject
{
public:
    UpdateWatch(Updater *updater, const ServiceSpec &spec);

    void setSpec(const ServiceSpec &spec);
    void check();
    void requestApply();
    const UpdateStatus &status() const { return m_status; }

private:
    using Then = std::function<void(const ProcessResult &)>;
    struct Run
    {
        bool manual = false;
        QString from;
        QString target;
        QString reason; // why it is rolled back
        bool stashed = false;
        QDateTime startedAt;
        QJsonArray steps;
        QStringList text;
    };

    void run(const QStringList &argv, const QProcessEnvironment &env, Millis timeout, Then then);
    void git(const QStringList &args, Millis timeout, Then then)
    {
        run(QStringList{u"git"_s} + args, gitEnvironment(), timeout, std::move(then));
    }
    QString upstreamRef() const { return u"refs/remotes/%1/%2"_s.arg(m_spec.update.remote, m_branch); }
    void setPhase(const QString &phase);
    // The steps of a check, in order: branch, fetch + revisions, counts, subjects.
    void onBranch(const ProcessResult &r);
    void onRevisions(const ProcessResult &r);
    void onCounts(const ProcessResult &r);
    void checkFailed(const QString &why);
    void checked();
    void beginApply(bool manual);
    void step(const QString &name, bool ok, const QString &message, const QString &output = {});
    void refuse(const QString &why);
    void mergeForward();
    void build(std::function<void()> ok, std::function<void(const QString &)> failed);
    void restartAndVerify(std::function<void()> ok, std::function<void(const QString &)> failed);
    void rollBack(const QString &reason);
    void rolledBack(bool restored, const QString &detail);
    void finishRun(bool ok, const QString &summary);
    QString saveReport(bool ok, const QString &summary);
    void loadState();
    void saveState();
    QString statePath() const;

    Updater *m_updater;
    ServiceSpec m_spec;
    QString m_repo;
    QString m_branch; // the local branch followed
    QTimer m_timer;
    UpdateStatus m_status;
    QString m_notified; // the upstream commit last announced
    bool m_applyQueued = false;
    std::unique_ptr<Run> m_run;
};

UpdateWatch::UpdateWatch(Updater *updater, const ServiceSpec &spec)
    : QObject(updater)
    , m_updater(updater)
{
    m_status.phase = u"idle"_s;
    m_timer.setSingleShot(false);
    connect(&m_timer, &QTimer::timeout, this, &UpdateWatch::check);
    setSpec(spec);
    loadState();
}

void UpdateWatch::setSpec(const ServiceSpec &spec)
{
    m_spec = spec;
    m_repo = spec.update.repo.isEmpty() ? spec.cwd : spec.update.repo;
    m_status.enabled = true;
    m_status.mode = modeName(spec.update.mode);
    if (m_timer.interval() != int(spec.update.interval.count()) || !m_timer.isActive())
        m_timer.start(spec.update.interval);
}

void UpdateWatch::setPhase(const QString &phase)
{
    m_status.phase = phase;
    emit m_updater->statusChanged(m_spec.name);
}

void UpdateWatch::run(const QStringList &argv, const QProcessEnvironment &env, Millis timeout, Then then)
{
    auto *p = new BoundedProcess(this);
    connect(p, &BoundedProcess::finished, this, [p, then = std::move(then)](const ProcessResult &r) {
        p->deleteLater();
        then(r);
    });
    p->start(argv, m_repo, env, timeout);
}

// ---- checking --------------------------------------------------------------

void UpdateWatch::check()
{
    if (m_status.isBusy() || m_updater->m_fleet->isShuttingDown())
        return;
    if (m_repo.isEmpty()) {
        checkFailed(u"no repository: set update.repo or the service's cwd"_s);
        return;
    }
    if (!QFileInfo(m_repo).isDir()) {
        checkFailed(u"repository %1 is not a directory"_s.arg(m_repo));
        return;
    }
    setPhase(u"checking"_s);
    git({u"symbolic-ref"_s, u"--quiet"_s, u"--short"_s, u"HEAD"_s}, kGitTimeout,
        [this](const ProcessResult &r) { onBranch(r); });
}

void UpdateWatch::onBranch(const ProcessResult &r)
{
    if (!r.ok()) {
        checkFailed(r.exitCode == 1 && r.started && !r.timedOut
                        ? u"HEAD of %1 is detached (no branch checked out): nothing to follow"_s.arg(m_repo)
                        : u"git symbolic-ref HEAD in %1: %2"_s.arg(m_repo, r.describe(kGitTimeout)));
        return;
    }
    const QString local = r.text().trimmed();
    if (!m_spec.update.branch.isEmpty() && local != m_spec.update.branch) {
        checkFailed(u"%1 has branch \"%2\" checked out, but update.branch is \"%3\"; Lifeline updates "
                    u"only the branch checked out"_s.arg(m_repo, local, m_spec.update.branch));
        return;
    }
    m_branch = local;
    m_status.upstream = m_spec.update.remote + u'/' + m_branch;
    const Millis timeout = Updater::fetchTimeout(m_spec.update.interval);
    git({u"fetch"_s, u"--quiet"_s, u"--no-tags"_s, u"--no-write-fetch-head"_s, m_spec.update.remote,
         u"+refs/heads/%1:%2"_s.arg(m_branch, upstreamRef())},
        timeout, [this, timeout](const ProcessResult &fetched) {
            if (!fetched.ok()) {
                checkFailed(
                    u"git fetch %1 %2: %3"_s.arg(m_spec.update.remote, m_branch, fetched.describe(timeout)));
                return;
            }
            git({u"rev-parse"_s, u"HEAD"_s, upstreamRef()}, kGitTimeout,
                [this](const ProcessResult &parsed) { onRevisions(parsed); });
        });
}

void UpdateWatch::onRevisions(const ProcessResult &r)
{
    const QStringList shas = r.text().trimmed().split(u'\n');
    if (!r.ok() || shas.size() != 2) {
        checkFailed(u"git rev-parse: "_s + r.describe(kGitTimeout));
        return;
    }
    m_status.head = shas[0].trimmed();
    m_status.target = shas[1].trimmed();
    git({u"rev-list"_s, u"--left-right"_s, u"--count"_s, u"HEAD..."_s + upstreamRef()}, kGitTimeout,
        [this](const ProcessResult &counted) { onCounts(counted); });
}

void UpdateWatch::onCounts(const ProcessResult &r)
{
    const QStringList counts = r.text().simplified().split(u' ');
    if (!r.ok() || counts.size() != 2) {
        checkFailed(u"git rev-list: "_s + r.describe(kGitTimeout));
        return;
    }
    m_status.ahead = counts[0].toInt();
    m_status.behind = counts[1].toInt();
    if (m_status.behind == 0) {
        m_status.subjects.clear();
        checked();
        return;
    }
    git({u"log"_s, u"--no-decorate"_s, u"--format=%h %s"_s, u"--max-count=%1"_s.arg(kMaxSubjects),
         u"HEAD.."_s + upstreamRef()},
        kGitTimeout, [this](const ProcessResult &logged) {
            m_status.subjects = logged.ok() ? logged.text().trimmed().split(u'\n') : QStringList{};
            checked();
        });
}

void UpdateWatch::checkFailed(const QString &why)
{
    const bool news = m_status.checkError != why;
    m_status.checkError = why;
    m_status.checkedAtMs = QDateTime::currentMSecsSinceEpoch();
    // Said once per cause, not every interval.
    if (news)
        m_updater->log(m_spec.name, u"update check failed: "_s + why);
    setPhase(u"idle"_s);
    if (std::exchange(m_applyQueued, false))
        finishRun(false, u"update refused: the check failed: "_s + why);
}

void UpdateWatch::checked()
{
    m_status.checkError.clear();
    m_status.checkedAtMs = QDateTime::currentMSecsSinceEpoch();
    setPhase(u"idle"_s);
    if (std::exchange(m_applyQueued, false)) {
        beginApply(true);
        return;
    }
    if (m_status.behind == 0 || m_status.ahead > 0 || m_status.targetRefused())
        return;
    if (m_spec.update.mode == UpdateSpec::Mode::Auto) {
        beginApply(false);
        return;
    }
    if (m_notified == m_status.target)
        return;
    m_notified = m_status.target;
    saveState();
    const QString text = u"%1: %2 new commit(s) on %3 (%4); use Update to apply"_s.arg(
        m_spec.name, QString::number(m_status.behind), m_status.upstream, m_status.subjects.value(0));
    m_updater->log(m_spec.name, u"update available: "_s + text);
    emit m_updater->updateAvailable(m_spec.name, text);
}

void UpdateWatch::requestApply()
{
    m_applyQueued = true;
    if (!m_status.isBusy())
        check();
}

// ---- applying --------------------------------------------------------------

void UpdateWatch::step(const QString &name, bool ok, const QString &message, const QString &output)
{
    QJsonObject s{{u"time"_s, QDateTime::currentDateTime().toString(Qt::ISODateWithMs)},
                  {u"step"_s, name},
                  {u"ok"_s, ok},
                  {u"message"_s, message}};
    const QString out = output.right(kReportOutput);
    if (!out.isEmpty())
        s.insert(u"output"_s, out);
    m_run->steps.append(s);
    m_run->text << u"[%1] %2: %3"_s.arg(ok ? u"ok"_s : u"FAILED"_s, name, message);
    if (!out.trimmed().isEmpty())
        m_run->text << u"    "_s + out.trimmed().replace(u'\n', u"\n    "_s);
    m_updater->log(m_spec.name, u"update %1: %2"_s.arg(name, message));
}

void UpdateWatch::beginApply(bool manual)
{
    m_run = std::make_unique<Run>();
    m_run->manual = manual;
    m_run->startedAt = QDateTime::currentDateTime();
    m_run->from = m_status.head;
    m_run->target = m_status.target;
    setPhase(u"updating"_s);
    emit m_updater->applyStarted(m_spec.name, m_run->target);
    step(u"begin"_s, true,
         u"%1 update of %2 from %3 to %4 (%5 commit(s) on %6)"_s.arg(
             manual ? u"requested"_s : u"automatic"_s, m_repo, shortSha(m_run->from), shortSha(m_run->target),
             QString::number(m_status.behind), m_status.upstream));
    if (m_updater->m_fleet->isShuttingDown()) {
        refuse(u"Lifeline is shutting down"_s);
        return;
    }
    if (m_status.behind == 0) {
        finishRun(true, u"already up to date with %1 at %2"_s.arg(m_status.upstream, shortSha(m_run->from)));
        return;
    }
    if (m_status.ahead > 0) {
        refuse(u"history diverged: %1 has %2 local commit(s) not on %3, so it cannot be fast-forwarded; "
               u"Lifeline never resets a branch (merge or rebase it yourself)"_s.arg(
                   m_branch, QString::number(m_status.ahead), m_status.upstream));
        return;
    }
    if (m_status.targetRefused())
        step(u"begin"_s, true,
             u"%1 was rolled back before; applied again because you asked"_s.arg(shortSha(m_run->target)));
    git({u"status"_s, u"--porcelain"_s, u"--untracked-files=no"_s}, kGitTimeout,
        [this](const ProcessResult &r) {
            if (!r.ok()) {
                refuse(u"git status: "_s + r.describe(kGitTimeout));
                return;
            }
            const QString changes = r.text().trimmed();
            if (changes.isEmpty()) {
                mergeForward();
                return;
            }
            const QString files = firstLines(changes, 5);
            if (m_spec.update.dirty == UpdateSpec::Dirty::Refuse) {
                refuse(u"the work tree has local changes (%1); they are never overwritten: commit or stash "
                       u"them, or set update.dirty = \"stash\""_s.arg(files));
                return;
            }
            const QString message = u"lifeline: local changes before updating to %1 (%2)"_s.arg(
                shortSha(m_run->target), m_run->startedAt.toString(Qt::ISODate));
            // A stash is a commit: made as Lifeline, it needs no identity of the person's.
            git({u"-c"_s, u"user.name=Lifeline"_s, u"-c"_s, u"user.email=lifeline@localhost"_s, u"stash"_s,
                 u"push"_s, u"--message"_s, message},
                kGitTimeout, [this, files, message](const ProcessResult &stashed) {
                    if (!stashed.ok()) {
                        refuse(u"git stash: "_s + stashed.describe(kGitTimeout));
                        return;
                    }
                    m_run->stashed = true;
                    step(u"stash"_s, true,
                         u"local changes (%1) stashed as \"%2\"; `git stash pop` brings them back"_s.arg(
                             files, message));
                    mergeForward();
                });
        });
}

void UpdateWatch::refuse(const QString &why)
{
    step(u"refused"_s, false, why);
    finishRun(false, u"update to %1 refused: %2"_s.arg(shortSha(m_run->target), why));
}

void UpdateWatch::mergeForward()
{
    // `git pull --ff-only` is fetch + merge --ff-only: the fetch was this
    // run's own, and merging the sha it checked (not whatever the remote has
    // by now) is what makes the refused-commit list hold.
    git({u"merge"_s, u"--ff-only"_s, u"--no-edit"_s, m_run->target}, kGitTimeout,
        [this](const ProcessResult &r) {
            if (!r.ok()) {
                refuse(u"git merge --ff-only %1: %2"_s.arg(shortSha(m_run->target), r.describe(kGitTimeout)));
                return;
            }
            step(u"pull"_s, true,
                 u"fast-forwarded %1 from %2 to %3"_s.arg(m_branch, shortSha(m_run->from),
                                                          shortSha(m_run->target)),
                 r.text());
            build(
                [this] {
                    restartAndVerify(
                        [this] {
                            m_status.head = m_run->target;
                            m_status.behind = 0;
                            m_status.subjects.clear();
                            finishRun(true, u"updated to %1"_s.arg(shortSha(m_run->target)));
                        },
                        [this](const QString &why) { rollBack(why); });
                },
                [this](const QString &why) { rollBack(why); });
        });
}

void UpdateWatch::build(std::function<void()> ok, std::function<void(const QString &)> failed)
{
    if (m_spec.update.build.isEmpty()) {
        ok();
        return;
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (auto it = m_spec.env.cbegin(); it != m_spec.env.cend(); ++it)
        env.insert(it.key(), it.value());
    const QString argv = m_spec.update.build.join(u' ');
    run(m_spec.update.build, env, kBuildTimeout, [this, argv, ok, failed](const ProcessResult &r) {
        if (!r.ok()) {
            const QString why = u"build `%1` failed: %2"_s.arg(argv, r.describe(kBuildTimeout));
            step(u"build"_s, false, why, r.text());
            failed(why);
            return;
        }
        step(u"build"_s, true, u"`%1` succeeded"_s.arg(argv), r.text());
        ok();
    });
}

void UpdateWatch::restartAndVerify(std::function<void()> ok, std::function<void(const QString &)> failed)
{
    ServiceSupervisor *s = m_updater->m_fleet->service(m_spec.name);
    if (!s) {
        failed(u"the service is gone"_s);
        return;
    }
    const ServiceState state = s->state();
    if (state == ServiceState::Stopped || state == ServiceState::Exited || state == ServiceState::Fatal) {
        step(u"restart"_s, true,
             u"the service is %1: not started, nothing to verify"_s.arg(stateName(state)));
        ok();
        return;
    }
    setPhase(u"verifying"_s);
    const Millis timeout = m_spec.update.verifyTimeout;
    const bool hasHealth = s->health() && m_spec.health.enabled();
    // Without a health check: running this long without an exit counts as healthy.
    const Millis stableFor = std::min(m_spec.stableAfter, timeout / 2);

    auto *verification = new QObject(this);
    auto *deadline = new QTimer(verification);
    auto *stable = new QTimer(verification);
    deadline->setSingleShot(true);
    stable->setSingleShot(true);
    auto started = std::make_shared<bool>(false);
    auto done = std::make_shared<bool>(false);
    const auto conclude = [this, verification, done, ok, failed](bool good, const QString &why) {
        if (std::exchange(*done, true))
            return;
        verification->deleteLater();
        verification->disconnect();
        if (good) {
            step(u"verify"_s, true, why);
            ok();
        } else {
            step(u"verify"_s, false, why);
            failed(why);
        }
    };
    connect(s, &ServiceSupervisor::started, verification, [=, this] {
        *started = true;
        if (!hasHealth)
            stable->start(stableFor);
    });
    connect(s, &ServiceSupervisor::stateChanged, verification, [=, this](ServiceState, ServiceState to) {
        const bool broke = to == ServiceState::Backoff || to == ServiceState::Exited ||
                           to == ServiceState::Fatal || (*started && to != ServiceState::Running);
        if (!broke)
            return;
        const QString error = s->lastError().isEmpty() ? s->lastReason() : s->lastError();
        conclude(false, u"it went %1 during verification%2"_s.arg(
                            stateName(to), error.isEmpty() ? QString() : u": "_s + error));
    });
    connect(s, &ServiceSupervisor::healthChanged, verification,
            [=, this](Health health, const QString &reason) {
                if (!*started)
                    return;
                if (health == Health::Healthy)
                    conclude(true, u"healthy after the restart ("_s + reason + u')');
                else if (health == Health::Unhealthy)
                    conclude(false, u"unhealthy after the restart: "_s + reason);
            });
    connect(stable, &QTimer::timeout, verification, [=, this] {
        conclude(true,
                 u"running for %1 after the restart (no health check)"_s.arg(formatDuration(stableFor)));
    });
    connect(deadline, &QTimer::timeout, verification, [=, this] {
        QString last;
        if (s->health() && s->health()->lastResult())
            last = u"; last check: "_s + s->health()->lastResult()->reason;
        conclude(false, (*started ? u"not healthy within %1"_s : u"not started within %1"_s)
                                .arg(formatDuration(timeout)) +
                            last);
    });
    deadline->start(timeout);
    QString error;
    if (!m_updater->m_fleet->restart(m_spec.name, &error)) {
        conclude(false, u"restart refused: "_s + error);
        return;
    }
    step(u"restart"_s, true,
         u"restarted; waiting up to %1 for it to %2"_s.arg(
             formatDuration(timeout), hasHealth ? u"become healthy"_s : u"stay running"_s));
}

void UpdateWatch::rollBack(const QString &reason)
{
    m_run->reason = reason;
    setPhase(u"rolling back"_s);
    // reset --keep moves the branch back to the commit this run moved it
    // from and changes only the files that differ between the two; a file
    // changed locally in between (by the build) is kept, or the reset stops
    // rather than overwrite it. Nothing of the person's is lost either way.
    git({u"reset"_s, u"--keep"_s, m_run->from}, kGitTimeout, [this](const ProcessResult &r) {
        if (!r.ok()) {
            const QString why =
                u"git reset --keep %1: %2"_s.arg(shortSha(m_run->from), r.describe(kGitTimeout));
            step(u"rollback"_s, false, why, r.text());
            rolledBack(false, why);
            return;
        }
        step(u"rollback"_s, true, u"%1 back at %2"_s.arg(m_branch, shortSha(m_run->from)));
        build(
            [this] {
                restartAndVerify([this] { rolledBack(true, {}); },
                                 [this](const QString &why) { rolledBack(false, why); });
            },
            [this](const QString &why) { rolledBack(false, why); });
    });
}

void UpdateWatch::rolledBack(bool restored, const QString &detail)
{
    if (!m_status.refused.contains(m_run->target))
        m_status.refused.append(m_run->target);
    saveState();
    if (restored)
        m_status.head = m_run->from;
    QString text = u"update to %1 rolled back: %2"_s.arg(shortSha(m_run->target), m_run->reason);
    if (!restored)
        text += u"; and the old code did not come back: "_s + detail;
    emit m_updater->alertRaised(m_spec.name, restored ? 1 : 2, u"update of %1 rolled back"_s.arg(m_spec.name),
                                text);
    finishRun(false, text);
}

void UpdateWatch::finishRun(bool ok, const QString &summary)
{
    QString path;
    if (m_run) {
        path = saveReport(ok, summary);
        m_run.reset();
    }
    m_status.lastResult = summary;
    if (!path.isEmpty())
        m_status.lastReport = path;
    m_updater->log(m_spec.name, summary + (path.isEmpty() ? QString() : u" (report: "_s + path + u')'));
    setPhase(u"idle"_s);
    emit m_updater->finished(m_spec.name, ok, summary, path);
}

QString UpdateWatch::saveReport(bool ok, const QString &summary)
{
    const QString dir = m_updater->m_fleet->stateDir() + u"/update"_s;
    QDir().mkpath(dir);
    const QString stamp = m_run->startedAt.toString(u"yyyyMMdd-HHmmss"_s);
    QString base = dir + u'/' + stamp + u'-' + m_spec.name;
    for (int n = 2; QFileInfo::exists(base + u".txt"_s); ++n)
        base = dir + u'/' + stamp + u'-' + m_spec.name + u'-' + QString::number(n);
    QJsonObject json{{u"service"_s, m_spec.name},
                     {u"repo"_s, m_repo},
                     {u"upstream"_s, m_status.upstream},
                     {u"from"_s, m_run->from},
                     {u"target"_s, m_run->target},
                     {u"ok"_s, ok},
                     {u"summary"_s, summary},
                     {u"started"_s, m_run->startedAt.toString(Qt::ISODateWithMs)},
                     {u"finished"_s, QDateTime::currentDateTime().toString(Qt::ISODateWithMs)},
                     {u"steps"_s, m_run->steps}};
    const QString text = u"Lifeline update of %1 (%2)\n%3\n\n%4\n"_s.arg(
        m_spec.name, m_run->startedAt.toString(Qt::ISODate), summary, m_run->text.join(u'\n'));
    for (const auto &[path, data] :
         {std::pair{base + u".json"_s, QJsonDocument(json).toJson(QJsonDocument::Indented)},
          std::pair{base + u".txt"_s, text.toUtf8()}}) {
        QSaveFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
            m_updater->log(m_spec.name,
                           u"update report not saved: cannot write %1: %2"_s.arg(path, f.errorString()));
            return {};
        }
    }
    return base + u".txt"_s;
}

QString UpdateWatch::statePath() const
{
    return m_updater->m_fleet->stateDir() + u"/update/"_s + m_spec.name + u".state.json"_s;
}

void UpdateWatch::loadState()
{
    const QFileInfo info(statePath());
    if (!info.exists() && !info.isSymLink())
        return;
    QFile f(statePath());
    // A state file is a few lines. Anything else is not ours, and a FIFO
    // would block the engine in open().
    const QString problem = !info.isFile()                 ? u"not a regular file"_s
                            : info.size() > 1024 * 1024    ? u"larger than 1 MiB"_s
                            : !f.open(QIODevice::ReadOnly) ? f.errorString()
                                                           : QString();
    if (!problem.isEmpty()) {
        m_updater->log(m_spec.name, u"update state %1 not read (%2): commits rolled back before may be "
                                    u"applied again"_s.arg(f.fileName(), problem));
        return;
    }
    const QJsonObject o = QJsonDocument::fromJson(f.read(1024 * 1024)).object();
    for (const QJsonValue &v : o.value(u"refused"_s).toArray()) {
        if (v.isString() && !m_status.refused.contains(v.toString()))
            m_status.refused.append(v.toString());
    }
    m_notified = o.value(u"notified"_s).toString();
}

void UpdateWatch::saveState()
{
    QDir().mkpath(QFileInfo(statePath()).path());
    const QJsonObject o{{u"refused"_s, QJsonArray::fromStringList(m_status.refused)},
                        {u"notified"_s, m_notified}};
    const QByteArray data = QJsonDocument(o).toJson(QJsonDocument::Indented);
    QSaveFile f(statePath());
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit())
        m_updater->log(m_spec.name,
                       u"update state not saved: cannot write %1: %2"_s.arg(statePath(), f.errorString()));
}

// ---- Updater ---------------------------------------------------------------

Updater::Updater(Fleet *fleet, QObject *parent)
    : QObject(parent)
    , m_fleet(fleet)
{
    sync();
}

Updater::~Updater() = default;

Millis Updater::fetchTimeout(Millis interval)
{
    return std::min(interval / 2, Millis(120'000));
}

void Updater::sync()
{
    QSet<QString> keep;
    for (const ServiceSpec &spec : m_fleet->config().services) {
        if (!spec.update.enabled)
            continue;
        keep.insert(spec.name);
        if (UpdateWatch *w = m_watches.value(spec.name)) {
            w->setSpec(spec);
            continue;
        }
        auto *w = new UpdateWatch(this, spec);
        m_watches.insert(spec.name, w);
        // The first check soon, not an interval after Lifeline started.
        QMetaObject::invokeMethod(w, &UpdateWatch::check, Qt::QueuedConnection);
    }
    for (auto it = m_watches.begin(); it != m_watches.end();) {
        if (keep.contains(it.key())) {
            ++it;
            continue;
        }
        delete it.value();
        const QString name = it.key();
        it = m_watches.erase(it);
        emit statusChanged(name);
    }
}

QStringList Updater::services() const
{
    QStringList out;
    for (const ServiceSpec &spec : m_fleet->config().services) {
        if (m_watches.contains(spec.name))
            out << spec.name;
    }
    return out;
}

UpdateStatus Updater::status(const QString &name) const
{
    const UpdateWatch *w = m_watches.value(name);
    return w ? w->status() : UpdateStatus{};
}

bool Updater::check(const QString &name, QString *error)
{
    UpdateWatch *w = m_watches.value(name);
    if (!w) {
        if (error)
            *error = u"service \"%1\" has no [service.update]"_s.arg(name);
        return false;
    }
    w->check();
    return true;
}

bool Updater::apply(const QString &name, QString *error)
{
    UpdateWatch *w = m_watches.value(name);
    const auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (!w)
        return fail(m_fleet->service(name) ? u"service \"%1\" has no [service.update]"_s.arg(name)
                                           : u"unknown service \"%1\""_s.arg(name));
    if (m_fleet->isShuttingDown())
        return fail(u"update %1 refused: Lifeline is shutting down"_s.arg(name));
    const QString phase = w->status().phase;
    if (phase != u"idle"_s && phase != u"checking"_s)
        return fail(u"%1 is already being updated (%2)"_s.arg(name, phase));
    w->requestApply();
    return true;
}

void Updater::log(const QString &service, const QString &text)
{
    if (m_fleet->eventLog())
        m_fleet->eventLog()->write(service, text);
    emit eventLogged(service, text);
}

} // namespace lifeline
