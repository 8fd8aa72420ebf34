#include "logview.h"

#include "engine/engineclient.h"
#include "logs/eventlog.h"
#include "uistyle.h"

#include <QClipboard>
#include <QDesktopServices>
#include <QFileInfo>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

namespace lifeline {

namespace {

constexpr int kMaxHighlights = 500;

bool isMarker(const QString &line)
{
    return line.startsWith(QChar(0x2026));
}

} // namespace

bool LogView::isErrorEntry(const QString &line, bool fromStderr)
{
    return (fromStderr && !isMarker(line)) || isErrorLine(line);
}

LogView::LogView(QWidget *parent)
    : QWidget(parent)
    , m_tailer(new LogTailer(this))
    , m_editor(new QPlainTextEdit(this))
    , m_errorsButton(new QToolButton(this))
    , m_pauseButton(new QToolButton(this))
    , m_copyButton(new QToolButton(this))
    , m_folderButton(new QToolButton(this))
    , m_search(new QLineEdit(this))
    , m_status(new QLabel(this))
{
    // A quarter of the tailer's default budget: at 4 ticks a second that is
    // still ~12 000 lines/s on screen, more than anyone reads, and a tick's
    // work (split, filter, insert, trim) stays well under 100 ms in a debug
    // build during a 50 000 lines/s flood.
    m_tailer->setMaxBytesPerTick(256 * 1024);
    m_editor->setReadOnly(true);
    m_editor->setUndoRedoEnabled(false);
    m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_editor->setMaximumBlockCount(m_maxLines);
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);

    m_errorsButton->setText(tr("Errors only"));
    m_errorsButton->setCheckable(true);
    m_errorsButton->setToolTip(tr("Show only ERROR, CRITICAL, Traceback, Exception lines and stderr"));
    m_pauseButton->setText(tr("Pause"));
    m_pauseButton->setCheckable(true);
    m_pauseButton->setToolTip(tr("Freeze the text to read it; new lines are kept and counted"));
    m_copyButton->setText(tr("Copy"));
    m_copyButton->setToolTip(tr("Copy the selection, or everything shown"));
    m_folderButton->setText(tr("Open log folder"));
    m_folderButton->setEnabled(false);
    m_search->setPlaceholderText(tr("Search (Enter: next)"));
    m_search->setClearButtonEnabled(true);
    m_search->setMaximumWidth(260);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(m_errorsButton);
    bar->addWidget(m_search);
    bar->addWidget(m_pauseButton);
    bar->addWidget(m_copyButton);
    bar->addWidget(m_folderButton);
    bar->addStretch(1);
    bar->addWidget(m_status);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_editor, 1);

    connect(m_tailer, &LogTailer::linesAppended, this,
            [this](const QStringList &lines, LogTailer::Stream stream) {
                appendLines(lines, stream == LogTailer::Stream::Err);
            });
    connect(m_errorsButton, &QToolButton::toggled, this, &LogView::setErrorsOnly);
    connect(m_pauseButton, &QToolButton::toggled, this, &LogView::setPaused);
    connect(m_copyButton, &QToolButton::clicked, this, &LogView::copy);
    connect(m_folderButton, &QToolButton::clicked, this, &LogView::openFolder);
    connect(m_search, &QLineEdit::returnPressed, this, [this] { findNext(m_search->text()); });
    connect(m_search, &QLineEdit::textChanged, this, &LogView::highlightMatches);
    updateStatus();
}

LogView::~LogView() = default;

void LogView::setService(ServiceView *service)
{
    if (service)
        setFiles(service->logPath(), service->errLogPath());
    else
        setFiles(QString(), QString());
}

void LogView::setFiles(const QString &outPath, const QString &errPath)
{
    m_tailer->clearFiles();
    m_outPath = outPath;
    m_errPath = errPath;
    if (!outPath.isEmpty())
        m_tailer->addFile(outPath, LogTailer::Stream::Out);
    if (!errPath.isEmpty())
        m_tailer->addFile(errPath, LogTailer::Stream::Err);
    m_folderButton->setEnabled(!outPath.isEmpty());
    m_folderButton->setToolTip(outPath.isEmpty() ? QString() : QFileInfo(outPath).absolutePath());
    clear();
    if (isVisible())
        restartTailer();
}

