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
class ReportAction;
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
    // The service selected, its Crashes tab open at the record of the crash
    // at about timeMs (a crash notification was clicked).
    void showCrash(const QString &name, qint64 timeMs);

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
    QAction *repairAction() const { return m_repair; }
    QAction *openLogsAction() const { return m_openLogs; }
    QAction *editServiceAction() const { return m_editService; }
    QAction *removeServiceAction() const { return m_removeService; }
    QAction *startAllAction() const { return m_startAll; }
    QAction *stopAllAction() const { return m_stopAll; }
    QAction *openLogFileAction() const { return m_openLogFile; }
    QAction *settingsAction() const { return m_settings; }
    QAction *quitAction() const { return m_quit; }
    QAction *helpAction() const { return m_help; }
    QAction *aboutAction() const { return m_about; }
    ReportAction *reportAction() const { return m_report; }
    QAction *showSystemAction() const { return m_showSystem; }
    QPushButton *recoveryButton() const { return m_recoveryButton; }
    QLabel *banner() const { return m_banner; }
    ServiceDetailPane *detailPane() const { return m_detail; }

    // Shown in the banner for a while: config reloads, failed edits.
    void showNotice(const QString &text, int severity);

    // What Help > About says: version, commit, Qt, the config and state_dir.
    QString aboutText() const;
    // The README the Help action opens: the installed copy, else the source
    // tree's (a build run in place); empty when neither exists.
    static QString readmePath();

signals:
    void emergencyRecoveryRequested();
    void settingsRequested();
    void quitRequested();
    void visibilityChanged(bool visible);
    // The first time ever that closing hid the window to the tray (remembered
    // in QSettings): the tray says once where Lifeline went.
    void firstClosedToTray(const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void createActions();
    void createMenus();
    // Opens a file or folder with the desktop's application; when nothing
    // opens it (no xdg-open, no handler), the banner names the path instead.
    void openPath(const QString &path, const QString &what);
    void showAbout();
    // Icons and charts in the palette's colours (light or dark), again on a change.
    void followPalette();
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
    QAction *m_update = nullptr; // [service.update]: enabled while the selected service is behind
    QAction *m_restartAll = nullptr;
    QAction *m_openLogs = nullptr;
    QAction *m_recovery = nullptr;
    QAction *m_repair = nullptr;
    QAction *m_quit = nullptr;
    QAction *m_addService = nullptr;
    QAction *m_editService = nullptr;
    QAction *m_removeService = nullptr;
    QAction *m_settings = nullptr;
    QAction *m_startAll = nullptr;
    QAction *m_stopAll = nullptr;
    QAction *m_openLogFile = nullptr;
    QAction *m_openConfig = nullptr;
    QAction *m_revealConfig = nullptr;
    QAction *m_import = nullptr;
    QAction *m_help = nullptr;
    QAction *m_about = nullptr;
    ReportAction *m_report = nullptr;
    QAction *m_showSystem = nullptr;
    QString m_notice;
    int m_noticeSeverity = 0;
    bool m_hideOnClose = false;
};

} // namespace lifeline
