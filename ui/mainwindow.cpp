#include "mainwindow.h"

#include "importdialog.h"

#include "buildinfo.h"
#include "config/configwriter.h"
#include "engine/engineclient.h"
#include "profilemenu.h"
#include "repairdialog.h"
#include "reportaction.h"
#include "servicedetailpane.h"
#include "serviceeditor.h"
#include "servicetablemodel.h"
#include "servicetableview.h"
#include "uistyle.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDesktopServices>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

// The qrc lives in the static lifeline_ui library: make sure it is registered.
static void initResources()
{
    Q_INIT_RESOURCE(lifeline);
}

namespace lifeline {

MainWindow::MainWindow(EngineClient *engine, QWidget *parent)
    : QMainWindow(parent)
    , m_engine(engine)
    , m_model(new ServiceTableModel(engine, this))
{
    initResources();
    // Qt adds " — Lifeline" (the display name) to any other title: "prod — Lifeline".
    const auto title = [this] {
        const QString profile = m_engine->config().profile;
        return profile.isEmpty() ? tr("Lifeline") : profile;
    };
    setWindowTitle(title());
    connect(m_engine, &EngineClient::configChanged, this, [this, title] { setWindowTitle(title()); });
    setWindowIcon(QIcon(QStringLiteral(":/icons/lifeline.svg")));
    setMinimumSize(800, 500);

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(8, 6, 8, 6);
    layout->setSpacing(6);

    // The banner: one sentence on how things are, in the worst state's colour.
    auto *top = new QHBoxLayout;
    m_banner = new QLabel(central);
    m_banner->setObjectName(QStringLiteral("banner"));
    m_banner->setTextFormat(Qt::PlainText);
    m_banner->setWordWrap(true);
    QFont bannerFont = m_banner->font();
    bannerFont.setPointSizeF(bannerFont.pointSizeF() * 1.15);
    bannerFont.setBold(true);
    m_banner->setFont(bannerFont);
    top->addWidget(m_banner, 1);

    // Where a panicking person looks first: top right, red, big.
    m_recoveryButton = new QPushButton(tr("Emergency recovery…"), central);
    m_recoveryButton->setObjectName(QStringLiteral("recoveryButton"));
    m_recoveryButton->setIcon(UiStyle::badgeIcon(UiStyle::severityColor(2), UiStyle::Glyph::Exclamation));
    m_recoveryButton->setMinimumHeight(34);
    m_recoveryButton->setStyleSheet(
        QStringLiteral("QPushButton#recoveryButton { background: #c62828; color: white; font-weight: bold; "
                       "border-radius: 4px;"
                       " padding: 4px 14px; }"
                       "QPushButton#recoveryButton:hover { background: #b71c1c; }"
                       "QPushButton#recoveryButton:focus { outline: 2px solid #ffb300; }"));
    m_recoveryButton->setToolTip(tr("Stop everything, end leftover processes, clean up, back up logs, start "
                                    "again and verify (Ctrl+Shift+E)"));
    top->addWidget(m_recoveryButton);
    layout->addLayout(top);

    m_splitter = new QSplitter(Qt::Vertical, central);
    m_table = new ServiceTableView(m_model, m_splitter);
    m_detail = new ServiceDetailPane(engine, m_splitter);
    m_splitter->addWidget(m_table);
    m_splitter->addWidget(m_detail);
    m_splitter->setStretchFactor(0, 2);
    m_splitter->setStretchFactor(1, 3);
    layout->addWidget(m_splitter, 1);
    setCentralWidget(central);

    createActions();
    followPalette();

    // The selection is the one source of truth for "the selected service". A
    // mouse press moves the current index before it selects (QAbstractItemView::
    // mousePressEvent), the keyboard selects first: following currentRowChanged
    // read a half-updated selection on every click.
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::followSelection);
    connect(m_table, &QTableView::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex idx = m_table->indexAt(pos);
        if (idx.isValid() && selectedService() != m_table->serviceAt(idx))
            m_table->selectRow(idx.row());
        // popup(), not exec(): no nested event loop on the GUI thread.
        auto *menu = new QMenu(this);
        menu->setObjectName(QStringLiteral("serviceContextMenu"));
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->addAction(m_start);
        menu->addAction(m_stop);
        menu->addAction(m_restart);
        menu->addAction(m_restartDependents);
        menu->addAction(m_repair);
        menu->addAction(m_update);
        menu->addSeparator();
        menu->addAction(m_editService);
        menu->addAction(m_removeService);
        menu->addSeparator();
        menu->addAction(m_openLogFile);
        menu->addAction(m_openLogs);
        menu->popup(m_table->viewport()->mapToGlobal(pos));
    });
    connect(m_table, &QTableView::doubleClicked, this, [this] { m_detail->setFocus(); });
    connect(engine, &EngineClient::serviceStateChanged, this, [this] {
        updateActions();
        updateBanner();
    });
    connect(engine, &EngineClient::serviceHealthChanged, this, [this] { updateBanner(); });
    connect(engine, &EngineClient::serviceUpdated, this, [this](const QString &name) {
        if (const ServiceView *s = selectedService(); s && s->name() == name)
            updateActions();
    });
    connect(engine, &EngineClient::updateFinished, this,
            [this](const QString &name, bool ok, const QString &summary) {
                showNotice(name + QStringLiteral(": ") + summary, ok ? 0 : 2);
            });
    connect(engine, &EngineClient::waitingChanged, this, [this] { updateBanner(); });
    // The model has already dropped the row; the pane must not keep showing
    // a service that is gone (its supervisor is deleted next).
    connect(engine, &EngineClient::serviceRemoved, this, [this] {
        followSelection();
        updateBanner();
    });
    connect(engine, &EngineClient::serviceAdded, this, [this] { updateBanner(); });

    restoreState();
    updateActions();
    updateBanner();
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    // Only shortcuts a desktop user already knows (no Ctrl+S = Start); the
    // per-service actions act on the selected row. Mnemonics differ per menu.
    auto act = [this](const QString &text, const QString &icon, const QKeySequence &key = {}) {
        auto *a = new QAction(text, this);
        a->setProperty("iconName", icon);
        a->setShortcut(key);
        const QString plain = QString(text).remove(QLatin1Char('&'));
        a->setToolTip(key.isEmpty()
                          ? plain
                          : QStringLiteral("%1 (%2)").arg(plain, key.toString(QKeySequence::NativeText)));
        return a;
    };
    m_start = act(tr("&Start"), QStringLiteral("start"));
    m_stop = act(tr("St&op"), QStringLiteral("stop"));
    m_restart = act(tr("&Restart"), QStringLiteral("restart"), QKeySequence(Qt::CTRL | Qt::Key_R));
    m_restartDependents = act(tr("Restart with &dependents"), QStringLiteral("restart"));
    m_update = act(tr("&Update"), QStringLiteral("update"));
    m_update->setObjectName(QStringLiteral("updateAction"));
    m_startAll = act(tr("Start &all"), QStringLiteral("start-all"));
    m_stopAll = act(tr("Sto&p all"), QStringLiteral("stop-all"));
    m_restartAll = act(tr("Restar&t all"), QStringLiteral("restart-all"),
                       QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    m_openLogFile = act(tr("Open &log file"), QStringLiteral("log"));
    m_openLogs = act(tr("Open log &folder"), QStringLiteral("folder"));
    m_recovery = act(tr("Emergency re&covery…"), QStringLiteral("recovery"),
                     QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    m_repair = act(tr("Repa&ir…"), QStringLiteral("settings"));
    m_repair->setToolTip(tr("Stop the service, run its [service.repair] steps, start it again"));
    m_addService = act(tr("Add ser&vice…"), QStringLiteral("add"), QKeySequence::New);
    m_editService = act(tr("&Edit service…"), QStringLiteral("edit"));
    m_removeService = act(tr("Re&move service…"), QStringLiteral("remove"), QKeySequence::Delete);
    // Only while the table has the focus: Delete in a text field edits text.
    m_removeService->setShortcutContext(Qt::WidgetShortcut);
    m_table->addAction(m_removeService);
    // QKeySequence::Preferences is empty on Linux desktops; Ctrl+, is what
    // GNOME and KDE applications use.
    m_settings = act(tr("&Settings…"), QStringLiteral("settings"), QKeySequence(Qt::CTRL | Qt::Key_Comma));
    m_settings->setMenuRole(QAction::PreferencesRole);
    m_quit = act(tr("&Quit"), QStringLiteral("quit"), QKeySequence(Qt::CTRL | Qt::Key_Q));
    m_quit->setMenuRole(QAction::QuitRole);
    m_openConfig = act(tr("&Open config…"), QStringLiteral("config"), QKeySequence::Open);
    m_revealConfig = act(tr("Reveal config in &folder"), QStringLiteral("folder"));
    m_import = act(tr("&Import from Procfile, supervisord or PM2…"), QStringLiteral("add"));
    m_import->setObjectName(QStringLiteral("importAction"));
    m_help = act(tr("Lifeline &README"), QStringLiteral("help"), QKeySequence(Qt::Key_F1));
    m_about = act(tr("&About Lifeline"), QStringLiteral("about"));
    m_about->setMenuRole(QAction::AboutRole);
    m_showSystem = act(tr("&System overview"), QStringLiteral("system"));
    m_showSystem->setCheckable(true);
    m_showSystem->setToolTip(tr("The machine's CPU, memory and disk, and every service's events"));

    auto *tb = addToolBar(tr("Services"));
    tb->setObjectName(QStringLiteral("servicesToolbar"));
    tb->setMovable(false);
    tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tb->addAction(m_start);
    tb->addAction(m_stop);
    tb->addAction(m_restart);
    tb->addSeparator();
    tb->addAction(m_startAll);
    tb->addAction(m_stopAll);
    tb->addAction(m_restartAll);
    tb->addSeparator();
    tb->addAction(m_openLogFile);
    tb->addAction(m_editService);
    addAction(m_recovery); // shortcut works window-wide; the big button shows it

    connect(m_start, &QAction::triggered, this, [this] {
        if (auto *s = selectedService())
            m_engine->start(s->name());
    });
    connect(m_stop, &QAction::triggered, this, [this] {
        if (auto *s = selectedService())
            m_engine->stop(s->name());
    });
    connect(m_restart, &QAction::triggered, this, [this] {
        if (auto *s = selectedService())
            m_engine->restart(s->name());
    });
    connect(m_restartDependents, &QAction::triggered, this, [this] {
        if (auto *s = selectedService())
            m_engine->restartWithDependents(s->name());
    });
    connect(m_update, &QAction::triggered, this, [this] {
        QString error;
        if (const ServiceView *s = selectedService(); s && !m_engine->applyUpdate(s->name(), &error))
            showNotice(error, 2);
    });
    connect(m_startAll, &QAction::triggered, m_engine, &EngineClient::startAll);
    connect(m_stopAll, &QAction::triggered, m_engine, &EngineClient::stopAll);
    connect(m_restartAll, &QAction::triggered, m_engine, &EngineClient::restartAll);
    connect(m_openLogs, &QAction::triggered, this,
            [this] { openPath(m_engine->stateDir() + QStringLiteral("/logs"), tr("the log folder")); });
    connect(m_openLogFile, &QAction::triggered, this, [this] {
        if (auto *s = selectedService())
            openPath(s->logPath(), tr("the log of %1").arg(s->name()));
    });
    connect(m_openConfig, &QAction::triggered, this,
            [this] { openPath(m_engine->config().path, tr("the configuration")); });
    connect(m_revealConfig, &QAction::triggered, this, [this] {
        openPath(QFileInfo(m_engine->config().path).absolutePath(), tr("the configuration's folder"));
    });
    connect(m_help, &QAction::triggered, this, [this] {
        const QString readme = readmePath();
        if (readme.isEmpty())
            showNotice(tr("The README is not installed with this build (share/doc/lifeline)"), 1);
        else
            openPath(readme, tr("the README"));
    });
    connect(m_about, &QAction::triggered, this, &MainWindow::showAbout);
    connect(m_showSystem, &QAction::triggered, this, [this] {
        selectService(QString());
        m_showSystem->setChecked(true);
    });
    connect(m_recovery, &QAction::triggered, this, &MainWindow::emergencyRecoveryRequested);
    connect(m_repair, &QAction::triggered, this, [this] {
        if (auto *s = selectedService()) {
            // Not modal: the window stays usable while a repair runs.
            auto *dialog = new RepairDialog(m_engine, s->name(), this);
            dialog->show();
        }
    });
    connect(m_engine, &EngineClient::configChanged, this, &MainWindow::updateActions);
    connect(m_recoveryButton, &QPushButton::clicked, this, &MainWindow::emergencyRecoveryRequested);
    connect(m_quit, &QAction::triggered, this, &MainWindow::quitRequested);
    connect(m_settings, &QAction::triggered, this, &MainWindow::settingsRequested);
    connect(m_import, &QAction::triggered, this, [this] {
        auto *dialog = new ImportDialog(m_engine->config().path, ImportDialog::Mode::Add, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &ImportDialog::saved, this, [this](const QString &, int count) {
            showNotice(tr("Services imported: %1. They start as the configuration reloads.").arg(count), 0);
        });
        dialog->open();
    });
    connect(m_addService, &QAction::triggered, this,
            [this] { ServiceEditor::add(m_engine->config().path, this); });
    connect(m_editService, &QAction::triggered, this, [this] {
        if (auto *s = selectedService())
            ServiceEditor::edit(m_engine->config().path, s->spec(), this);
    });
    connect(m_removeService, &QAction::triggered, this, [this] {
        auto *s = selectedService();
        if (!s)
            return;
        const QString name = s->name();
        const QString path = m_engine->config().path;
        // What really happens: the file changes, and the live reload stops the
        // service at once (its whole process tree) and drops it from the table.
        auto *box = new QMessageBox(
            QMessageBox::Question, tr("Remove service"),
            tr("Remove \"%1\"?\n\nIt is stopped now, with every process it started, and its "
               "[[service]] table is removed from %2 (the previous file is kept as %3). Its log files "
               "stay in %4.")
                .arg(name, path, ConfigWriter::backupPath(path),
                     m_engine->stateDir() + QStringLiteral("/logs")),
            QMessageBox::Cancel, this);
        box->setObjectName(QStringLiteral("removeServiceDialog"));
        box->setAttribute(Qt::WA_DeleteOnClose);
        QPushButton *remove = box->addButton(tr("Stop and remove"), QMessageBox::DestructiveRole);
        remove->setObjectName(QStringLiteral("stopAndRemove"));
        box->setDefaultButton(QMessageBox::Cancel);
        connect(box, &QMessageBox::finished, this, [this, box, remove, name, path] {
            if (box->clickedButton() != remove)
                return;
            QString error;
            if (!ServiceEditor::remove(path, name, &error))
                showNotice(error, 2);
        });
        box->open();
    });
    m_report = new ReportAction(m_engine, this);
    connect(m_report, &ReportAction::notice, this, &MainWindow::showNotice);
    createMenus();
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("fileMenu"));
    file->addAction(m_openConfig);
    file->addAction(m_revealConfig);
    file->addAction(m_import);
    file->addSeparator();
    file->addAction(m_settings);
    file->addSeparator();
    file->addAction(m_quit);

    QMenu *services = menuBar()->addMenu(tr("&Services"));
    services->setObjectName(QStringLiteral("servicesMenu"));
    services->addAction(m_startAll);
    services->addAction(m_stopAll);
    services->addAction(m_restartAll);
    services->addSeparator();
    services->addSection(tr("Selected service"));
    services->addAction(m_start);
    services->addAction(m_stop);
    services->addAction(m_restart);
    services->addAction(m_restartDependents);
    services->addAction(m_repair);
    services->addAction(m_update);
    services->addAction(m_openLogFile);
    services->addAction(m_editService);
    services->addAction(m_removeService);
    services->addSeparator();
    services->addAction(m_addService);
    services->addAction(m_openLogs);
    services->addSeparator();
    services->addAction(m_recovery);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->setObjectName(QStringLiteral("viewMenu"));
    // The same ranges as the buttons above the charts, kept in step with them
    // (the buttons are what the settings' default range sets).
    auto *ranges = new QActionGroup(this);
    ranges->setExclusive(true);
    for (ChartRange r :
         {ChartRange::FiveMinutes, ChartRange::OneHour, ChartRange::OneDay, ChartRange::SevenDays}) {
        auto *a = view->addAction(tr("Last %1").arg(chartRangeLabel(r)));
        a->setCheckable(true);
        a->setChecked(m_detail->range() == r);
        ranges->addAction(a);
        connect(a, &QAction::triggered, this, [this, r] { m_detail->setRange(r); });
        if (QToolButton *b = m_detail->rangeButton(r))
            connect(b, &QToolButton::toggled, a, [a](bool on) {
                if (on)
                    a->setChecked(true);
            });
    }
    view->addSeparator();
    view->addAction(m_showSystem);
    view->addSeparator();
    view->addMenu(new ProfileMenu(m_engine, view));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName(QStringLiteral("helpMenu"));
    help->addAction(m_help);
    help->addAction(m_report->action());
    help->addAction(m_about);
}