void LogView::setMaximumLines(int lines)
{
    m_maxLines = std::max(100, lines);
    m_editor->setMaximumBlockCount(m_maxLines);
    while (m_lines.size() > size_t(m_maxLines))
        m_lines.pop_front();
}

void LogView::clear()
{
    m_lines.clear();
    m_pending = 0;
    m_dropped = 0;
    m_editor->clear();
    updateStatus();
}

void LogView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    restartTailer();
}

void LogView::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    // Nobody is looking: stop reading. Showing again reloads the tail, which
    // is cheaper than catching up on what was written meanwhile.
    m_tailer->stop();
}

void LogView::restartTailer()
{
    if (m_tailer->files().isEmpty())
        return;
    clear();
    // The initial tail is shown even while paused; what follows is counted.
    const bool paused = m_paused;
    m_paused = false;
    m_tailer->start(kInitialLines);
    m_paused = paused;
}

bool LogView::isShown(const Line &line) const
{
    return !m_errorsOnly || isErrorEntry(line.text, line.err);
}

void LogView::appendLines(const QStringList &lines, bool fromStderr)
{
    if (lines.isEmpty())
        return;
    // A batch larger than the buffer: only its end can ever be seen.
    const qsizetype first = std::max<qsizetype>(0, lines.size() - m_maxLines);
    m_dropped += first;
    for (qsizetype i = first; i < lines.size(); ++i)
        m_lines.push_back({lines.at(i), fromStderr});
    while (m_lines.size() > size_t(m_maxLines))
        m_lines.pop_front();
    const size_t added = size_t(lines.size() - first);
    if (m_paused) {
        m_pending = int(std::min<qint64>(qint64(m_pending) + qint64(added), std::numeric_limits<int>::max()));
    } else if (added >= size_t(m_maxLines / 4)) {
        // A flood. Trimming thousands of blocks off the top of a full
        // document costs ~100 ms, and laying out the whole buffer again
        // every tick ~50 ms (bench/ui): the newest lines only, into an empty
        // document, take a few. Pausing shows the whole buffer.
        rebuild(true);
    } else {
        insertLines(m_lines, m_lines.size() - added);
        scrollToEnd();
    }
    updateStatus();
}

void LogView::insertLines(const std::deque<Line> &lines, size_t from)
{
    std::vector<const Line *> shown;
    for (size_t i = from; i < lines.size(); ++i) {
        if (isShown(lines[i]))
            shown.push_back(&lines[i]);
    }
    if (shown.empty())
        return;
    const size_t skip = shown.size() > size_t(m_maxLines) ? shown.size() - size_t(m_maxLines) : 0;

    QTextCharFormat normal;
    QTextCharFormat error;
    error.setForeground(UiStyle::severityColor(2));
    QTextCharFormat marker;
    marker.setForeground(UiStyle::severityColor(-1));
    marker.setFontItalic(true);

    QTextDocument *doc = m_editor->document();
    bool atStart = doc->isEmpty();
    QTextCursor cursor(doc);
    cursor.movePosition(QTextCursor::End);
    cursor.beginEditBlock();
    // One insertText() per run of lines with the same look: a 5000-line
    // batch costs a handful of calls, not 5000.
    QString run;
    const QTextCharFormat *runFormat = &normal;
    for (size_t i = skip; i < shown.size(); ++i) {
        const Line &line = *shown[i];
        const QTextCharFormat *format = isMarker(line.text)                 ? &marker
                                        : isErrorEntry(line.text, line.err) ? &error
                                                                            : &normal;
        if (format != runFormat && !run.isEmpty()) {
            cursor.insertText(run, *runFormat);
            run.clear();
        }
        runFormat = format;
        if (!atStart)
            run += QLatin1Char('\n');
        atStart = false;
        run += line.text;
    }
    if (!run.isEmpty())
        cursor.insertText(run, *runFormat);
    cursor.endEditBlock();
}

