#include "config/yamljson.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

#include <yaml.h>

#include <memory>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

// Far above any ecosystem file, far below what an alias bomb expands to.
constexpr int MaxValues = 100'000;
constexpr int MaxDepth = 64;

struct Converter
{
    yaml_document_t *doc;
    QString path;
    QString error;
    int values = 0;

    bool fail(const yaml_node_t *node, const QString &cause)
    {
        if (error.isEmpty())
            error = u"%1:%2: %3"_s.arg(path).arg(node->start_mark.line + 1).arg(cause);
        return false;
    }

    static QJsonValue plainScalar(const QString &s)
    {
        static const QRegularExpression integer(u"^[-+]?(0|[1-9][0-9_]*)$"_s);
        static const QRegularExpression real(u"^[-+]?([0-9][0-9_]*)?\\.[0-9]*([eE][-+]?[0-9]+)?$"_s);
        if (s.isEmpty() || s == u"~"_s || s == u"null"_s || s == u"Null"_s || s == u"NULL"_s)
            return QJsonValue::Null;
        const QString lower = s.toLower();
        if (lower == u"true"_s || lower == u"yes"_s || lower == u"on"_s)
            return true;
        if (lower == u"false"_s || lower == u"no"_s || lower == u"off"_s)
            return false;
        if (integer.match(s).hasMatch()) {
            bool ok = false;
            const qint64 n = QString(s).remove(u'_').toLongLong(&ok);
            if (ok)
                return n;
        }
        if (s != u"."_s && real.match(s).hasMatch()) {
            bool ok = false;
            const double d = QString(s).remove(u'_').toDouble(&ok);
            if (ok)
                return d;
        }
        return s;
    }

    bool convert(yaml_node_t *node, int depth, QJsonValue *out)
    {
        if (depth > MaxDepth)
            return fail(node, u"nested more than %1 levels deep"_s.arg(MaxDepth));
        if (++values > MaxValues)
            return fail(node, u"expands to more than %1 values (aliases of aliases?)"_s.arg(MaxValues));
        switch (node->type) {
        case YAML_SCALAR_NODE: {
            const QString s = QString::fromUtf8(reinterpret_cast<const char *>(node->data.scalar.value),
                                                qsizetype(node->data.scalar.length));
            *out = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? plainScalar(s) : QJsonValue(s);
            return true;
        }
        case YAML_SEQUENCE_NODE: {
            QJsonArray array;
            for (yaml_node_item_t *i = node->data.sequence.items.start; i < node->data.sequence.items.top;
                 ++i) {
                QJsonValue v;
                if (!convert(yaml_document_get_node(doc, *i), depth + 1, &v))
                    return false;
                array.append(v);
            }
            *out = array;
            return true;
        }
        case YAML_MAPPING_NODE:
            return convertMapping(node, depth, out);
        case YAML_NO_NODE:
            break;
        }
        *out = QJsonValue::Null;
        return true;
    }

    bool convertMapping(yaml_node_t *node, int depth, QJsonValue *out)
    {
        QJsonObject object;
        QList<QJsonObject> merged; // `<<: *base`: keys written here win
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; ++p) {
            yaml_node_t *keyNode = yaml_document_get_node(doc, p->key);
            yaml_node_t *valueNode = yaml_document_get_node(doc, p->value);
            if (keyNode->type != YAML_SCALAR_NODE)
                return fail(keyNode, u"a key that is not a plain value"_s);
            const QString key = QString::fromUtf8(reinterpret_cast<const char *>(keyNode->data.scalar.value),
                                                  qsizetype(keyNode->data.scalar.length));
            QJsonValue value;
            if (!convert(valueNode, depth + 1, &value))
                return false;
            if (key == u"<<"_s && keyNode->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
                const QJsonArray sources = value.isArray() ? value.toArray() : QJsonArray{value};
                for (const QJsonValue &source : sources) {
                    if (!source.isObject())
                        return fail(valueNode, u"`<<` merges mappings only"_s);
                    merged << source.toObject();
                }
                continue;
            }
            object.insert(key, value);
        }
        for (const QJsonObject &source : std::as_const(merged)) {
            for (auto it = source.begin(); it != source.end(); ++it) {
                if (!object.contains(it.key()))
                    object.insert(it.key(), it.value());
            }
        }
        *out = object;
        return true;
    }
};

} // namespace

std::optional<QJsonDocument> yamlToJson(const QByteArray &yaml, const QString &path, QString *error)
{
    const auto fail = [&](qsizetype line, const QString &cause) -> std::optional<QJsonDocument> {
        if (error)
            *error = u"%1:%2: %3"_s.arg(path).arg(line + 1).arg(cause);
        return std::nullopt;
    };
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return fail(0, u"cannot start the YAML parser (out of memory)"_s);
    const std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t *)> parserGuard(&parser, yaml_parser_delete);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char *>(yaml.constData()),
                                 size_t(yaml.size()));
    yaml_document_t document;
    if (!yaml_parser_load(&parser, &document)) {
        const QString problem = QString::fromUtf8(parser.problem ? parser.problem : "not valid YAML");
        const QString context = parser.context ? QString::fromUtf8(parser.context) + u' ' : QString();
        return fail(qsizetype(parser.problem_mark.line), u"not valid YAML: "_s + context + problem);
    }
    const std::unique_ptr<yaml_document_t, void (*)(yaml_document_t *)> documentGuard(&document,
                                                                                      yaml_document_delete);
    yaml_node_t *root = yaml_document_get_root_node(&document);
    if (!root)
        return fail(0, u"empty: no YAML document"_s);
    Converter c{&document, path, {}};
    QJsonValue value;
    if (!c.convert(root, 0, &value)) {
        if (error)
            *error = c.error;
        return std::nullopt;
    }
    if (value.isObject())
        return QJsonDocument(value.toObject());
    if (value.isArray())
        return QJsonDocument(value.toArray());
    return fail(qsizetype(root->start_mark.line), u"expected a mapping or a list at the top"_s);
}

} // namespace lifeline
