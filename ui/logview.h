// The live log of a service (its .log and .err.log, followed by a LogTailer)
// or of Lifeline itself (lifeline.log). Memory is bounded however much the
// service writes: the editor keeps at most maximumLines() blocks and the view
// keeps the same number of recent lines to re-filter from.
//
// stdout and stderr come merged in the order they were written (the
// logger's order index, logtailer.h); stderr lines carry a mark in the gutter
// and the error colour.
//
// Pause freezes the text: new lines are kept (in the bounded buffer) and
// counted, but the editor is not touched, so what a person is reading or
// selecting neither scrolls away nor is trimmed off the top. Moving to a
// search match pauses too, for the same reason. Either way a bar above the
// text says so, with the count of new lines and a Resume button; resuming
// redraws from the buffer and follows the end again.
#pragma once

#include "logs/logtailer.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <deque>
#include <vector>

class QFrame;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTextBlock;
class QToolButton;

namespace lifeline {

class ServiceView;

class LogView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LogView)

public:
    static constexpr int kDefaultMaximumLines = 5000;
    static constexpr int kInitialLines = 500;

    explicit LogView(QWidget *parent = nullptr);
    ~LogView() override;

    // The service's stdout and stderr logs; nullptr clears.
    void setService(ServiceView *service);
    // Any pair of files (errPath may be empty); lines of errPath are stderr.
    void setFiles(const QString &outPath, const QString &errPath = QString());
    QString outPath() const { return m_outPath; }

    void setMaximumLines(int lines);
    int maximumLines() const { return m_maxLines; }
    static constexpr int kFloodLines = 500;
    bool showsTailOnly() const { return m_showsTailOnly; }

    void setErrorsOnly(bool on);
    bool errorsOnly() const { return m_errorsOnly; }
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    // Lines that arrived while paused (not yet shown).
    int pendingLines() const { return m_pending; }

    // Selects the next (previous) match from the cursor, wrapping; false
    // when none. Enter and F3 go to the next, with Shift to the previous.
    bool findNext(const QString &text);
    bool findPrevious(const QString &text);

    // What the tailer calls; public for tests and the bench.
    void appendEntries(const QList<LogTailer::Line> &lines);
    void appendLines(const QStringList &lines, bool fromStderr);
    void clear();

    QPlainTextEdit *editor() const { return m_editor; }
    LogTailer *tailer() const { return m_tailer; }
    QToolButton *errorsButton() const { return m_errorsButton; }
    QToolButton *pauseButton() const { return m_pauseButton; }
    QToolButton *copyButton() const { return m_copyButton; }
    QToolButton *openFolderButton() const { return m_folderButton; }
    QLineEdit *searchField() const { return m_search; }
    QToolButton *previousMatchButton() const { return m_previousButton; }
    QToolButton *nextMatchButton() const { return m_nextButton; }
    // "3 of 17", "17 matches", "No matches"; empty without a search.
    QLabel *matchLabel() const { return m_matchLabel; }
    QLabel *statusLabel() const { return m_status; }
    // Shown while paused: "Paused — N new lines", with resumeButton().
    QFrame *pauseBar() const { return m_pauseBar; }
    QLabel *pauseLabel() const { return m_pauseLabel; }
    QToolButton *resumeButton() const { return m_resumeButton; }
    // Over the empty text when nothing passes the errors-only filter.
    QLabel *placeholder() const { return m_placeholder; }

    // A line the service wrote to stderr (marked in the gutter).
    static bool isStderrBlock(const QTextBlock &block);

    // Error lines: isErrorLine() (ERROR, CRITICAL, Traceback, Exception, ...)
    // or anything the service wrote to stderr.
    static bool isErrorEntry(const QString &line, bool fromStderr);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    struct Line
    {
        QString text;
        bool err = false;
    };
    enum class PauseReason
    {
        Person, // the Pause button
        Search, // moved to a search match
    };
    bool isShown(const Line &line) const;
    void pause(PauseReason reason);
    bool find(const QString &text, bool backward);
    void insertLines(const std::deque<Line> &lines, size_t from);
    // Everything in the buffer; tailOnly: only the newest kFloodLines (a
    // flood, which nobody reads line by line until they pause it).
    void rebuild(bool tailOnly = false);
    void restartTailer();
    void updateStatus();
    void scrollToEnd();
    void highlightMatches();
    void updateMatchLabel();
    void updatePauseBar();
    void copy();
    void openFolder();

    LogTailer *m_tailer;
    QPlainTextEdit *m_editor;
    QToolButton *m_errorsButton;
    QToolButton *m_pauseButton;
    QToolButton *m_copyButton;
    QToolButton *m_folderButton;
    QLineEdit *m_search;
    QToolButton *m_previousButton;
    QToolButton *m_nextButton;
    QLabel *m_matchLabel;
    QLabel *m_status;
    QFrame *m_pauseBar;
    QLabel *m_pauseLabel;
    QToolButton *m_resumeButton;
    QLabel *m_placeholder;
    QString m_outPath;
    QString m_errPath;
    std::deque<Line> m_lines; // the newest m_maxLines lines, unfiltered
    int m_maxLines = kDefaultMaximumLines;
    int m_pending = 0;
    qint64 m_dropped = 0; // lines that never reached the view (batches bigger than the buffer)
    bool m_errorsOnly = false;
    bool m_paused = false;
    PauseReason m_pauseReason = PauseReason::Person;
    bool m_showsTailOnly = false; // a flood shows only its newest lines until paused
};

} // namespace lifeline