void LogView::rebuild(bool tailOnly)
{
    m_editor->clear();
    m_pending = 0;
    m_showsTailOnly = tailOnly && m_lines.size() > size_t(kFloodLines);
    insertLines(m_lines, m_showsTailOnly ? m_lines.size() - size_t(kFloodLines) : 0);
    if (!m_search->text().isEmpty())
        highlightMatches();
    scrollToEnd();
    updateStatus();
}

void LogView::scrollToEnd()
{
    QScrollBar *bar = m_editor->verticalScrollBar();
    bar->setValue(bar->maximum());
}

void LogView::setErrorsOnly(bool on)
{
    if (m_errorsButton->isChecked() != on)
        m_errorsButton->setChecked(on); // comes back here through toggled()
    if (m_errorsOnly == on)
        return;
    m_errorsOnly = on;
    rebuild();
}

void LogView::setPaused(bool paused)
{
    if (m_pauseButton->isChecked() != paused)
        m_pauseButton->setChecked(paused);
    if (m_paused == paused)
        return;
    m_paused = paused;
    if (paused && m_showsTailOnly)
        rebuild(); // to read: all of it, frozen
    else if (!paused && m_pending > 0)
        rebuild();
    else if (!paused)
        scrollToEnd();
    updateStatus();
}

bool LogView::findNext(const QString &text)
{
    if (text.isEmpty())
        return false;
    bool found = m_editor->find(text);
    if (!found) {
        // Wrap around to the top.
        QTextCursor c = m_editor->textCursor();
        c.movePosition(QTextCursor::Start);
        m_editor->setTextCursor(c);
        found = m_editor->find(text);
    }
    if (found) {
        // Keep the match where it is instead of following new lines.
        setPaused(true);
        m_editor->ensureCursorVisible();
    }
    m_search->setStyleSheet(
        found ? QString() : QStringLiteral("QLineEdit { color: %1; }").arg(UiStyle::severityColor(2).name()));
    highlightMatches();
    return found;
}

void LogView::highlightMatches()
{
    QList<QTextEdit::ExtraSelection> selections;
    const QString text = m_search->text();
    if (!text.isEmpty()) {
        QTextDocument *doc = m_editor->document();
        QTextCursor c(doc);
        QColor background = UiStyle::severityColor(1);
        background.setAlpha(90);
        while (selections.size() < kMaxHighlights) {
            c = doc->find(text, c);
            if (c.isNull())
                break;
            QTextEdit::ExtraSelection s;
            s.cursor = c;
            s.format.setBackground(background);
            selections.append(s);
        }
    }
    m_editor->setExtraSelections(selections);
}

void LogView::updateStatus()
{
    QString text = tr("%n line(s)", nullptr,
                      m_editor->document()->blockCount() - (m_editor->document()->isEmpty() ? 1 : 0));
    if (m_paused)
        text += tr(" \u00b7 paused, %n new", nullptr, m_pending);
    else
        text += tr(" \u00b7 following");
    if (m_dropped > 0)
        text += tr(" \u00b7 %1 lines came too fast to show").arg(m_dropped);
    m_status->setText(text);
    m_pauseButton->setText(m_paused ? (m_pending > 0 ? tr("Resume (%1 new)").arg(m_pending) : tr("Resume"))
                                    : tr("Pause"));
}

void LogView::copy()
{
    const QString selected = m_editor->textCursor().selectedText();
    // selectedText() uses U+2029 between paragraphs.
    QString text = selected.isEmpty() ? m_editor->toPlainText() : selected;
    text.replace(QChar::ParagraphSeparator, QLatin1Char('\n'));
    QGuiApplication::clipboard()->setText(text);
}

void LogView::openFolder()
{
    if (m_outPath.isEmpty())
        return;
    QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(m_outPath).absolutePath()));
}

} // namespace lifeline
