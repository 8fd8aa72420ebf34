#include "configwatcher.h"

#include "configloader.h"

#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace lifeline {

ConfigWatcher::ConfigWatcher(const Config &current, QObject *parent)
    : QObject(parent)
    , m_config(current)
{
    m_config.path = QFileInfo(current.path).absoluteFilePath();
    if (const std::optional<QByteArray> bytes = readConfigFile(m_config.path))
        m_lastBytes = *bytes;
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(300);
    connect(&m_debounce, &QTimer::timeout, this, &ConfigWatcher::reloadNow);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &ConfigWatcher::scheduleReload);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &ConfigWatcher::scheduleReload);
    m_watcher.addPath(QFileInfo(m_config.path).absolutePath());
    rewatch();
}

void ConfigWatcher::scheduleReload()
{
    m_debounce.start();
}

void ConfigWatcher::stop()
{
    m_debounce.stop();
    m_debounce.disconnect(this);
    m_watcher.disconnect(this);
}

void ConfigWatcher::rewatch()
{
    // A file replaced by a rename is a new file: watch it again.
    if (!m_watcher.files().contains(m_config.path) && QFileInfo::exists(m_config.path))
        m_watcher.addPath(m_config.path);
}

void ConfigWatcher::reloadNow()
{
    m_debounce.stop();
    rewatch();
    QString why;
    const std::optional<QByteArray> read = readConfigFile(m_config.path, &why);
    if (!read) {
        // Missing for a moment while an editor saves (the folder's change
        // when it comes back triggers another reload), or something that is
        // not a file to read (a FIFO renamed over it): the running
        // configuration stays. Each cause is reported once.
        Diagnostic d;
        d.file = m_config.path;
        d.message = why;
        if (d.toString() != m_unreadableReported) {
            m_unreadableReported = d.toString();
            emit reloadFailed(m_unreadableReported);
        }
        return;
    }
    m_unreadableReported.clear();
    const QByteArray &bytes = *read;
    if (bytes == m_lastBytes) {
        // Touched, or saved back to what is running: nothing to do. A later
        // failure of the same bytes must be reported again.
        m_failedBytes.clear();
        return;
    }
    if (bytes == m_failedBytes)
        return;
    const LoadResult r = ConfigLoader::loadString(bytes, m_config.path);
    if (!r.ok()) {
        m_failedBytes = bytes;
        QStringList lines;
        for (const Diagnostic &d : r.errors)
            lines << d.toString();
        emit reloadFailed(lines.join(u'\n'));
        return;
    }
    Config next = *r.config;
    // An edit keeps the profile in use; one that removes it is refused
    // rather than quietly switching the stack back to the base.
    if (!next.selectProfile(m_config.profile)) {
        m_failedBytes = bytes;
        emit reloadFailed(m_config.path + u": error: the active profile \""_s + m_config.profile +
                          u"\" is no longer defined; the running configuration stays ("_s +
                          next.unknownProfileText(m_config.profile) + u')');
        return;
    }
    m_failedBytes.clear();
    m_lastBytes = bytes;
    const ConfigDiff diff = ConfigDiff::compute(m_config, next);
    m_config = next;
    emit reloaded(diff);
}

bool ConfigWatcher::setProfile(const QString &name, QString *error)
{
    Config next = m_config;
    if (!next.selectProfile(name)) {
        if (error)
            *error = next.unknownProfileText(name);
        return false;
    }
    m_config = next;
    return true;
}

} // namespace lifeline