void MainWindow::followPalette()
{
    const QColor ink = palette().color(QPalette::ButtonText);
    for (QAction *a : findChildren<QAction *>()) {
        const QString name = a->property("iconName").toString();
        if (!name.isEmpty())
            a->setIcon(UiStyle::actionIcon(name, ink));
    }
    for (MetricsChart *c : m_detail->charts())
        UiStyle::styleChart(c->chart(), palette());
}

void MainWindow::openPath(const QString &path, const QString &what)
{
    if (!QDesktopServices::openUrl(QUrl::fromLocalFile(path)))
        showNotice(tr("Nothing on this desktop opens %1 (is xdg-open installed?): it is %2").arg(what, path),
                   1);
}

QString MainWindow::readmePath()
{
    const QStringList candidates{
        QCoreApplication::applicationDirPath() + QStringLiteral("/../share/doc/lifeline/README.md"),
        BuildInfo::sourceDir() + QStringLiteral("/README.md"),
    };
    for (const QString &c : candidates) {
        if (QFileInfo::exists(c))
            return QFileInfo(c).canonicalFilePath();
    }
    return {};
}

QString MainWindow::aboutText() const
{
    const QString commit = BuildInfo::gitCommit();
    return tr("Lifeline %1%2\n"
              "Keeps the backends on this machine alive.\n\n"
              "Qt %3 (built with %4)\n"
              "Configuration: %5\n"
              "State (logs, history, reports): %6")
        .arg(QStringLiteral(LIFELINE_VERSION), commit.isEmpty() ? QString() : tr(" (commit %1)").arg(commit),
             QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR), m_engine->config().path,
             m_engine->stateDir());
}

