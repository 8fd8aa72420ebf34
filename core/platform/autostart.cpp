#include "platform/autostart.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

// Desktop Entry Specification, "The Exec key": an argument with reserved
// characters is put in double quotes, inside which ", `, $ and \ are escaped
// with a backslash; '%' is a field code and is written '%%'.
QString quoteExecArgument(const QString &arg)
{
    static const QString reserved = u" \t\n\"'\\><~|&;$*?#()`"_s;
    QString out = arg;
    out.replace(u'%', u"%%"_s);
    const bool needsQuotes =
        out.isEmpty() || std::any_of(out.cbegin(), out.cend(), [](QChar c) { return reserved.contains(c); });
    if (!needsQuotes)
        return out;
    QString quoted = u"\""_s;
    for (const QChar c : out) {
        if (c == u'"' || c == u'`' || c == u'$' || c == u'\\')
            quoted += u'\\';
        quoted += c;
    }
    return quoted + u'"';
}

} // namespace

QString Autostart::execLine(const QString &program, const QString &configPath)
{
    return QStringList{quoteExecArgument(program), u"--minimized"_s, u"--config"_s,
                       quoteExecArgument(configPath)}
        .join(u' ');
}

QByteArray Autostart::desktopFileContents(const QString &execCommand)
{
    // The value of a key is itself a string with escapes: a backslash from
    // the quoting above is written as "\\" in the file.
    QString exec = execCommand;
    exec.replace(u'\\', u"\\\\"_s);
    exec.replace(u'\n', u"\\n"_s);
    const QString text = u"[Desktop Entry]\n"
                         u"Type=Application\n"
                         u"Name=Lifeline\n"
                         u"Comment=Keeps your local backends alive\n"
                         u"Exec="_s +
                         exec +
                         u"\n"
                         u"Icon=lifeline\n"
                         u"Terminal=false\n"
                         u"X-GNOME-Autostart-enabled=true\n"_s;
    return text.toUtf8();
}

} // namespace lifeline
