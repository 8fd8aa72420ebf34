// "Repair…" of one service (issue 14): before anything runs, the dialog
// shows exactly what will: each step's argv, the cwd, the timeout, and that
// the service is stopped first and started again only when every step
// succeeds. "Run" starts it (EngineClient::startRepair); the steps' status
// and their output stream in as they come (the output keeps its last
// kMaxOutputLines lines), and the result ends it.
//
// The run belongs to the engine: closing the dialog does not stop it.
#pragma once

#include "repair/repair.h"

#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

namespace lifeline {

class EngineClient;

class RepairDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RepairDialog)

public:
    static constexpr int kMaxOutputLines = 5000;

    RepairDialog(EngineClient *engine, const QString &service, QWidget *parent = nullptr);
    ~RepairDialog() override;

    QString service() const { return m_plan.service; }
    QTreeWidget *stepsView() const { return m_steps; }
    QPlainTextEdit *outputView() const { return m_output; }
    QLabel *resultLabel() const { return m_result; }
    QLabel *planLabel() const { return m_intro; }
    QPushButton *runButton() const { return m_run; }

private:
    void run();
    void setStep(int index, const QString &status, const QString &detail = QString());
    void onStepFinished(const QString &service, int index, const CommandStepResult &result);
    void onFinished(const RepairReport &report);
    void showResult(const QString &text, bool ok);

    EngineClient *m_engine;
    RepairPlan m_plan;
    QLabel *m_intro;
    QTreeWidget *m_steps;
    QPlainTextEdit *m_output;
    QLabel *m_result;
    QPushButton *m_run;
    QPushButton *m_close;
    bool m_running = false;
};

} // namespace lifeline
