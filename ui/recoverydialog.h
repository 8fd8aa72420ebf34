// The emergency recovery window (design.md, "Emergency recovery"): one
// confirmation that lists exactly what will be done, live progress per step,
// and the saved report.
//
//   page 1  the dry-run plan (PIDs to stop, leftovers, port holders, files
//           to clean, logs to back up), the consent checkbox for foreign
//           port holders (off by default) and a big "Recover now";
//   page 2  one row per step: icon, status, message, and what it found;
//   page 3  the summary, the text report and "Open report".
//
// The run belongs to the Recovery object, not to this window: closing or
// deleting the dialog during a run does not stop it, and a dialog opened
// while a run is going shows its progress.
#pragma once

#include "recovery/recoverytypes.h"

#include <QDialog>
#include <QPointer>

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace lifeline {

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

    // "Open report" also opens the file with the desktop's viewer unless
    // this is false (tests); reportOpenRequested() is emitted either way.
    void setOpenReportExternally(bool open) { m_openExternally = open; }

    // For tests (and for a person's keyboard): the widgets that matter.
    QTreeWidget *planView() const { return m_planView; }
    QCheckBox *consentBox() const { return m_consent; }
    QPushButton *recoverButton() const { return m_recover; }
    QLabel *planErrorLabel() const { return m_planError; }
    QTreeWidget *progressView() const { return m_progressView; }
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *resultLabel() const { return m_result; }
    QPlainTextEdit *reportView() const { return m_reportText; }
    QPushButton *openReportButton() const { return m_openReport; }

signals:
    void reportOpenRequested(const QString &path);

private:
    void buildPlanPage();
    void buildProgressPage();
    void buildResultPage();
    void startRecovery();
    void showSteps(const QList<RecoveryStep> &steps);
    void onStepChanged(int index, const RecoveryStep &step);
    void onFinished(const RecoveryReport &report);
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
    // page 3
    QLabel *m_result = nullptr;
    QPlainTextEdit *m_reportText = nullptr;
    QPushButton *m_openReport = nullptr;
    QString m_reportPath;
    bool m_openExternally = true;
};

} // namespace lifeline
