#include "logview.h"

#include "engine/engineclient.h"
#include "logs/eventlog.h"
#include "uistyle.h"

#include <QClipboard>
#include <QDesktopServices>
#include <QEvent>
#include <QFileInfo>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QShortcut>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

namespace lifeline {

namespace {

constexpr int kMaxHighlights = 500;
// Counting further than this would cost a search of the whole buffer per key.
constexpr int kMaxCounted = 10000;
constexpr int kGutterWidth = 6;
// On a block: the service wrote this line to stderr.
constexpr int kStderrProperty = QTextFormat::UserProperty + 1;

bool isMarker(const QString &line)
{
    return line.startsWith(QChar(0x2026));
}

// The text with a gutter on its left that marks stderr lines: colour alone
// does not tell a stderr line from an ERROR line on stdout, and a bar reads
// the same in light and dark palettes.
class LogEditor final : public QPlainTextEdit
{
public:
    explicit LogEditor(QWidget *parent)
        : QPlainTextEdit(parent)
        , m_gutter(new Gutter(this))
        , m_placeholder(new QLabel(this))
    {
        setViewportMargins(kGutterWidth, 0, 0, 0);
        m_gutter->setToolTip(LogView::tr("Marked: written to stderr"));
        connect(this, &QPlainTextEdit::updateRequest, m_gutter, [this](const QRect &rect, int dy) {
            if (dy != 0)
                m_gutter->scroll(0, dy);
            else
                m_gutter->update(0, rect.y(), m_gutter->width(), rect.height());
        });
        m_placeholder->setAlignment(Qt::AlignCenter);
        m_placeholder->setWordWrap(true);
        m_placeholder->setForegroundRole(QPalette::PlaceholderText);
        m_placeholder->hide();
    }

    QLabel *placeholder() const { return m_placeholder; }

protected:
    void resizeEvent(QResizeEvent *event) override
    {
        QPlainTextEdit::resizeEvent(event);
        const QRect r = contentsRect();
        m_gutter->setGeometry(r.left(), r.top(), kGutterWidth, r.height());
        m_placeholder->setGeometry(r.adjusted(kGutterWidth + 12, 12, -12, -12));
    }

private:
    class Gutter final : public QWidget
    {
    public:
        explicit Gutter(LogEditor *editor)
            : QWidget(editor)
            , m_editor(editor)
        {}

    protected:
        void paintEvent(QPaintEvent *event) override { m_editor->paintGutter(event->rect()); }

    private:
        LogEditor *m_editor;
    };

    void paintGutter(const QRect &area)
    {
        QPainter painter(m_gutter);
        const QColor mark = UiStyle::severityColor(2);
        const QPointF offset = contentOffset();
        for (QTextBlock block = firstVisibleBlock(); block.isValid(); block = block.next()) {
            const QRectF geometry = blockBoundingGeometry(block).translated(offset);
            if (geometry.top() > area.bottom())
                break;
            if (LogView::isStderrBlock(block))
                painter.fillRect(QRectF(1, geometry.top(), kGutterWidth - 2, geometry.height()), mark);
        }
    }

