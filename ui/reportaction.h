// Help → "Create diagnostic report…": asks where to save the report (a file
// dialog; with LIFELINE_NO_DIALOGS set, a default path under
// state_dir/reports/), has the engine build and write it, then offers to
// open the folder that holds it. Nothing here waits: the dialog is open()ed
// and the engine answers with EngineClient::reportWritten().
#pragma once

#include <QMessageBox>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

#include <functional>

class QAction;

class QWidget;

namespace lifeline {

class EngineClient;

class ReportAction final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReportAction)

public:
    ReportAction(EngineClient *engine, QWidget *window);

    QAction *action() const { return m_action; }
    // How the folder is opened (QDesktopServices by default); tests replace it.
    void setFolderOpener(std::function<bool(const QUrl &)> opener) { m_opener = std::move(opener); }
    // The "saved, open the folder?" box while it is shown.
    QMessageBox *offer() const { return m_offer; }

signals:
    // For the window's banner: where the report went, or why it did not.
    void notice(const QString &text, int severity);

private:
    void ask();
    void save(const QString &path);
    void onWritten(const QString &path, const QString &error);

    EngineClient *m_engine;
    QWidget *m_window;
    QAction *m_action;
    QString m_pending; // the path asked for, until the engine answers
    QPointer<QMessageBox> m_offer;
    std::function<bool(const QUrl &)> m_opener;
};

} // namespace lifeline