void MainWindow::showAbout()
{
    auto *box =
        new QMessageBox(QMessageBox::NoIcon, tr("About Lifeline"), aboutText(), QMessageBox::Close, this);
    box->setObjectName(QStringLiteral("aboutDialog"));
    box->setIconPixmap(windowIcon().pixmap(64, 64));
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

ServiceView *MainWindow::selectedService() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? nullptr : m_table->serviceAt(rows.constFirst());
}

void MainWindow::showCrash(const QString &name, qint64 timeMs)
{
    selectService(name);
    m_detail->showCrashNear(timeMs);
}

void MainWindow::selectService(const QString &name)
{
    const QModelIndex index = m_table->indexOf(name);
    if (!index.isValid()) {
        m_table->selectionModel()->setCurrentIndex({}, QItemSelectionModel::Clear);
    } else {
        m_table->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect |
                                                              QItemSelectionModel::Rows);
        m_table->scrollTo(index);
    }
    followSelection();
}

void MainWindow::followSelection()
{
    ServiceView *s = selectedService();
    if (m_detail->service() != s)
        m_detail->setService(s);
    updateActions();
}

void MainWindow::updateActions()
{
    const ServiceView *s = selectedService();
    const ServiceState st = s ? s->state() : ServiceState::Stopped;
    m_start->setEnabled(s && !isRunningState(st));
    m_stop->setEnabled(s && (isRunningState(st) || st == ServiceState::Backoff));
    m_restart->setEnabled(s != nullptr);
    m_restartDependents->setEnabled(s && !m_engine->dependentsOf(s->name()).isEmpty());
    m_update->setEnabled(s && s->update().canApply());
    m_update->setToolTip(s && s->update().enabled ? s->update().describe()
                                                  : tr("Update from git (needs [service.update])"));
    m_editService->setEnabled(s != nullptr);
    m_removeService->setEnabled(s != nullptr);
    m_openLogFile->setEnabled(s != nullptr);
    const ServiceSpec *spec = s ? m_engine->config().service(s->name()) : nullptr;
    m_repair->setEnabled(spec && spec->repair.enabled());
    m_showSystem->setChecked(s == nullptr);
}