    Gutter *m_gutter;
    QLabel *m_placeholder;
};

} // namespace

bool LogView::isErrorEntry(const QString &line, bool fromStderr)
{
    return (fromStderr && !isMarker(line)) || isErrorLine(line);
}

bool LogView::isStderrBlock(const QTextBlock &block)
{
    return block.blockFormat().boolProperty(kStderrProperty);
}

LogView::LogView(QWidget *parent)
    : QWidget(parent)
    , m_tailer(new LogTailer(this))
    , m_editor(new LogEditor(this))
    , m_errorsButton(new QToolButton(this))
    , m_pauseButton(new QToolButton(this))
    , m_copyButton(new QToolButton(this))
    , m_folderButton(new QToolButton(this))
    , m_search(new QLineEdit(this))
    , m_previousButton(new QToolButton(this))
    , m_nextButton(new QToolButton(this))
    , m_matchLabel(new QLabel(this))
    , m_status(new QLabel(this))
    , m_pauseBar(new QFrame(this))
    , m_pauseLabel(new QLabel(m_pauseBar))
    , m_resumeButton(new QToolButton(m_pauseBar))
    , m_placeholder(static_cast<LogEditor *>(m_editor)->placeholder())
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
    m_search->setPlaceholderText(tr("Search"));
    m_search->setToolTip(tr("Enter: next match, Shift+Enter: previous (F3, Shift+F3)"));
    m_search->setClearButtonEnabled(true);
    m_search->setMaximumWidth(260);
    m_search->installEventFilter(this);
    m_previousButton->setArrowType(Qt::UpArrow);
    m_previousButton->setToolTip(tr("Previous match (Shift+F3)"));
    m_nextButton->setArrowType(Qt::DownArrow);
    m_nextButton->setToolTip(tr("Next match (F3)"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_pauseBar->setFrameShape(QFrame::StyledPanel);
    m_pauseBar->setAutoFillBackground(true);
    m_resumeButton->setText(tr("Resume"));
    m_resumeButton->setToolTip(tr("Show the new lines and follow the end again"));
    auto *pauseLayout = new QHBoxLayout(m_pauseBar);
    pauseLayout->setContentsMargins(8, 2, 2, 2);
    pauseLayout->addWidget(m_pauseLabel, 1);
    pauseLayout->addWidget(m_resumeButton);
    m_pauseBar->hide();

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(m_errorsButton);
    bar->addWidget(m_search);
    bar->addWidget(m_previousButton);
    bar->addWidget(m_nextButton);
    bar->addWidget(m_matchLabel);
    bar->addWidget(m_pauseButton);
    bar->addWidget(m_copyButton);
    bar->addWidget(m_folderButton);
    bar->addStretch(1);
    bar->addWidget(m_status);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_pauseBar);
    layout->addWidget(m_editor, 1);

    connect(m_tailer, &LogTailer::linesAppended, this, &LogView::appendEntries);
    connect(m_errorsButton, &QToolButton::toggled, this, &LogView::setErrorsOnly);
    connect(m_pauseButton, &QToolButton::toggled, this, &LogView::setPaused);
    connect(m_resumeButton, &QToolButton::clicked, this, [this] { setPaused(false); });
    connect(m_copyButton, &QToolButton::clicked, this, &LogView::copy);
    connect(m_folderButton, &QToolButton::clicked, this, &LogView::openFolder);
    // Shift+Enter is told apart in eventFilter(); returnPressed is plain Enter.
    connect(m_search, &QLineEdit::returnPressed, this, [this] { findNext(m_search->text()); });
    connect(m_search, &QLineEdit::textChanged, this, &LogView::highlightMatches);
    connect(m_nextButton, &QToolButton::clicked, this, [this] { findNext(m_search->text()); });
    connect(m_previousButton, &QToolButton::clicked, this, [this] { findPrevious(m_search->text()); });
    auto *next = new QShortcut(QKeySequence::FindNext, this);
    next->setContext(Qt::WidgetWithChildrenShortcut);
    connect(next, &QShortcut::activated, this, [this] { findNext(m_search->text()); });
    auto *previous = new QShortcut(QKeySequence::FindPrevious, this);
    previous->setContext(Qt::WidgetWithChildrenShortcut);
    connect(previous, &QShortcut::activated, this, [this] { findPrevious(m_search->text()); });
    updateMatchLabel();
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
    if (!outPath.isEmpty() && !errPath.isEmpty())
        m_tailer->setOrderIndex(LogTailer::orderIndexPath(outPath));
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
    QList<LogTailer::Line> entries;
    entries.reserve(lines.size());
    const LogTailer::Stream stream = fromStderr ? LogTailer::Stream::Err : LogTailer::Stream::Out;
    for (const QString &line : lines)
        entries.append({line, stream});
    appendEntries(entries);
}

void LogView::appendEntries(const QList<LogTailer::Line> &lines)
{
    if (lines.isEmpty())
        return;
    // A batch larger than the buffer: only its end can ever be seen.
    const qsizetype first = std::max<qsizetype>(0, lines.size() - m_maxLines);
    m_dropped += first;
    for (qsizetype i = first; i < lines.size(); ++i)
        m_lines.push_back({lines.at(i).text, lines.at(i).stream == LogTailer::Stream::Err});
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
        if (!m_search->text().isEmpty())
            highlightMatches();
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

    QTextBlockFormat outBlock;
    QTextBlockFormat errBlock;
    errBlock.setProperty(kStderrProperty, true);

    QTextDocument *doc = m_editor->document();
    bool atStart = doc->isEmpty();
    QTextCursor cursor(doc);
    cursor.movePosition(QTextCursor::End);
    cursor.beginEditBlock();
    // One insertText() per run of lines with the same look: a 5000-line
    // batch costs a handful of calls, not 5000. A run starts a block of its
    // own whose format (stderr or not) the run's other lines inherit.
    QString run;
    int runLines = 0;
    const QTextCharFormat *runFormat = &normal;
    bool runErr = false;
    const auto flush = [&] {
        if (runLines == 0)
            return;
        const QTextBlockFormat &block = runErr ? errBlock : outBlock;
        if (atStart)
            cursor.setBlockFormat(block);
        else
            cursor.insertBlock(block, *runFormat);
        atStart = false;
        cursor.insertText(run, *runFormat);
        run.clear();
        runLines = 0;
    };
    for (size_t i = skip; i < shown.size(); ++i) {
        const Line &line = *shown[i];
        const QTextCharFormat *format = isMarker(line.text)                 ? &marker
                                        : isErrorEntry(line.text, line.err) ? &error
                                                                            : &normal;
        if (format != runFormat || line.err != runErr)
            flush();
        runFormat = format;
        runErr = line.err;
        if (runLines++ > 0)
            run += QLatin1Char('\n');
        run += line.text;
    }
    flush();
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
    if (paused) {
        pause(PauseReason::Person);
        return;
    }
    if (m_pauseButton->isChecked())
        m_pauseButton->setChecked(false); // comes back here through toggled()
    if (!m_paused)
        return;
    m_paused = false;
    if (m_pending > 0)
        rebuild();
    else
        scrollToEnd();
    updateStatus();
}

void LogView::pause(PauseReason reason)
{
    if (m_paused)
        return;
    m_paused = true;
    m_pauseReason = reason;
    if (!m_pauseButton->isChecked())
        m_pauseButton->setChecked(true); // back here through toggled(): already paused
    if (m_showsTailOnly)
        rebuild(); // to read: all of it, frozen
    updateStatus();
}

bool LogView::findNext(const QString &text)
{
    return find(text, false);
}

bool LogView::findPrevious(const QString &text)
{
    return find(text, true);
}

bool LogView::find(const QString &text, bool backward)
{
    if (text.isEmpty())
        return false;
    const QTextDocument::FindFlags flags =
        backward ? QTextDocument::FindBackward : QTextDocument::FindFlags();
    bool found = m_editor->find(text, flags);
    if (!found) {
        // Wrap around to the other end.
        QTextCursor c = m_editor->textCursor();
        c.movePosition(backward ? QTextCursor::End : QTextCursor::Start);
        m_editor->setTextCursor(c);
        found = m_editor->find(text, flags);
    }
    if (found) {
        // Keep the match where it is instead of following new lines.
        pause(PauseReason::Search);
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
    updateMatchLabel();
}

void LogView::updateMatchLabel()
{
    const QString text = m_search->text();
    m_previousButton->setEnabled(!text.isEmpty());
    m_nextButton->setEnabled(!text.isEmpty());
    if (text.isEmpty()) {
        m_matchLabel->clear();
        return;
    }
    QTextDocument *doc = m_editor->document();
    const QTextCursor current = m_editor->textCursor();
    int count = 0;
    int currentIndex = 0;
    for (QTextCursor c = doc->find(text, 0); !c.isNull() && count < kMaxCounted; c = doc->find(text, c)) {
        ++count;
        if (current.hasSelection() && c.selectionStart() == current.selectionStart() &&
            c.selectionEnd() == current.selectionEnd())
            currentIndex = count;
    }
    const QString total = count >= kMaxCounted ? tr("%1+").arg(kMaxCounted) : QString::number(count);
    if (count == 0)
        m_matchLabel->setText(tr("No matches"));
    else if (currentIndex > 0)
        m_matchLabel->setText(tr("%1 of %2").arg(currentIndex).arg(total));
    else
        m_matchLabel->setText(tr("%1 matches").arg(total));
}

void LogView::updatePauseBar()
{
    m_pauseBar->setVisible(m_paused);
    if (!m_paused)
        return;
    const QString why =
        m_pauseReason == PauseReason::Search ? tr("Paused at the search match") : tr("Paused");
    m_pauseLabel->setText(m_pending == 1 ? tr("%1 \u2014 1 new line").arg(why)
                                         : tr("%1 \u2014 %2 new lines").arg(why).arg(m_pending));
    // The window's own colours tinted amber: readable in light and dark palettes.
    QPalette palette = m_pauseBar->palette();
    const QColor base = this->palette().color(QPalette::Window);
    const QColor amber = UiStyle::severityColor(1);
    palette.setColor(QPalette::Window, QColor::fromRgbF(base.redF() * 0.75f + amber.redF() * 0.25f,
                                                        base.greenF() * 0.75f + amber.greenF() * 0.25f,
                                                        base.blueF() * 0.75f + amber.blueF() * 0.25f));
    m_pauseBar->setPalette(palette);
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
    updatePauseBar();
    const bool empty = m_editor->document()->isEmpty();
    if (m_errorsOnly && empty) {
        const QString lines =
            m_lines.size() == 1 ? tr("the only line") : tr("the last %1 lines").arg(m_lines.size());
        m_placeholder->setText(m_lines.empty()
                                   ? tr("No errors: the log is empty.")
                                   : tr("No errors in %1: nothing on stderr and no ERROR, CRITICAL, "
                                        "Traceback or Exception lines.")
                                         .arg(lines));
    }
    m_placeholder->setVisible(m_errorsOnly && empty);
}

bool LogView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_search && event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) &&
            key->modifiers().testFlag(Qt::ShiftModifier)) {
            findPrevious(m_search->text());
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
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
