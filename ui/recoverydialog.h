// The emergency recovery window (design.md, "Emergency recovery"): one
// confirmation that lists exactly what will be done, live progress per step,
// and the saved report.
//
//   page 1  the dry-run plan (PIDs to stop, leftovers, port holders, files
//           to clean, logs to back up), the consent checkbox for foreign
//           port holders (off by default) and a big "Recover now";
//   page 2  one row per step: icon, status, its own time, message, and what
//           it found. Ticks are shown at a pace a person can follow (at
//           least kTickPaceMs apart, on the injectable clock), so a run of
//           0.1 s still shows each step being done, in order;
//   page 3  the summary first, then "Open report" and "Copy", then the
//           report grouped by step, wrapped to the window (no sideways
//           scrolling).
//
// The run belongs to the Recovery object, not to this window: closing or
// deleting the dialog during a run does not stop it, and a dialog opened
// while a run is going shows its progress.
#pragma once

#include "recovery/recoverytypes.h"

#include <QDialog>
#include <QPointer>

#include <functional>
#include <optional>

class QCheckBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTextBrowser;
class QTimer;
class QTreeWidget;
class QTreeWidgetItem;

namespace lifeline {

class Clock;
class EngineClient;

class RecoveryDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RecoveryDialog)

public:
    enum Page
    {
        PlanPage = 0,
        ProgressPage = 1,
        ResultPage = 2
    };

    explicit RecoveryDialog(EngineClient *engine, QWidget *parent = nullptr);
    ~RecoveryDialog() override;

    int currentPage() const;
    // Runs the dry run again and shows it (page 1).
    void refreshPlan();
    void showPlan(const RecoveryPlan &plan);

    static constexpr qint64 kTickPaceMs = 150;
    // The clock the ticks are paced on (Clock::system() by default).
    void setClock(const Clock *clock) { m_clock = clock; }

    // "Open report" hands the report's URL to this (QDesktopServices::openUrl
    // by default); when it returns false the dialog says where the file is.
    // reportOpenRequested() is emitted either way.
    void setReportOpener(std::function<bool(const QUrl &)> opener) { m_opener = std::move(opener); }

    // For tests (and for a person's keyboard): the widgets that matter.
    QTreeWidget *planView() const { return m_planView; }
    QCheckBox *consentBox() const { return m_consent; }
    QPushButton *recoverButton() const { return m_recover; }
    QLabel *planErrorLabel() const { return m_planError; }
    QTreeWidget *progressView() const { return m_progressView; }
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *resultLabel() const { return m_result; }
    QTextBrowser *reportView() const { return m_reportText; }
    QPushButton *openReportButton() const { return m_openReport; }
    QPushButton *copyButton() const { return m_copy; }
    QLabel *openNoticeLabel() const { return m_openNotice; }

signals:
    void reportOpenRequested(const QString &path);
    // A step's end (ok, warning, failed, skipped) was shown, at `atMs` on the clock.
    void stepTicked(int index, qint64 atMs);

private:
    void buildPlanPage();
    void buildProgressPage();
    void buildResultPage();
    void startRecovery();
    void showSteps(const QList<RecoveryStep> &steps);
    void onStepChanged(int index, const RecoveryStep &step);
    void showStep(int index, const RecoveryStep &step);
    void showNextSteps();
    void onFinished(const RecoveryReport &report);
    void showResult(const RecoveryReport &report);
    void openReport();

    QPointer<EngineClient> m_engine;
    QStackedWidget *m_pages = nullptr;
    // page 1
    QTreeWidget *m_planView = nullptr;
    QCheckBox *m_consent = nullptr;
    QPushButton *m_recover = nullptr;
    QLabel *m_planError = nullptr;
    // page 2
    QTreeWidget *m_progressView = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_progressNote = nullptr;
    // Step changes not shown yet, in order, and when the last tick was shown.
    QList<std::pair<int, RecoveryStep>> m_queue;
    std::optional<RecoveryReport> m_finished; // shown once the queue is empty
    qint64 m_lastTickMs = 0;
    QTimer *m_pace = nullptr;
    const Clock *m_clock;
    // page 3
    QLabel *m_result = nullptr;
    QTextBrowser *m_reportText = nullptr;
    QPushButton *m_openReport = nullptr;
    QPushButton *m_copy = nullptr;
    QLabel *m_openNotice = nullptr;
    QString m_reportPath;
    QString m_reportPlain;
    std::function<bool(const QUrl &)> m_opener;
};

} // namespace lifeline
