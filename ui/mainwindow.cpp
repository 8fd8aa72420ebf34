#include "mainwindow.h"

#include "engine/engineclient.h"
#include "servicedetailpane.h"
#include "serviceeditor.h"
#include "servicetablemodel.h"
#include "servicetableview.h"
#include "uistyle.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDesktopServices>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenu>
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
    setWindowTitle(tr("Lifeline"));
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
        menu->addSeparator();
        menu->addAction(m_editService);
        menu->addAction(m_removeService);
        menu->addSeparator();
        menu->addAction(m_openLogs);
        menu->popup(m_table->viewport()->mapToGlobal(pos));
    });
    connect(m_table, &QTableView::doubleClicked, this, [this] { m_detail->setFocus(); });
    connect(engine, &EngineClient::serviceStateChanged, this, [this] {
        updateActions();
        updateBanner();
    });
    connect(engine, &EngineClient::serviceHealthChanged, this, [this] { updateBanner(); });
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
    auto *tb = addToolBar(tr("Services"));
    tb->setObjectName(QStringLiteral("servicesToolbar"));
    tb->setMovable(false);
    tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);

    auto act = [this](const QString &text, const QKeySequence &key, UiStyle::Glyph glyph, int sev) {
        auto *a = new QAction(UiStyle::badgeIcon(UiStyle::severityColor(sev), glyph), text, this);
        a->setShortcut(key);
        a->setToolTip(QStringLiteral("%1 (%2)").arg(text, key.toString(QKeySequence::NativeText)));
        return a;
    };
    m_start = act(tr("Start"), QKeySequence(Qt::CTRL | Qt::Key_S), UiStyle::Glyph::Check, 0);
    m_stop = act(tr("Stop"), QKeySequence(Qt::CTRL | Qt::Key_T), UiStyle::Glyph::Pause, -1);
    m_restart = act(tr("Restart"), QKeySequence(Qt::CTRL | Qt::Key_R), UiStyle::Glyph::Dots, 1);
    m_restartDependents = act(tr("Restart with dependents"), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_R),
                              UiStyle::Glyph::Dots, 1);
    m_restartAll =
        act(tr("Restart all"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R), UiStyle::Glyph::Dots, 1);
    m_openLogs = act(tr("Open log folder"), QKeySequence(Qt::CTRL | Qt::Key_L), UiStyle::Glyph::Dots, -1);
    m_recovery = act(tr("Emergency recovery…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E),
                     UiStyle::Glyph::Exclamation, 2);
    m_addService = new QAction(tr("Add service…"), this);
    m_editService = new QAction(tr("Edit service…"), this);
    m_removeService = new QAction(tr("Remove service…"), this);
    m_settings = new QAction(tr("Settings…"), this);
    m_settings->setShortcut(QKeySequence::Preferences);
    m_quit = new QAction(tr("Quit Lifeline"), this);
    m_quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));

    tb->addAction(m_start);
    tb->addAction(m_stop);
    tb->addAction(m_restart);
    tb->addAction(m_restartDependents);
    tb->addSeparator();
    tb->addAction(m_restartAll);
    tb->addSeparator();
    tb->addAction(m_openLogs);
    auto *more = new QToolButton(tb);
    more->setText(tr("Configure"));
    more->setPopupMode(QToolButton::InstantPopup);
    auto *moreMenu = new QMenu(more);
    moreMenu->addAction(m_addService);
    moreMenu->addAction(m_editService);
    moreMenu->addAction(m_removeService);
    moreMenu->addSeparator();
    moreMenu->addAction(m_settings);
    moreMenu->addSeparator();
    moreMenu->addAction(m_quit);
    more->setMenu(moreMenu);
    tb->addWidget(more);
    addAction(m_recovery); // shortcut works window-wide; the big button shows it
    addAction(m_quit);

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
    connect(m_restartAll, &QAction::triggered, m_engine, &EngineClient::restartAll);
    connect(m_openLogs, &QAction::triggered, this, [this] {
        QDesktopServices::openUrl(QUrl::fromLocalFile(m_engine->stateDir() + QStringLiteral("/logs")));
    });
    connect(m_recovery, &QAction::triggered, this, &MainWindow::emergencyRecoveryRequested);
    connect(m_recoveryButton, &QPushButton::clicked, this, &MainWindow::emergencyRecoveryRequested);
    connect(m_quit, &QAction::triggered, this, &MainWindow::quitRequested);
    connect(m_settings, &QAction::triggered, this, &MainWindow::settingsRequested);
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
        auto *box =
            new QMessageBox(QMessageBox::Question, tr("Remove service"),
                            tr("Remove \"%1\" from %2?\nA copy of the file is kept as .bak. The service "
                               "keeps running until Lifeline restarts.")
                                .arg(name, m_engine->config().path),
                            QMessageBox::Yes | QMessageBox::Cancel, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        connect(box, &QMessageBox::accepted, this, [this, name] {
            QString error;
            if (!ServiceEditor::remove(m_engine->config().path, name, &error))
                showNotice(error, 2);
        });
        box->open();
    });
}

ServiceView *MainWindow::selectedService() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? nullptr : m_table->serviceAt(rows.constFirst());
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
    m_editService->setEnabled(s != nullptr);
    m_removeService->setEnabled(s != nullptr);
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
    const QColor c = UiStyle::severityColor(worst); // -1: neutral grey
    m_banner->setStyleSheet(QStringLiteral("QLabel#banner { color: %1; padding: 4px 2px; }").arg(c.name()));
    statusBar()->showMessage(tr("Config: %1 · state: %2").arg(m_engine->config().path, m_engine->stateDir()));
}

void MainWindow::saveState()
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), QMainWindow::saveState());
    settings.setValue(QStringLiteral("window/splitter"), m_splitter->saveState());
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
    const QString selected = settings.value(QStringLiteral("window/selected")).toString();
    selectService(selected);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveState();
    if (m_hideOnClose) {
        // The tray keeps Lifeline reachable; the services keep running.
        hide();
        event->ignore();
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
    emit visibilityChanged(true);
}

void MainWindow::hideEvent(QHideEvent *event)
{
    QMainWindow::hideEvent(event);
    emit visibilityChanged(false);
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::WindowStateChange && isMinimized() && m_hideOnClose) {
        // Minimise goes to the tray when there is one.
        QMetaObject::invokeMethod(this, &QWidget::hide, Qt::QueuedConnection);
    }
}

} // namespace lifeline
