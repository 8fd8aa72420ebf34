#include "diagnostics/configmask.h"

#include <QList>
#include <QRegularExpression>
#include <QStringList>

#include <toml++/toml.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

const QString kMask = u"***"_s;

struct Replacement
{
    toml::source_position begin;
    toml::source_position end; // exclusive
    QString text;
};

QString tomlQuoted(const QString &s)
{
    QString out = u"\""_s;
    for (const QChar c : s) {
        if (c == u'"' || c == u'\\')
            out += u'\\';
        out += c;
    }
    return out + u'"';
}

bool looksSecretQueryName(const QString &name)
{
    static const QStringList extra{u"key"_s, u"sig"_s, u"signature"_s, u"code"_s};
    return looksSecretKey(name) || extra.contains(name.toLower());
}

struct Walker
{
    QList<Replacement> found;

    void mask(const toml::node &node)
    {
        if (const auto *s = node.as_string(); s && QString::fromStdString(s->get()) == kMask)
            return;
        found.append({node.source().begin, node.source().end, tomlQuoted(kMask)});
    }

    // `secret`: every leaf below is masked (an env table, a secret-named key).
    void visit(const toml::node &node, const QString &key, bool secret, bool webhook)
    {
        if (const auto *table = node.as_table()) {
            for (const auto &[k, child] : *table) {
                const QString childKey = QString::fromUtf8(k.str().data(), qsizetype(k.str().size()));
                visit(child, childKey, secret || childKey == u"env"_s || looksSecretKey(childKey),
                      webhook || childKey == u"webhook"_s);
            }
            return;
        }
        if (const auto *array = node.as_array()) {
            for (const auto &child : *array)
                visit(child, key, secret, webhook);
            return;
        }
        if (secret) {
            mask(node);
            return;
        }
        if (const auto *s = node.as_string()) {
            const QString value = QString::fromStdString(s->get());
            const QString masked = maskUrlSecrets(value, webhook && key == u"url"_s);
            if (masked != value)
                found.append({node.source().begin, node.source().end, tomlQuoted(masked)});
        }
    }
};

// Offsets in `text` of each line's start, so a toml++ position (1-based
// line, 1-based column in code points) becomes an index.
class Positions
{
public:
    explicit Positions(const QString &text)
        : m_text(text)
    {
        m_lineStarts.append(0);
        for (qsizetype i = 0; i < text.size(); ++i) {
            if (text.at(i) == u'\n')
                m_lineStarts.append(i + 1);
        }
    }

    qsizetype index(const toml::source_position &p) const
    {
        if (p.line < 1 || qsizetype(p.line) > m_lineStarts.size())
            return -1;
        qsizetype i = m_lineStarts.at(qsizetype(p.line) - 1);
        for (toml::source_index column = 1; column < p.column; ++column) {
            if (i >= m_text.size())
                return -1;
            i += m_text.at(i).isHighSurrogate() ? 2 : 1;
        }
        return std::min(i, m_text.size());
    }

private:
    const QString &m_text;
    QList<qsizetype> m_lineStarts;
};

QList<Replacement> findSecrets(const toml::table &root)
{
    Walker walker;
    walker.visit(root, QString(), false, false);
    return walker.found;
}

MaskedConfig maskAllValues(const QString &text, const QString &why)
{
    static const QRegularExpression keyLine(uR"(^(\s*[A-Za-z0-9_\-."' ]+?\s*=))"_s);
    static const QRegularExpression keepLine(uR"(^\s*(#.*)?$|^\s*\[.*\]\s*(#.*)?$)"_s);
    MaskedConfig out;
    out.allValues = true;
    out.note = why;
    QStringList lines;
    for (const QString &line : text.split(u'\n')) {
        if (keepLine.match(line).hasMatch()) {
            lines << line;
            continue;
        }
        const QRegularExpressionMatch m = keyLine.match(line);
        if (m.hasMatch()) {
            lines << m.captured(1) + u' ' + tomlQuoted(kMask);
            ++out.masked;
        }
        // The rest of a value that spans lines: left out entirely.
    }
    out.text = lines.join(u'\n');
    return out;
}

} // namespace

