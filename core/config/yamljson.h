// A YAML document -> JSON, for the importers that take a YAML form of what
// they otherwise read as JSON (a PM2 ecosystem.yaml). Parsed by libyaml.
//
// Plain scalars are typed as YAML 1.1 core does it: null/~/empty, true/false
// (and yes/no/on/off), integers, floats; quoted and block scalars are
// strings. Anchors and aliases are expanded and `<<` merge keys applied, with
// a bound on the expanded size so that a "billion laughs" file is refused
// instead of filling memory. Only the first document of a stream is read.
#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QString>

#include <optional>

namespace lifeline {

// std::nullopt with *error = "PATH:LINE: cause" when it is not YAML, is not
// a mapping or sequence at the top, or expands past the bound.
std::optional<QJsonDocument> yamlToJson(const QByteArray &yaml, const QString &path, QString *error);

} // namespace lifeline
