// The main window: lays out the service table, the detail pane and the
// actions, and forwards a person's intents to the EngineClient. No process, network
// or /proc work happens here.
#pragma once

#include "servicetableview.h"

#include <QMainWindow>
#include <QPointer>

class QAction;
class QLabel;
class QPushButton;
class QSplitter;
class QTableView;
class QTabWidget;

namespace lifeline {

class EngineClient;
class ServiceView;
class ServiceTableModel;
class ServiceDetailPane;

class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(EngineClient *engine, QWidget *parent = nullptr);
    ~MainWindow() override;

    ServiceTableModel *model() const { return m_model; }
    ServiceTableView *table() const { return m_table; }
    // The service selected in the table, or nullptr.
    ServiceView *selectedService() const;
    void selectService(const QString &name);

    // With a tray, closing hides the window; without one it asks to quit
    // (quitRequested) and stays open until the app decides.
    void setHideOnClose(bool hide) { m_hideOnClose = hide; }
    bool hideOnClose() const { return m_hideOnClose; }

    // The actions, for tests and for the tray to share shortcuts.
    QAction *startAction() const { return m_start; }
    QAction *stopAction() const { return m_stop; }
    QAction *restartAction() const { return m_restart; }
    QAction *restartDependentsAction() const { return m_restartDependents; }
    QAction *restartAllAction() const { return m_restartAll; }
    QAction *recoveryAction() const { return m_recovery; }
    QAction *openLogsAction() const { return m_openLogs; }
    QAction *editServiceAction() const { return m_editService; }
    QAction *removeServiceAction() const { return m_removeService; }
    QPushButton *recoveryButton() const { return m_recoveryButton; }
    QLabel *banner() const { return m_banner; }
    ServiceDetailPane *detailPane() const { return m_detail; }

    // Shown in the banner for a while: config reloads, failed edits.
    void showNotice(const QString &text, int severity);

signals:
    void emergencyRecoveryRequested();
    void settingsRequested();
    void quitRequested();
    void visibilityChanged(bool visible);

protected:
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void createActions();
    void followSelection();
    void updateActions();
    void updateBanner();
    void saveState();
    void restoreState();

    EngineClient *m_engine;
    ServiceTableModel *m_model;
    ServiceTableView *m_table;
    ServiceDetailPane *m_detail;
    QSplitter *m_splitter;
    QLabel *m_banner;
    QPushButton *m_recoveryButton;
    QAction *m_start = nullptr;
    QAction *m_stop = nullptr;
    QAction *m_restart = nullptr;
    QAction *m_restartDependents = nullptr;
    QAction *m_restartAll = nullptr;
    QAction *m_openLogs = nullptr;
    QAction *m_recovery = nullptr;
    QAction *m_quit = nullptr;
    QAction *m_addService = nullptr;
    QAction *m_editService = nullptr;
    QAction *m_removeService = nullptr;
    QAction *m_settings = nullptr;
    QString m_notice;
    int m_noticeSeverity = 0;
    bool m_hideOnClose = false;
};

} // namespace lifeline