void MainWindow::showNotice(const QString &text, int severity)
{
    m_notice = text;
    m_noticeSeverity = severity;
    updateBanner();
    QTimer::singleShot(15000, this, [this, text] {
        if (m_notice == text) {
            m_notice.clear();
            updateBanner();
        }
    });
}

void MainWindow::updateBanner()
{
    int running = 0, worst = 0;
    QStringList needPerson, watching;
    const auto services = m_engine->services();
    for (const ServiceView *s : services) {
        if (s->state() == ServiceState::Running)
            ++running;
        const int sev = ServiceTableModel::severity(s);
        worst = std::max(worst, sev);
        if (sev == 2)
            needPerson << s->name();
        else if (sev == 1)
            watching << s->name();
    }
    QString text;
    if (!needPerson.isEmpty()) {
        text = tr("%1 need%2 attention — restart it, or use Emergency recovery")
                   .arg(needPerson.join(QStringLiteral(", ")),
                        needPerson.size() == 1 ? QStringLiteral("s") : QString());
    } else if (!watching.isEmpty()) {
        text = tr("%1 of %2 services running · %3 restarting or starting")
                   .arg(running)
                   .arg(services.size())
                   .arg(watching.join(QStringLiteral(", ")));
    } else if (running == 0 && !services.isEmpty()) {
        // Nothing is wrong, and nothing is running either: not a green "all good".
        text = tr("0 of %1 running · all stopped").arg(services.size());
        worst = -1;
    } else {
        text = tr("%1 of %2 services running · all good").arg(running).arg(services.size());
    }
    if (!m_notice.isEmpty()) {
        text = m_notice + QStringLiteral("  ·  ") + text;
        worst = std::max(worst, m_noticeSeverity);
    }
    m_banner->setText(text);
    // -1: neutral grey; lighter on a dark palette so it stays readable.
    const QColor c = UiStyle::severityTextColor(worst, palette());
    worst < 0 ? UiStyle::secondaryTextColor(palette()) : UiStyle::severityTextColor(worst, palette());
    m_banner->setStyleSheet(QStringLiteral("QLabel#banner { color: %1; padding: 4px 2px; }").arg(c.name()));
    statusBar()->showMessage(tr("Config: %1 · state: %2").arg(m_engine->config().path, m_engine->stateDir()));
}

