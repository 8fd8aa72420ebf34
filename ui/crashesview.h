// The Crashes tab of a service: its crash records, newest first (time,
// cause, exit), and the one selected shown whole, read-only, with a
// "Copy as Markdown" button. Everything is asked of the engine through
// the EngineClient; a new record of the service refreshes the list.
#pragma once

#include "diagnostics/crashrecord.h"

#include <QWidget>

#include <optional>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

namespace lifeline {

class EngineClient;

class CrashesView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CrashesView)

public:
    explicit CrashesView(EngineClient *engine, QWidget *parent = nullptr);
    ~CrashesView() override;

    // Empty: no service, nothing listed.
    void setService(const QString &name);
    QString service() const { return m_service; }
    // Selects the record of the crash at about `timeMs` (a notification's
    // moment) once the list has come: the newest one no later than a few
    // seconds after it, else the newest.
    void showCrashNear(qint64 timeMs);

    QTreeWidget *list() const { return m_list; }
    QPlainTextEdit *text() const { return m_text; }
    QPushButton *copyButton() const { return m_copy; }
    // The record shown; nullopt while none is.
    std::optional<CrashRecord> shownRecord() const { return m_shown; }

signals:
    // A record arrived and is shown.
    void recordShown(qint64 id);

private:
    void onListed(const QString &service, const QList<CrashSummary> &crashes);
    void onFetched(const QString &service, qint64 id, bool found, const CrashRecord &record);
    void onSelectionChanged();
    void selectNear(qint64 timeMs);

    EngineClient *m_engine;
    QString m_service;
    QList<CrashSummary> m_crashes;
    std::optional<CrashRecord> m_shown;
    qint64 m_wanted = 0;                // the id being fetched
    std::optional<qint64> m_selectNear; // showCrashNear() waiting for the list
    QTreeWidget *m_list = nullptr;
    QPlainTextEdit *m_text = nullptr;
    QPushButton *m_copy = nullptr;
    QLabel *m_empty = nullptr;
};

} // namespace lifeline
