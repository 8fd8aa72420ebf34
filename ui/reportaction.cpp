#include "reportaction.h"

#include "diagnostics/diagnosticreport.h"
#include "engine/engineclient.h"

#include <QAction>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>

namespace lifeline {

ReportAction::ReportAction(EngineClient *engine, QWidget *window)
    : QObject(window)
    , m_engine(engine)
    , m_window(window)
    , m_action(new QAction(tr("Create &diagnostic report…"), this))
    , m_opener([](const QUrl &url) { return QDesktopServices::openUrl(url); })
{
    m_action->setObjectName(QStringLiteral("createReport"));
    m_action->setStatusTip(tr("Save a Markdown report to attach to a bug report: states, restarts, health, "
                              "resources, the last recovery and the configuration with secrets masked"));
    connect(m_action, &QAction::triggered, this, &ReportAction::ask);
    connect(m_engine, &EngineClient::reportWritten, this, &ReportAction::onWritten);
}

void ReportAction::ask()
{
    const QString suggested = defaultReportPath(m_engine->stateDir());
    if (!qEnvironmentVariableIsEmpty("LIFELINE_NO_DIALOGS")) {
        save(suggested);
        return;
    }
    auto *dialog = new QFileDialog(m_window, tr("Save diagnostic report"), suggested,
                                   tr("Markdown (*.md);;All files (*)"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(QStringLiteral("md"));
    QDir().mkpath(QFileInfo(suggested).absolutePath());
    connect(dialog, &QFileDialog::fileSelected, this, &ReportAction::save);
    dialog->open();
}

void ReportAction::save(const QString &path)
{
    m_pending = path;
    m_engine->writeReport(path);
}

void ReportAction::onWritten(const QString &path, const QString &error)
{
    if (path != m_pending)
        return;
    m_pending.clear();
    if (!error.isEmpty()) {
        emit notice(error, 2);
        return;
    }
    emit notice(tr("Diagnostic report saved to %1").arg(path), 0);
    delete m_offer;
    m_offer =
        new QMessageBox(QMessageBox::Information, tr("Diagnostic report saved"),
                        tr("The report was saved to\n%1\n\nIt lists your services, their recent history "
                           "and your configuration with secrets masked: read it before you share it.")
                            .arg(path),
                        QMessageBox::Close, m_window);
    m_offer->setObjectName(QStringLiteral("reportSaved"));
    m_offer->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *open = m_offer->addButton(tr("Open folder"), QMessageBox::ActionRole);
    open->setObjectName(QStringLiteral("openReportFolder"));
    const QString folder = QFileInfo(path).absolutePath();
    connect(open, &QPushButton::clicked, this, [this, folder] {
        if (!m_opener(QUrl::fromLocalFile(folder)))
            emit notice(
                tr("Nothing on this desktop opens folders (is xdg-open installed?): the report is in %1")
                    .arg(folder),
                1);
    });
    m_offer->open();
}

} // namespace lifeline