bool looksSecretKey(const QString &key)
{
    static const QRegularExpression secret(
        u"token|passw(or)?d|pwd|secret|api[_-]?key|private[_-]?key|access[_-]?key|credential|cookie|"
        u"authori[sz]ation|^auth$|session"_s,
        QRegularExpression::CaseInsensitiveOption);
    return secret.match(key).hasMatch();
}

QString maskUrlSecrets(const QString &text, bool wholePath)
{
    static const QRegularExpression scheme(u"^[A-Za-z][A-Za-z0-9+.\\-]*://"_s);
    const QRegularExpressionMatch m = scheme.match(text);
    if (!m.hasMatch())
        return text;
    const qsizetype authorityStart = m.capturedEnd();
    qsizetype authorityEnd = text.size();
    for (const QChar stop : {u'/', u'?', u'#'}) {
        const qsizetype at = text.indexOf(stop, authorityStart);
        if (at >= 0)
            authorityEnd = std::min(authorityEnd, at);
    }
    QString authority = text.mid(authorityStart, authorityEnd - authorityStart);
    const qsizetype atSign = authority.lastIndexOf(u'@');
    if (atSign >= 0) {
        const QString userinfo = authority.left(atSign);
        const qsizetype colon = userinfo.indexOf(u':');
        // A lone user part is often the token itself (https://TOKEN@host).
        const QString masked = colon >= 0 ? userinfo.left(colon + 1) + kMask : kMask;
        authority = masked + authority.mid(atSign);
    }
    QString rest = text.mid(authorityEnd);
    if (wholePath && !rest.isEmpty() && rest != u"/"_s) {
        rest = u"/"_s + kMask;
    } else {
        const qsizetype q = rest.indexOf(u'?');
        if (q >= 0) {
            const qsizetype hash = rest.indexOf(u'#', q);
            const QString query = rest.mid(q + 1, hash < 0 ? -1 : hash - q - 1);
            QStringList params = query.split(u'&');
            for (QString &p : params) {
                const qsizetype eq = p.indexOf(u'=');
                if (eq > 0 && looksSecretQueryName(p.left(eq)))
                    p = p.left(eq + 1) + kMask;
            }
            rest = rest.left(q + 1) + params.join(u'&') + (hash < 0 ? QString() : rest.mid(hash));
        }
    }
    return text.left(authorityStart) + authority + rest;
}

MaskedConfig maskConfigSecrets(const QByteArray &toml)
{
    const QString text = QString::fromUtf8(toml);
    toml::table root;
    try {
        root = toml::parse(std::string_view(toml.constData(), size_t(toml.size())));
    } catch (const toml::parse_error &e) {
        return maskAllValues(
            text, u"the file does not parse as TOML (line %1: %2), so every value is masked"_s
                      .arg(e.source().begin.line)
                      .arg(QString::fromUtf8(e.description().data(), qsizetype(e.description().size()))));
    } catch (const std::exception &e) {
        return maskAllValues(text, u"the file could not be read as TOML (%1), so every value is masked"_s.arg(
                                       QString::fromLocal8Bit(e.what())));
    }
    QList<Replacement> found = findSecrets(root);
    std::sort(found.begin(), found.end(), [](const Replacement &a, const Replacement &b) {
        return a.begin.line != b.begin.line ? a.begin.line > b.begin.line : a.begin.column > b.begin.column;
    });
    MaskedConfig out;
    out.text = text;
    const Positions positions(text);
    for (const Replacement &r : std::as_const(found)) {
        const qsizetype from = positions.index(r.begin);
        const qsizetype to = positions.index(r.end);
        if (from < 0 || to < from)
            return maskAllValues(text, u"a value's position could not be found, so every value is masked"_s);
        out.text.replace(from, to - from, r.text);
        ++out.masked;
    }
    // Proof instead of trust: the masked file must parse and have nothing left to mask.
    try {
        const QByteArray again = out.text.toUtf8();
        const toml::table check = toml::parse(std::string_view(again.constData(), size_t(again.size())));
        if (!findSecrets(check).isEmpty())
            return maskAllValues(text, u"masking left a value behind, so every value is masked"_s);
    } catch (const std::exception &) {
        return maskAllValues(text, u"masking broke the file's syntax, so every value is masked"_s);
    }
    return out;
}

} // namespace lifeline