void MainWindow::saveState()
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), QMainWindow::saveState());
    settings.setValue(QStringLiteral("window/splitter"), m_splitter->saveState());
    settings.setValue(QStringLiteral("window/tab"), m_detail->tabs()->currentIndex());
    const ServiceView *s = selectedService();
    settings.setValue(QStringLiteral("window/selected"), s ? s->name() : QString());
}

void MainWindow::restoreState()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1100, 700);
    QMainWindow::restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_splitter->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray());
    m_detail->tabs()->setCurrentIndex(settings.value(QStringLiteral("window/tab"), 0).toInt());
    const QString selected = settings.value(QStringLiteral("window/selected")).toString();
    selectService(selected);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_hideOnClose) {
        // The tray keeps Lifeline reachable; the services keep running.
        hide();
        event->ignore();
        QSettings settings;
        if (!settings.value(QStringLiteral("window/toldClosesToTray")).toBool()) {
            settings.setValue(QStringLiteral("window/toldClosesToTray"), true);
            emit firstClosedToTray(tr("Lifeline keeps running in the tray and keeps your services alive. "
                                      "Quit it from the tray menu or with Ctrl+Q."));
        }
        return;
    }
    // Without a tray, closing asks to quit; the window stays until the quit
    // is decided (it may be cancelled) and the app hides it itself.
    event->ignore();
    emit quitRequested();
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    m_engine->setWindowShown(!isMinimized());
    emit visibilityChanged(true);
}

void MainWindow::hideEvent(QHideEvent *event)
{
    // Closing to the tray and quitting (the app hides the window) both pass here.
    saveState();
    QMainWindow::hideEvent(event);
    m_engine->setWindowShown(false);
    emit visibilityChanged(false);
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        followPalette(); // a switch to or from a dark theme while running
        updateBanner();
    }
    if (event->type() == QEvent::WindowStateChange)
        m_engine->setWindowShown(isVisible() && !isMinimized()); // nobody sees a minimised window
    if (event->type() == QEvent::WindowStateChange && isMinimized() && m_hideOnClose) {
        // Minimise goes to the tray when there is one.
        QMetaObject::invokeMethod(this, &QWidget::hide, Qt::QueuedConnection);
    }
}

} // namespace lifeline
